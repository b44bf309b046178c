"""The TransAVS training criterion: targets, matching and the losses of eq. 13."""
from typing import Dict, List, Optional, Tuple

import torch
import torch.distributed as dist
import torch.nn as nn
from mmcv.ops import point_sample
from mmseg.models.utils import get_uncertain_point_coords_with_randomness
from mmseg.registry import MODELS
from torch import Tensor

from ..losses import frame_mean, selection_sizes
from ..utils import resample_to_stride
from .matcher import QueryMatcher
from .targets import GT_INSTANCE_MODES, FrameTargets, build_frame_targets, instance_map_targets

__all__ = ['AVSCriterion', 'CONFIDENCE_MODES', 'TRAIN_CFG_KEYS', 'class_targets',
           'query_confidence']

CONFIDENCE_MODES = ('max_class', 'foreground', 'sounding')
#: What ``train_cfg`` must hold (set in the model config; there are no hidden defaults).
TRAIN_CFG_KEYS = ('num_points', 'oversample_ratio', 'importance_sample_ratio', 'assigner')


def query_confidence(cls_logits: Tensor, num_classes: int, mode: str) -> Tensor:
    """The confidence ``p_k`` that selects the queries of AQDL and AQML (``S_1``, ``S_2`` of
    eq. 9 and 11), without gradient.

    The paper's ``p_k`` is the probability that query ``k`` "predicts sounding objects"; with
    background as a class it can be read two ways:

    - ``'max_class'``: the probability of the query's most probable real class (background
      included), i.e. the query predicts some region of the frame with confidence;
    - ``'foreground'``: the total probability of the non-background real classes;
    - ``'sounding'``: the probability of the query's most probable real class when that class
      is a sounding one (not background; for AVSBench-semantic any of the 70 others), else 0:
      only queries that predict sounding objects can enter ``S_1`` / ``S_2``, as the paper
      defines them ("queries that predict sounding objects", selected by "the probability of
      sounding objects").

    Args:
        cls_logits (Tensor): ``[F, N, K + 1]`` class logits (last = "no object").
        num_classes (int): ``K`` real classes, background = 0.
        mode (str): one of :data:`CONFIDENCE_MODES`.

    Returns:
        Tensor: ``[F, N]`` float32 confidences.
    """
    probs = cls_logits.detach().float().softmax(-1)  # eq. 8
    if mode == 'max_class':
        return probs[..., :num_classes].amax(-1)
    if mode == 'foreground':
        return probs[..., 1:num_classes].sum(-1)
    if mode == 'sounding':
        best, label = probs[..., :num_classes].max(-1)  # [F, N]
        return best * (label != 0)
    raise ValueError(f'confidence must be one of {CONFIDENCE_MODES}, got {mode!r}')


def class_targets(query_idx: Tensor, matched: Tensor, slot_labels: Tensor, num_queries: int,
                  no_object: int) -> Tensor:
    """Class target of every query: its matched instance's class, else "no object".

    Args:
        query_idx (Tensor): ``[F, M]`` query of each instance slot.
        matched (Tensor): ``[F, M]`` bool, the slot holds a matched instance.
        slot_labels (Tensor): ``[F, M]`` class of each slot.
        num_queries (int): ``N``.
        no_object (int): the "no object" class index (``K``, above every real class).

    Returns:
        Tensor: ``[F, N]`` long.
    """
    labels = query_idx.new_full((query_idx.shape[0], num_queries), no_object)
    # amin: a slot without instance may point at a matched query; its "no object" loses.
    return labels.scatter_reduce(1, query_idx, torch.where(matched, slot_labels, no_object),
                                 reduce='amin')


