"""The TransAVS segmentor (paper Fig. 2)."""
import logging
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmengine.logging import print_log
from mmengine.structures import PixelData
from mmseg.models.segmentors import BaseSegmentor
from mmseg.registry import MODELS
from torch import Tensor

from ...structures import AVSDataSample
from ..utils import drop_unavailable_pretrained

__all__ = ['TransAVS']


@MODELS.register_module()
class TransAVS(BaseSegmentor):
    """End-to-end audio-visual segmentation with audio queries.

    A batch of ``B`` clips of ``T`` frames is seen as ``B*T`` frames by the visual
    backbone and the pixel decoder, and as ``B`` clips of ``T`` seconds by the audio side.

    Args:
        backbone (dict): any mmseg/mmpretrain backbone giving a feature pyramid.
        neck (dict): the pixel decoder (:class:`AVSPixelDecoder`).
        decode_head (dict): :class:`AudioQueryHead`.
        audio_backbone (dict, optional): :class:`VGGish`; None when the inputs carry cached
            audio embeddings (``audio_embed``).
        data_preprocessor (dict, optional): :class:`AVSDataPreprocessor`.
        train_cfg, test_cfg (dict, optional): passed to the head.
        audio_embed_cache (bool): keep the embeddings of a frozen audio backbone per clip
            (keyed by the content hash ``audio_hash`` that ``PackAVSInputs`` computes), so
            VGGish runs once per clip over a whole training or test run. Ignored, with a
            warning, when the audio backbone is trainable. Defaults to False.
        channels_last (bool): run the visual backbone and pixel decoder in channels-last
            memory format (faster convolutions on recent GPUs). Defaults to False.
        compile (bool | dict): ``torch.compile`` the backbone, the pixel decoder and the
            decoder layers in place (``nn.Module.compile``, so checkpoints keep their keys);
            a dict gives ``torch.compile`` options. Defaults to False.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 decode_head: dict,
                 audio_backbone: Optional[dict] = dict(type='VGGish'),
                 data_preprocessor: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 audio_embed_cache: bool = False,
                 channels_last: bool = False,
                 compile: Union[bool, dict] = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.audio_backbone = MODELS.build(audio_backbone) if audio_backbone else None
        decode_head = dict(decode_head)
        if train_cfg is not None:
            decode_head.setdefault('train_cfg', train_cfg)
        if test_cfg is not None:
            decode_head.setdefault('test_cfg', test_cfg)
        self.decode_head = MODELS.build(decode_head)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self.audio_embed_cache = audio_embed_cache
        self._audio_cache: Dict[str, Tensor] = {}
        if audio_embed_cache and not getattr(self.audio_backbone, 'frozen', False):
            print_log('TransAVS: audio_embed_cache needs a frozen audio backbone; the cache '
                      'is off.', logger='current', level=logging.WARNING)
            self.audio_embed_cache = False
        self.channels_last = channels_last
        if channels_last:
            self.backbone.to(memory_format=torch.channels_last)
            self.neck.to(memory_format=torch.channels_last)
        if compile:
            options = compile if isinstance(compile, dict) else {}
            for module in (self.backbone, self.neck, *self.decode_head.layers):
                module.compile(**options)

    def init_weights(self) -> None:
        """Initialises weights; absent pretrained checkpoints give a warning, not a crash."""
        drop_unavailable_pretrained(self)
        super().init_weights()
        self._audio_cache.clear()

    def _load_from_state_dict(self, *args, **kwargs) -> None:
        self._audio_cache.clear()  # new audio weights: cached embeddings are stale
        super()._load_from_state_dict(*args, **kwargs)

    # ----------------------------------------------------------------------------- features
    def extract_feat(self, frames: Tensor) -> Tuple[List[Tensor], Tensor]:
        """Visual features of frames.

        Args:
            frames (Tensor): ``[B*T, 3, H, W]`` normalised frames.

        Returns:
            tuple: ``[f_v^1, f_v^2, f_v^3]`` and the mask features (see the pixel decoder).
        """
        return self.neck(self.backbone(frames))

    def extract_audio_feat(self,
                           inputs: Dict[str, Tensor],
                           data_samples: Optional[List[AVSDataSample]] = None) -> Tensor:
        """Audio embeddings ``F_a``, one per second (= per frame).

        Args:
            inputs (dict): ``audio_embed`` ``[B, T, 128]`` (used as is) or
                ``audio_log_mel`` ``[B, T, 1, 96, 64]`` (through the audio backbone).
            data_samples (list[AVSDataSample], optional): their ``audio_hash`` keys the
                embedding cache (``audio_embed_cache``).

        Returns:
            Tensor: ``[B, T, 128]``.
        """
        if 'audio_embed' in inputs:
            return inputs['audio_embed']
        if 'audio_log_mel' not in inputs:
            raise KeyError("TransAVS needs inputs['audio_log_mel'] or inputs['audio_embed']")
        if self.audio_backbone is None:
            raise ValueError('TransAVS was built without audio_backbone, so inputs must '
                             "carry cached embeddings ('audio_embed')")
        log_mel = inputs['audio_log_mel']  # [B, T, 1, 96, 64]
        keys = [ds.metainfo.get('audio_hash') for ds in data_samples or []]
        if not self.audio_embed_cache or len(keys) != log_mel.shape[0] or None in keys:
            return self._embed_audio(log_mel)
        missing = [i for i, key in enumerate(keys) if key not in self._audio_cache]
        if missing:
            embeds = self._embed_audio(log_mel[missing])  # [len(missing), T, 128]
            for i, embed in zip(missing, embeds.detach()):
                self._audio_cache[keys[i]] = embed
        return torch.stack([self._audio_cache[key] for key in keys])

    def _embed_audio(self, log_mel: Tensor) -> Tensor:
        """``[B, T, 1, 96, 64]`` log-mels -> ``[B, T, 128]`` embeddings."""
        num_clips, num_frames = log_mel.shape[:2]
        frozen = getattr(self.audio_backbone, 'frozen', False)
        with torch.set_grad_enabled(torch.is_grad_enabled() and not frozen):
            # (B, T, 1, 96, 64) -> (B*T, 1, 96, 64) -> VGGish -> (B*T, 128)
            embeds = self.audio_backbone(log_mel.flatten(0, 1))
        return embeds.view(num_clips, num_frames, -1)  # (B*T, 128) -> (B, T, 128)

    def _features(self, inputs: Dict[str, Tensor],
                  data_samples: Optional[List[AVSDataSample]] = None):
        frames = inputs['frames']  # [B, T, 3, H, W]
        frames = frames.flatten(0, 1)  # (B, T, 3, H, W) -> (B*T, 3, H, W)
        if self.channels_last:
            frames = frames.contiguous(memory_format=torch.channels_last)
        feats, mask_feat = self.extract_feat(frames)
        return (feats, mask_feat, self.extract_audio_feat(inputs, data_samples),
                tuple(frames.shape[-2:]))

    def encode_decode(self, inputs: Dict[str, Tensor],
                      batch_data_samples: Optional[List[AVSDataSample]] = None) -> Tensor:
        """Foreground probability ``[B*T, H, W]`` at the input size."""
        return self._predict_frames(inputs, batch_data_samples)[0]

    def _predict_frames(self, inputs: Dict[str, Tensor],
                        data_samples: Optional[List[AVSDataSample]] = None
                        ) -> Tuple[Tensor, Tensor]:
        """Eq. 14-15 for every frame: ``[B*T, H, W]`` foreground probability and class map."""
        feats, mask_feat, audio_feat, shape = self._features(inputs, data_samples)
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
        feats, mask_feat, audio_feat, _ = self._features(inputs, data_samples)
        # (B, T, H, W) -> (B*T, H, W), (B, T) -> (B*T,)
        gt_sem_seg = torch.stack([ds.gt_sem_seg.data for ds in data_samples]).flatten(0, 1)
        gt_valid = torch.tensor([bool(v) for ds in data_samples for v in ds.gt_valid],
                                device=gt_sem_seg.device)
        if gt_valid.numel() != gt_sem_seg.shape[0]:
            raise ValueError(f'gt_valid flags ({gt_valid.numel()}) do not match the '
                             f'{gt_sem_seg.shape[0]} ground-truth frames')
        return self.decode_head.loss(feats, mask_feat, audio_feat, gt_sem_seg, gt_valid)

    def predict(self,
                inputs: Dict[str, Tensor],
                data_samples: Optional[List[AVSDataSample]] = None) -> List[AVSDataSample]:
        """Predicts sounding masks (eq. 14-15).

        Returns:
            list[AVSDataSample]: per clip, ``pred_fg_prob`` (float ``[T, H, W]``, above 0.5
            exactly on sounding pixels) and ``pred_sem_seg`` (uint8 ``[T, H, W]``, the
            eq. 14 class; binary tasks: 1 = sounding).
        """
        probs, classes = self._predict_frames(inputs, data_samples)  # [B*T, H, W] each
        num_clips, num_frames = inputs['frames'].shape[:2]
        # (B*T, H, W) -> (B, T, H, W)
        probs = probs.view(num_clips, num_frames, *probs.shape[-2:])
        classes = classes.view(num_clips, num_frames, *classes.shape[-2:])
        return self.postprocess_result(probs, data_samples, classes)

    def _forward(self,
                 inputs: Dict[str, Tensor],
                 data_samples: Optional[List[AVSDataSample]] = None) -> Dict[str, object]:
        """Raw head outputs (final layer) without post-processing."""
        feats, mask_feat, audio_feat, shape = self._features(inputs, data_samples)
        return self.decode_head(feats, mask_feat, audio_feat, shape, with_aux=False,
                                frame_seconds=inputs.get('frame_seconds'))

    def postprocess_result(self,
                           probs: Tensor,
                           data_samples: Optional[List[AVSDataSample]] = None,
                           classes: Optional[Tensor] = None) -> List[AVSDataSample]:
        """Writes the predictions into one :class:`AVSDataSample` per clip.

        Args:
            probs (Tensor): ``[B, T, H, W]`` foreground probability.
            data_samples (list[AVSDataSample], optional): updated in place when given.
            classes (Tensor, optional): ``[B, T, H, W]`` class map; defaults to
                ``probs > 0.5`` (binary).

        Returns:
            list[AVSDataSample]
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
            sample.pred_fg_prob = PixelData(data=clip_probs.float())
            sample.pred_sem_seg = PixelData(data=clip_classes.to(torch.uint8))
        return data_samples
