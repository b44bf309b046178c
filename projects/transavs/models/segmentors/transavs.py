"""The TransAVS segmentor (paper Fig. 2)."""
import warnings
from typing import Callable, Dict, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.segmentors import BaseSegmentor
from mmseg.registry import MODELS
from torch import Tensor

from ...structures import AVSDataSample
from ..utils import check_pretrained_files

__all__ = ['COMPILE_MODES', 'TransAVS']

#: ``torch.compile`` modes (the inductor's; ``'reduce-overhead'`` captures CUDA graphs).
COMPILE_MODES = ('default', 'reduce-overhead', 'max-autotune', 'max-autotune-no-cudagraphs')


def output_size(data_sample: AVSDataSample) -> Optional[Tuple[int, int]]:
    """The ``(H, W)`` a clip's predictions are given at; None keeps the network size.

    Args:
        data_sample (AVSDataSample): the clip's sample.

    Returns:
        tuple[int, int] | None: the size of ``gt_sem_seg`` when present, else the
        ``ori_shape`` metainfo when present, else None.
    """
    if 'gt_sem_seg' in data_sample:
        return tuple(data_sample.gt_sem_seg.data.shape[-2:])
    ori_shape = data_sample.metainfo.get('ori_shape')
    return None if ori_shape is None else tuple(int(v) for v in ori_shape[:2])


def restore_predictions(probs: Tensor,
                        data_samples: Optional[List[AVSDataSample]] = None,
                        classes: Optional[Tensor] = None,
                        binary: bool = True) -> List[AVSDataSample]:
    """Network-size predictions written into one :class:`AVSDataSample` per clip, at the size
    they are used at (:meth:`TransAVS.postprocess_result`, shared with the ONNX Runtime path).

    Args:
        probs (Tensor): ``[B, T, h, w]`` foreground probability at the network size.
        data_samples (list[AVSDataSample], optional): updated in place when given.
        classes (Tensor, optional): ``[B, T, h, w]`` class map; defaults to ``probs > 0.5``.
        binary (bool): a two-class head (the class map follows the resized probability).

    Returns:
        list[AVSDataSample]: ``pred_fg_prob`` (float32 ``[T, H, W]``) and ``pred_sem_seg``
        (uint8 ``[T, H, W]``) per clip.
    """
    if data_samples is None:
        data_samples = [
            AVSDataSample(metainfo=dict(img_shape=tuple(probs.shape[-2:]),
                                        num_frames=probs.shape[1]))
            for _ in range(probs.shape[0])
        ]
    if classes is None:
        classes = (probs > 0.5).long()
    for clip_probs, clip_classes, sample in zip(probs, classes, data_samples):
        clip_probs = clip_probs.float()  # [T, h, w]
        size = output_size(sample)
        if size is not None and size != tuple(clip_probs.shape[-2:]):
            # (T, h, w) -> (T, 1, h, w) -> bilinear to (T, 1, H, W) -> (T, H, W)
            clip_probs = F.interpolate(clip_probs[:, None], size=size, mode='bilinear',
                                       align_corners=False)[:, 0].clamp_(0, 1)
            if binary:
                clip_classes = clip_probs > 0.5  # [T, H, W]
            else:
                # (T, h, w) -> (T, 1, h, w) -> nearest to (T, 1, H, W) -> (T, H, W)
                clip_classes = F.interpolate(clip_classes[:, None].float(), size=size,
                                             mode='nearest')[:, 0]
        sample.pred_fg_prob = PixelData(data=clip_probs)
        sample.pred_sem_seg = PixelData(data=clip_classes.to(torch.uint8))
    return data_samples