@MODELS.register_module()
class AVSCriterion(nn.Module):
    """Builds the targets, matches queries to them and computes the losses of eq. 13.

    As detectron2's Mask2Former keeps ``matcher.py`` and ``criterion.py`` apart from the
    network, the head only predicts; this module holds everything that needs ground truth
    or is a loss, so each step can be tested alone:

    1. Targets (:func:`build_frame_targets`, or :func:`instance_map_targets` from the data
       pipeline's ``ClipInstanceTargets``): mask classification with background as class
       0 (mmseg's ``Mask2FormerHead`` convention): one instance per class present in an
       annotated frame, or per connected component (``gt_instances``).
    2. Matching (:class:`QueryMatcher`): Hungarian on sampled points, per decoder layer
       (all layers before their losses; a compiled step solves all layers in one call);
       unmatched queries of an annotated frame target the "no object" class.
    3. Supervised losses per layer (deep supervision): ``L_class`` (softmax focal loss,
       lambda3), ``L_dice`` (lambda4) and Mask2Former's sigmoid cross-entropy mask term on
       the same importance-sampled points. Frames without annotation are not supervised.
       The cross-entropy term is needed once background is a class: with dice alone the
       background query's mask saturates to 1 everywhere and wins every pixel of eq. 14.
    4. Self-supervised losses on the final layer over every frame but padding: AQDL (eq.
       9-10, on ``h(q)``) and AQML (eq. 11-12, on the masks at ``aqml_stride``), over the queries
       whose confidence (:func:`query_confidence`) exceeds ``delta1`` / ``delta2``. The
       thresholds are set by :meth:`set_thresholds` (the eq. 18 schedule of
       ``ConfidenceThresholdHook``). The mean sizes of ``S_1`` and ``S_2`` per frame are
       returned as ``aqdl_s1`` and ``aqml_s2`` for the training log.

    Compilation: the losses read the thresholds from a buffer (``thresholds``, not saved in
    checkpoints), so the eq. 18 schedule does not recompile a ``torch.compile``-d step. With
    :attr:`host_free` targets (binary ``'semantic'`` or ``'union'``), and with the instance
    maps of ``ClipInstanceTargets`` for the other targets (``'components'``, multi-class
    ``'semantic'``), steps 1-4 run without host synchronisation and compile with
    ``fullgraph=True``: traced, frames with more than two slots are matched by
    :func:`~.assignment.batched_linear_assignment` on the device. Without those maps the
    targets are labelled on the host (``scipy.ndimage.label``) and, eagerly, frames with more
    than two instances are matched by scipy's Hungarian algorithm: both are excluded from
    compilation (``torch.compiler.disable``), so a compiled step breaks its graph there.

    The loss terms, their weights and the matching settings have no defaults here: the model
    config states them once (``configs/_base_/models/transavs_r50.py``).

    Args:
        loss_cls (dict): the class loss (lambda3).
        loss_mask (dict | None): the point-sampled sigmoid cross-entropy mask loss; None
            switches it off.
        loss_dice (dict): the point-sampled dice loss (lambda4).
        loss_aqdl (dict | None): :class:`AQDLoss` (lambda1); None switches it off.
        loss_aqml (dict | None): :class:`AQMLoss` (lambda2); None switches it off.
        train_cfg (dict | None): ``num_points`` (matching and mask losses),
            ``oversample_ratio`` and ``importance_sample_ratio`` (Mask2Former's importance
            sampling) and ``assigner`` (mmseg ``HungarianAssigner`` with ``match_costs``).
            None builds the criterion for inference only (``mmseg.apis.init_model`` sets
            the model's ``train_cfg`` to None): computing losses is then an error.
        num_classes (int): ``K`` real classes, background included (S4/MS3: 2).
        gt_instances (str): ``'semantic'``, ``'components'`` or ``'union'`` (see
            :mod:`.targets`). Defaults to ``'components'``.
        ignore_index (int): ground-truth label of pixels in no instance. Defaults to 255.
        confidence (str): ``'max_class'``, ``'foreground'`` or ``'sounding'``, see
            :func:`query_confidence`. Defaults to ``'max_class'``.
        delta (float): ``delta1 = delta2`` until :meth:`set_thresholds` is called.
            Defaults to 0.55 (eq. 18's start value).
        aqml_stride (int): stride of the masks that AQML compares. Eq. 12 sums over the
            ``H x W`` input pixels: 1 does that, upsampling the masks bilinearly to the input
            size first (as eq. 7 does). The default 4 compares them as the final layer
            predicts them (at the pixel decoder's finest stride, 4): 16 times fewer pixels;
            ``I_ij`` is a mean over pixels, so only the binarisation's edges differ.
    """

    def __init__(self,
                 loss_cls: dict,
                 loss_mask: Optional[dict],
                 loss_dice: dict,
                 loss_aqdl: Optional[dict],
                 loss_aqml: Optional[dict],
                 train_cfg: Optional[dict],
                 num_classes: int = 2,
                 gt_instances: str = 'components',
                 ignore_index: int = 255,
                 confidence: str = 'max_class',
                 delta: float = 0.55,
                 aqml_stride: int = 4) -> None:
        super().__init__()
        if num_classes < 2:
            raise ValueError(f'AVSCriterion: num_classes counts the background class too '
                             f'(S4/MS3: 2), got {num_classes}')
        if gt_instances not in GT_INSTANCE_MODES:
            raise ValueError(f'AVSCriterion: gt_instances must be one of '
                             f'{GT_INSTANCE_MODES}, got {gt_instances!r}')
        if gt_instances == 'union' and num_classes != 2:
            raise ValueError("AVSCriterion: gt_instances='union' is for binary tasks "
                             f'(num_classes=2), got num_classes={num_classes}')
        if confidence not in CONFIDENCE_MODES:
            raise ValueError(f'AVSCriterion: confidence must be one of {CONFIDENCE_MODES}, '
                             f'got {confidence!r}')
        self.num_classes = num_classes
        self.gt_instances = gt_instances
        self.ignore_index = ignore_index
        self.confidence = confidence
        self._deltas = (float(delta), float(delta))
        # The losses read delta1 / delta2 from here: a tensor, so that changing them (eq. 18)
        # does not recompile a compiled step, as a Python float would.
        self.register_buffer('thresholds', torch.tensor(self._deltas), persistent=False)
        self.aqml_stride = aqml_stride
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_mask = MODELS.build(loss_mask) if loss_mask else None
        self.loss_dice = MODELS.build(loss_dice)
        self.loss_aqdl = MODELS.build(loss_aqdl) if loss_aqdl else None
        self.loss_aqml = MODELS.build(loss_aqml) if loss_aqml else None
        self.train_cfg = self.matcher = None
        if train_cfg is None:  # inference only
            return
        missing = [key for key in TRAIN_CFG_KEYS if key not in train_cfg]
        if missing:
            raise KeyError(f'AVSCriterion: train_cfg lacks {missing}; expected '
                           f'{list(TRAIN_CFG_KEYS)} (the model config\'s train_cfg, e.g. '
                           'configs/_base_/models/transavs_r50.py)')
        self.train_cfg = dict(train_cfg)
        self.matcher = QueryMatcher(self.train_cfg['assigner'], self.train_cfg['num_points'])

    # ------------------------------------------------------------------------ thresholds
    @property
    def has_confidence_losses(self) -> bool:
        """Whether AQDL or AQML is on (the losses that ``delta1`` / ``delta2`` select for)."""
        return self.loss_aqdl is not None or self.loss_aqml is not None

    @property
    def delta1(self) -> float:
        """float: the AQDL confidence threshold (eq. 9, scheduled by eq. 18)."""
        return self._deltas[0]

    @property
    def delta2(self) -> float:
        """float: the AQML confidence threshold (eq. 11, scheduled by eq. 18)."""
        return self._deltas[1]

    def set_thresholds(self, delta1: float, delta2: float) -> None:
        """Sets the confidence thresholds ``delta1`` (AQDL) and ``delta2`` (AQML), eq. 18.

        Written in place into the ``thresholds`` buffer (float32: ``probs > delta`` selects
        the same queries as with the Python float), which a compiled step reads as an input;
        ``fill_`` with a Python number needs no host-to-device copy.

        Args:
            delta1 (float): the AQDL threshold.
            delta2 (float): the AQML threshold.
        """
        self._deltas = (float(delta1), float(delta2))
        with torch.no_grad():
            for slot, value in enumerate(self._deltas):
                self.thresholds[slot].fill_(value)

    @property
    def host_free(self) -> bool:
        """bool: the targets come from the label map without host synchronisation (binary
        ``'semantic'`` or ``'union'`` targets, at most two slots per frame, matched by
        :func:`~.matcher.match_two_slots`). The other targets need the pipeline's instance
        maps (:meth:`forward`'s ``instance_map``) for that."""
        return self.gt_instances == 'union' or (self.gt_instances == 'semantic'
                                                and self.num_classes == 2)

    # ----------------------------------------------------------------------------- losses
    def build_targets(self,
                      gt_sem_seg: Tensor,
                      gt_valid: Tensor,
                      instance_map: Optional[Tensor] = None,
                      instance_labels: Optional[Tensor] = None) -> FrameTargets:
        """Instance slots of every frame: from the pipeline's instance maps when given
        (:func:`instance_map_targets`), else from the labels (:func:`build_frame_targets`)."""
        if instance_map is not None:
            if instance_labels is None:
                raise ValueError('AVSCriterion: instance_map given without instance_labels')
            targets = instance_map_targets(instance_map, instance_labels, gt_valid)
            if torch.compiler.is_compiling():
                return targets  # all max_instances slots: a static shape, no host sync
            # Eagerly, as many slots as the batch's fullest frame (the slots are packed from
            # the first), as the host-built targets: the mask losses sample points for every
            # slot, so the padding would cost time and change the random draws.
            used = max(int(targets.valid.sum(1).max()), 1)
            return FrameTargets(*(t[:, :used] for t in targets))
        return build_frame_targets(gt_sem_seg, gt_valid, self.num_classes, self.gt_instances,
                                   self.ignore_index)

    def forward(self,
                outs: Dict[str, object],
                gt_sem_seg: Tensor,
                gt_valid: Tensor,
                instance_map: Optional[Tensor] = None,
                instance_labels: Optional[Tensor] = None,
                frame_padded: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """All loss terms of eq. 13.

        Args:
            outs (dict): the head's outputs: ``cls_logits`` and ``mask_logits`` (one entry
                per supervised decoder layer, the last one final; ``[F, N, K + 1]`` and
                ``[F, N, h, w]``) and ``aqdl_embed`` (``[F, N, d]``, ``h(q)`` of the final
                queries; needed with AQDL).
            gt_sem_seg (Tensor): ``[F, H, W]`` labels at the network input size.
            gt_valid (Tensor): ``[F]`` bool, annotated frames.
            instance_map (Tensor, optional): ``[F, H, W]`` slot of each pixel and
            instance_labels (Tensor, optional): ``[F, M]`` class of each slot, the data
                pipeline's instances (``ClipInstanceTargets``, built with this criterion's
                ``gt_instances`` and ``num_classes``); without them the targets are built
                from ``gt_sem_seg``.
            frame_padded (Tensor, optional): ``[F]`` bool, frames that only pad a clip
                (AVSBench-semantic's v1 clips: a mean-colour image with silent audio); they
                never enter AQDL / AQML. None: no padded frames.

        Returns:
            dict[str, Tensor]: ``loss_cls``, ``loss_mask``, ``loss_dice`` (intermediate
            layers prefixed ``d{i}.``), ``loss_aqdl``, ``loss_aqml``, and the logged
            (non-loss) ``aqdl_s1`` / ``aqml_s2``.
        """
        if self.matcher is None:
            raise RuntimeError(
                'AVSCriterion: this model was built for inference (train_cfg=None, as '
                'mmseg.apis.init_model builds it) and cannot compute losses; build it with the '
                "config's model.train_cfg to train")
        cls_logits: List[Tensor] = outs['cls_logits']
        mask_logits: List[Tensor] = outs['mask_logits']
        if len(cls_logits) != len(mask_logits):
            raise ValueError(f'AVSCriterion: {len(cls_logits)} layers of class logits but '
                             f'{len(mask_logits)} of mask logits')
        if gt_valid.shape != gt_sem_seg.shape[:1]:
            raise ValueError(f'AVSCriterion: gt_valid {tuple(gt_valid.shape)} must hold one '
                             f'flag per ground-truth frame ({gt_sem_seg.shape[0]})')
        targets = self.build_targets(gt_sem_seg, gt_valid, instance_map, instance_labels)
        # every layer's matching first (one solver for all layers in a compiled step), then
        # the losses; the points of all layers are drawn at once, in either case
        matches = self.matcher.match_layers(cls_logits, mask_logits, targets)
        losses = dict()
        for layer, (cls, masks) in enumerate(zip(cls_logits, mask_logits)):
            prefix = '' if layer == len(cls_logits) - 1 else f'd{layer}.'
            for name, value in self.layer_losses(cls, masks, targets, gt_valid,
                                                 matches[layer]).items():
                losses[prefix + name] = value
        frames = None if frame_padded is None else ~frame_padded.bool()  # [F]
        losses.update(self.self_supervised_losses(outs, gt_sem_seg.shape[-2:], frames))
        return losses

    def layer_losses(self,
                     cls: Tensor,
                     masks: Tensor,
                     targets: FrameTargets,
                     gt_valid: Tensor,
                     match: Optional[Tuple[Tensor, Tensor]] = None) -> Dict[str, Tensor]:
        """Class, mask and dice losses of one decoder layer after matching.

        Args:
            cls (Tensor): ``[F, N, K + 1]`` class logits.
            masks (Tensor): ``[F, N, h, w]`` mask logits.
            targets (FrameTargets): ``M`` slots per frame.
            gt_valid (Tensor): ``[F]`` bool, annotated frames.
            match (tuple[Tensor, Tensor], optional): this layer's matching (query of each
                slot, matched slots; :meth:`QueryMatcher.match_layers`); None matches here.
        """
        num_frames, num_queries = cls.shape[:2]
        if match is None:
            match = self.matcher(cls, masks, targets)
        query_idx, matched = match  # [F, M], [F, M]
        num_total = self._num_total(matched.sum())

        labels = class_targets(query_idx, matched, targets.labels, num_queries,
                               self.num_classes)  # [F, N]
        weight = gt_valid[:, None].to(cls.dtype).expand(num_frames, num_queries)
        losses = {
            self.loss_cls.loss_name:
            self.loss_cls(cls.flatten(0, 1), labels.flatten(), weight=weight.flatten(),
                          avg_factor=num_total)
        }

        # Mask losses on importance-sampled points of the matched masks (Mask2Former).
        height, width = masks.shape[-2:]
        # (F, N, h, w) -> (F, M, h, w) -> (F*M, h, w): each slot's matched mask
        matched_logits = masks.gather(
            1, query_idx[:, :, None, None].expand(-1, -1, height, width)).flatten(0, 1)
        mask_targets = targets.masks.flatten(0, 1)  # (F, M, H, W) -> (F*M, H, W)
        mask_weight = matched.flatten().to(matched_logits.dtype)  # [F*M]
        with torch.no_grad():
            coords = get_uncertain_point_coords_with_randomness(
                matched_logits[:, None].float(), None, self.train_cfg['num_points'],
                self.train_cfg['oversample_ratio'],
                self.train_cfg['importance_sample_ratio'])  # [F*M, P, 2]
            point_targets = point_sample(mask_targets[:, None].float(), coords)[:, 0]
        point_preds = point_sample(matched_logits[:, None].float(), coords)[:, 0]  # [F*M, P]
        if self.loss_mask is not None:
            losses[self.loss_mask.loss_name] = self.loss_mask(
                point_preds, point_targets,
                weight=mask_weight[:, None].expand_as(point_preds),
                avg_factor=num_total * point_preds.shape[1])
        losses[self.loss_dice.loss_name] = self.loss_dice(
            point_preds, point_targets, weight=mask_weight, avg_factor=num_total)
        return losses

    def self_supervised_losses(self, outs: Dict[str, object], input_shape,
                               frames: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """AQDL (eq. 9-10) and AQML (eq. 11-12) on the final layer, with the sizes of
        ``S_1`` and ``S_2`` (mean per frame) for the log.

        Args:
            outs (dict): as :meth:`forward`'s.
            input_shape (tuple[int, int]): the network input size.
            frames (Tensor, optional): ``[F]`` bool, the frames the losses average over
                (not padding); None: all.
        """
        losses = dict()
        if not self.has_confidence_losses:
            return losses
        probs = query_confidence(outs['cls_logits'][-1], self.num_classes,
                                 self.confidence)  # [F, N]
        if self.loss_aqdl is not None:
            delta1 = self.thresholds[0]
            losses[self.loss_aqdl.loss_name] = self.loss_aqdl(outs['aqdl_embed'], probs, delta1,
                                                              frames)
            losses['aqdl_s1'] = self._mean_size(probs, delta1, frames)
        if self.loss_aqml is not None:
            masks = resample_to_stride(outs['mask_logits'][-1], input_shape,
                                       self.aqml_stride)  # [F, N, h', w']
            delta2 = self.thresholds[1]
            losses[self.loss_aqml.loss_name] = self.loss_aqml(masks.sigmoid(), probs, delta2,
                                                              frames)
            losses['aqml_s2'] = self._mean_size(probs, delta2, frames)
        return losses

    @staticmethod
    def _mean_size(probs: Tensor, threshold: Tensor, frames: Optional[Tensor]) -> Tensor:
        """Mean ``|S|`` over the frames the losses see (for the log)."""
        return frame_mean(selection_sizes(probs, threshold).float(), frames)  # over [F]

    @staticmethod
    def _num_total(num_instances: Tensor) -> Tensor:
        """Matched instances per process, averaged over processes, at least 1 (a tensor,
        so no host synchronisation).

        ``torch.distributed.all_reduce`` itself rather than mmengine's wrapper (the same sum
        divided by the world size), which ``torch.compile`` traces into the graph as a
        functional collective instead of breaking it.
        """
        num_total = num_instances.float().reshape(1)
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            dist.all_reduce(num_total)
            num_total = torch.true_divide(num_total, dist.get_world_size())
        return num_total.clamp(min=1)[0]