@MODELS.register_module()
class TransAVS(BaseSegmentor):
    """End-to-end audio-visual segmentation with audio queries.

    A batch of ``B`` clips of ``T`` frames is seen as ``B*T`` frames by the visual
    backbone and the pixel decoder, and as ``B`` clips of ``T`` seconds by the audio side.

    Args:
        backbone (dict): any mmseg/mmpretrain backbone giving a feature pyramid.
        neck (dict): the pixel decoder (:class:`AVSPixelDecoder`).
        decode_head (dict): :class:`AudioQueryHead`.
        audio_backbone (dict): :class:`VGGish`, which embeds the ``audio_log_mel`` input.
            Defaults to ``dict(type='VGGish')``.
        data_preprocessor (dict, optional): :class:`AVSDataPreprocessor`.
        train_cfg, test_cfg (dict, optional): passed to the head.
        channels_last (bool): run the visual backbone and pixel decoder in channels-last
            memory format (faster convolutions on recent GPUs). Defaults to False.
        compile (bool | dict): ``torch.compile`` the model; a dict gives ``torch.compile``
            options (e.g. ``mode='reduce-overhead'`` for CUDA graphs). Training compiles
            :meth:`loss_from_tensors` (the whole training forward: features, head and
            criterion) as one function on its first call, with ``fullgraph`` defaulting to
            :attr:`loss_host_free` (no graph break allowed where none is needed); inference
            runs the backbone, the pixel decoder and the decoder layers compiled in place
            (``nn.Module.compile``, so checkpoints keep their keys; in training the compiled
            loss traces through them). Defaults to False.
        pretrained (str, optional): weights for the visual backbone, as mmseg's
            ``EncoderDecoder`` takes them (the backbone's ``init_cfg`` becomes
            ``dict(type='Pretrained', checkpoint=pretrained)``). ``mmseg.apis.init_model``
            sets it to None. Defaults to None.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 decode_head: dict,
                 audio_backbone: dict = dict(type='VGGish'),
                 data_preprocessor: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 channels_last: bool = False,
                 compile: Union[bool, dict] = False,
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if pretrained is not None:
            backbone = dict(backbone, init_cfg=dict(type='Pretrained', checkpoint=pretrained))
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        if not audio_backbone:
            raise ValueError('TransAVS: audio_backbone is required (e.g. dict(type=\'VGGish\')); '
                             "the model's audio input is inputs['audio_log_mel']")
        self.audio_backbone = MODELS.build(audio_backbone)
        decode_head = dict(decode_head)
        if train_cfg is not None:
            decode_head.setdefault('train_cfg', train_cfg)
        if test_cfg is not None:
            decode_head.setdefault('test_cfg', test_cfg)
        self.decode_head = MODELS.build(decode_head)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self.channels_last = channels_last
        if channels_last:
            self.backbone.to(memory_format=torch.channels_last)
            self.neck.to(memory_format=torch.channels_last)
        self.compile_options = None
        if compile:
            options = dict(compile) if isinstance(compile, dict) else {}
            self.compile_options = dict(options)
            self.compile_options.setdefault('fullgraph', self.loss_host_free)
            if self.compile_options['fullgraph'] and not self.loss_host_free:
                raise ValueError(
                    'TransAVS: compile=dict(fullgraph=True) needs at least two queries (with '
                    "one, every frame is matched by mmseg's HungarianAssigner on the host); "
                    'leave fullgraph unset (False then)')
            for module in (self.backbone, self.neck, *self.decode_head.layers):
                module.compile(**options)

    @property
    def loss_host_free(self) -> bool:
        """bool: the training forward (:meth:`loss_from_tensors`) can run without host
        synchronisation, so it compiles with ``fullgraph=True``: the head has at least two
        queries and the criterion's targets come from the label map on the device
        (``AVSCriterion.host_free``: binary ``'semantic'`` / ``'union'``) or, for the others
        (``'components'``, multi-class ``'semantic'``), from the data pipeline's instance
        maps (``ClipInstanceTargets``; :meth:`loss` refuses a fullgraph step without them)."""
        return getattr(self.decode_head, 'num_queries', 0) >= 2 and \
            getattr(self.decode_head, 'criterion', None) is not None

    def init_weights(self) -> None:
        """Initialises weights; a missing local pretrained file is an error, before any load.

        Raises:
            FileNotFoundError: see :func:`~projects.transavs.models.utils.check_pretrained_files`.
        """
        check_pretrained_files(self)
        super().init_weights()

    # ----------------------------------------------------------------------------- features
    def extract_feat(self, frames: Tensor) -> Tuple[List[Tensor], Tensor]:
        """Visual features of frames.

        Args:
            frames (Tensor): ``[B*T, 3, H, W]`` normalised frames.

        Returns:
            tuple: ``[f_v^1, f_v^2, f_v^3]`` and the mask features (see the pixel decoder).
        """
        return self.neck(self.backbone(frames))

    def extract_audio_feat(self, inputs: Dict[str, Tensor]) -> Tensor:
        """Audio embeddings ``F_a``, one per second (= per frame).

        Args:
            inputs (dict): ``audio_log_mel`` ``[B, T, 1, 96, 64]``, embedded by the audio
                backbone.

        Returns:
            Tensor: ``[B, T, 128]``.
        """
        if 'audio_log_mel' not in inputs:
            raise KeyError("TransAVS needs inputs['audio_log_mel'] ([B, T, 1, 96, 64] VGGish "
                           'log-mels, from AVSDataPreprocessor)')
        return self._embed_audio(inputs['audio_log_mel'])  # [B, T, 1, 96, 64] -> [B, T, 128]

    def _embed_audio(self, log_mel: Tensor) -> Tensor:
        """``[B, T, 1, 96, 64]`` log-mels -> ``[B, T, 128]`` embeddings."""
        num_clips, num_frames = log_mel.shape[:2]
        frozen = getattr(self.audio_backbone, 'frozen', False)
        with torch.set_grad_enabled(torch.is_grad_enabled() and not frozen):
            # (B, T, 1, 96, 64) -> (B*T, 1, 96, 64) -> VGGish -> (B*T, 128)
            embeds = self.audio_backbone(log_mel.flatten(0, 1))
        return embeds.view(num_clips, num_frames, -1)  # (B*T, 128) -> (B, T, 128)

    def _features(self, inputs: Dict[str, Tensor]):
        """Visual features of every frame and the clips' audio embeddings."""
        frames = inputs['frames']  # [B, T, 3, H, W]
        frames = frames.flatten(0, 1)  # (B, T, 3, H, W) -> (B*T, 3, H, W)
        if self.channels_last:
            frames = frames.contiguous(memory_format=torch.channels_last)
        feats, mask_feat = self.extract_feat(frames)
        return (feats, mask_feat, self.extract_audio_feat(inputs),
                tuple(frames.shape[-2:]))

    def encode_decode(self, inputs: Dict[str, Tensor],
                      batch_data_samples: Optional[List[AVSDataSample]] = None) -> Tensor:
        """Foreground probability ``[B*T, H, W]`` at the input size."""
        return self._predict_frames(inputs)[0]

    def _predict_frames(self, inputs: Dict[str, Tensor]) -> Tuple[Tensor, Tensor]:
        """Eq. 14-15 for every frame: ``[B*T, H, W]`` foreground probability and class map."""
        feats, mask_feat, audio_feat, shape = self._features(inputs)
        return self.decode_head.predict(feats, mask_feat, audio_feat, shape,
                                        inputs.get('frame_seconds'))

    def set_confidence_thresholds(self, delta1: float, delta2: float) -> None:
        """Sets the AQDL / AQML confidence thresholds (eq. 18; ``ConfidenceThresholdHook``)."""
        self.decode_head.set_confidence_thresholds(delta1, delta2)

    # ------------------------------------------------------------------------ mmseg contract
    def loss(self, inputs: Dict[str, Tensor],
             data_samples: List[AVSDataSample]) -> Dict[str, Tensor]:
        """Losses of a batch (eq. 13).

        Args:
            inputs (dict): from :class:`AVSDataPreprocessor`.
            data_samples (list[AVSDataSample]): one per clip, with ``gt_sem_seg``
                ``[T, H, W]`` (0 = background) and ``gt_valid``.

        Returns:
            dict[str, Tensor]: named loss terms and the logged AQDL/AQML set sizes.
        """
        gt_sem_seg, gt_valid = self.gt_tensors(data_samples)
        instances = self.instance_tensors(data_samples)
        if instances is None and self.compile_options and self.compile_options['fullgraph'] \
                and not self.decode_head.criterion.host_free:
            criterion = self.decode_head.criterion
            raise ValueError(
                f"TransAVS: a compiled training step with fullgraph=True and gt_instances="
                f"'{criterion.gt_instances}' (num_classes={criterion.num_classes}) needs the "
                "ground-truth instances from the data pipeline: add dict(type="
                f"'ClipInstanceTargets', mode='{criterion.gt_instances}', num_classes="
                f"{criterion.num_classes}) to the train pipeline, before PackAVSInputs (or "
                'compile with fullgraph=False, which labels them on the host)')
        instance_map, instance_labels = instances or (None, None)
        return self._loss_function()(inputs, gt_sem_seg, gt_valid, instance_map,
                                     instance_labels, self.padded_tensor(data_samples, gt_valid))

    @staticmethod
    def gt_tensors(data_samples: List[AVSDataSample]) -> Tuple[Tensor, Tensor]:
        """The batch's ground truth as tensors, frames of all clips in a row.

        Args:
            data_samples (list[AVSDataSample]): one per clip, with ``gt_sem_seg``
                ``[T, H, W]`` and the ``gt_valid`` metainfo (``T`` flags).

        Returns:
            tuple[Tensor, Tensor]: ``[B*T, H, W]`` labels and ``[B*T]`` bool annotated
            frames, on the labels' device.
        """
        # (B, T, H, W) -> (B*T, H, W), (B, T) -> (B*T,)
        gt_sem_seg = torch.stack([ds.gt_sem_seg.data for ds in data_samples]).flatten(0, 1)
        gt_valid = torch.tensor([bool(v) for ds in data_samples for v in ds.gt_valid],
                                device=gt_sem_seg.device)
        if gt_valid.numel() != gt_sem_seg.shape[0]:
            raise ValueError(f'gt_valid flags ({gt_valid.numel()}) do not match the '
                             f'{gt_sem_seg.shape[0]} ground-truth frames')
        return gt_sem_seg, gt_valid

    @staticmethod
    def padded_tensor(data_samples: List[AVSDataSample], gt_valid: Tensor) -> Tensor:
        """``[B*T]`` bool, the frames that only pad their clip (metainfo ``frame_padded``:
        AVSBench-semantic's v1 clips padded to 10 frames; none where absent), on
        ``gt_valid``'s device. Always a tensor, so a compiled step sees one signature."""
        flags = []
        for ds in data_samples:
            padded = ds.metainfo.get('frame_padded')
            num_frames = ds.gt_sem_seg.data.shape[0]
            if padded is None:
                padded = [False] * num_frames
            elif len(padded) != num_frames:
                raise ValueError(f'frame_padded has {len(padded)} flags for {num_frames} '
                                 'ground-truth frames')
            flags.extend(bool(p) for p in padded)
        # (B, T) -> (B*T,)
        return torch.tensor(flags, dtype=torch.bool, device=gt_valid.device)

    def instance_tensors(self,
                         data_samples: List[AVSDataSample]) -> Optional[Tuple[Tensor, Tensor]]:
        """The data pipeline's ground-truth instances (``ClipInstanceTargets``), frames of all
        clips in a row, when the criterion needs them and they match it.

        Args:
            data_samples (list[AVSDataSample]): one per clip.

        Returns:
            tuple[Tensor, Tensor] | None: ``[B*T, H, W]`` instance maps and ``[B*T, M]``
            slot labels; None when the criterion builds its targets from the labels on the
            device anyway (``host_free``), when the samples carry none, or when they were
            made for other targets (warned: the criterion then labels them on the host).

        Raises:
            ValueError: some samples carry instance maps and others do not.
        """
        criterion = self.decode_head.criterion
        carried = ['gt_instance_map' in ds for ds in data_samples]
        if criterion.host_free or not any(carried):
            return None
        if not all(carried):
            raise ValueError(f'TransAVS: {sum(carried)} of {len(carried)} clips carry '
                             'gt_instance_map (ClipInstanceTargets): give it to every clip of '
                             'the training set or to none')
        made_for = {(ds.metainfo.get('instance_mode'), ds.metainfo.get('instance_num_classes'))
                    for ds in data_samples}
        wanted = (criterion.gt_instances, criterion.num_classes)
        if made_for != {wanted}:
            warnings.warn(f'TransAVS: the pipeline\'s ClipInstanceTargets made instances for '
                          f'(mode, num_classes) {sorted(made_for, key=str)}, the criterion '
                          f'wants {wanted}; they are ignored and the targets are labelled on '
                          'the host')
            return None
        # (B, T, H, W) -> (B*T, H, W), (B, T, M) -> (B*T, M)
        instance_map = torch.stack([ds.gt_instance_map.data for ds in data_samples]).flatten(0, 1)
        labels = torch.stack([ds.gt_instance_labels for ds in data_samples]).flatten(0, 1)
        return instance_map, labels

    def loss_from_tensors(self,
                          inputs: Dict[str, Tensor],
                          gt_sem_seg: Tensor,
                          gt_valid: Tensor,
                          instance_map: Optional[Tensor] = None,
                          instance_labels: Optional[Tensor] = None,
                          frame_padded: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """The training forward on tensors: features, head and criterion (targets,
        matching, the losses of eq. 13). The function that ``compile`` compiles.

        Args:
            inputs (dict): from :class:`AVSDataPreprocessor` (``frames``,
                ``audio_log_mel``).
            gt_sem_seg (Tensor): ``[B*T, H, W]`` labels (0 = background).
            gt_valid (Tensor): ``[B*T]`` bool, annotated frames.
            instance_map, instance_labels (Tensor, optional): ``[B*T, H, W]`` and
                ``[B*T, M]``, from :meth:`instance_tensors`.
            frame_padded (Tensor, optional): ``[B*T]`` bool, from :meth:`padded_tensor`.

        Returns:
            dict[str, Tensor]: as :meth:`loss`.
        """
        feats, mask_feat, audio_feat, _ = self._features(inputs)
        return self.decode_head.loss(feats, mask_feat, audio_feat, gt_sem_seg, gt_valid,
                                     instance_map, instance_labels, frame_padded)

    def _loss_function(self) -> Callable[..., Dict[str, Tensor]]:
        """:meth:`loss_from_tensors`, compiled on first use when ``compile`` is set.

        Returns:
            Callable: the (compiled) training forward.
        """
        if self.compile_options is None:
            return self.loss_from_tensors
        compiled = self.__dict__.get('_compiled_loss')
        if compiled is None:
            compiled = torch.compile(self.loss_from_tensors, **self.compile_options)
            self._compiled_loss = compiled
        return compiled

    def __getstate__(self) -> dict:
        """State for pickling and ``copy.deepcopy``: without the compiled loss function, which
        is bound to this model (a copy compiles its own; ``nn.Module`` drops its compiled
        call the same way)."""
        state = super().__getstate__()
        state.pop('_compiled_loss', None)
        return state

    def predict(self,
                inputs: Dict[str, Tensor],
                data_samples: Optional[List[AVSDataSample]] = None) -> List[AVSDataSample]:
        """Predicts sounding masks (eq. 14-15).

        Returns:
            list[AVSDataSample]: per clip, ``pred_fg_prob`` (float ``[T, H, W]``, above 0.5
            exactly on sounding pixels) and ``pred_sem_seg`` (uint8 ``[T, H, W]``, the
            eq. 14 class; binary tasks: 1 = sounding), at the size
            :meth:`postprocess_result` restores.
        """
        probs, classes = self._predict_frames(inputs)  # [B*T, H, W] each
        num_clips, num_frames = inputs['frames'].shape[:2]
        # (B*T, H, W) -> (B, T, H, W)
        probs = probs.view(num_clips, num_frames, *probs.shape[-2:])
        classes = classes.view(num_clips, num_frames, *classes.shape[-2:])
        return self.postprocess_result(probs, data_samples, classes)

    def _forward(self,
                 inputs: Dict[str, Tensor],
                 data_samples: Optional[List[AVSDataSample]] = None) -> Dict[str, object]:
        """Raw head outputs (final layer) without post-processing."""
        feats, mask_feat, audio_feat, shape = self._features(inputs)
        return self.decode_head(feats, mask_feat, audio_feat, shape, with_aux=False,
                                frame_seconds=inputs.get('frame_seconds'))

    def postprocess_result(self,
                           probs: Tensor,
                           data_samples: Optional[List[AVSDataSample]] = None,
                           classes: Optional[Tensor] = None) -> List[AVSDataSample]:
        """Writes the predictions into one :class:`AVSDataSample` per clip.

        Like mmseg's ``BaseSegmentor.postprocess_result``, the maps are brought back from the
        network input size to the size they are used at (:meth:`output_size`): the ground
        truth's when the sample has one (the evaluation compares at its size, which the
        AVSBench pipelines resize to the network input), else the frames' original size
        ``ori_shape``. Probabilities are resized bilinearly (``align_corners=False``) and
        clamped to [0, 1]; the class map is then ``probs > 0.5`` for binary heads
        (``num_classes == 2``) and resized with nearest neighbour otherwise.

        Args:
            probs (Tensor): ``[B, T, h, w]`` foreground probability at the network size.
            data_samples (list[AVSDataSample], optional): updated in place when given;
                without them the maps stay at the network size.
            classes (Tensor, optional): ``[B, T, h, w]`` class map; defaults to
                ``probs > 0.5`` (binary).

        Returns:
            list[AVSDataSample]: ``pred_fg_prob`` (float32 ``[T, H, W]``) and
            ``pred_sem_seg`` (uint8 ``[T, H, W]``) per clip.
        """
        binary = getattr(self.decode_head, 'num_classes', 2) == 2
        return restore_predictions(probs, data_samples, classes, binary)

    @staticmethod
    def output_size(data_sample: AVSDataSample) -> Optional[Tuple[int, int]]:
        """The ``(H, W)`` a clip's predictions are given at (:func:`output_size`)."""
        return output_size(data_sample)
