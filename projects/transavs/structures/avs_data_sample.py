"""The data sample of one clip, shared by the pipeline, the model and the evaluator."""
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

__all__ = ['AVSDataSample']


class AVSDataSample(SegDataSample):
    """One clip of ``T`` frames: ground truth, predictions and meta information.

    A :class:`~mmseg.structures.SegDataSample` whose pixel fields hold one map per frame
    (PixelData of shape ``[T, H, W]``, frames along the first axis):

    - ``gt_sem_seg``: uint8 ``[T, H, W]`` class per pixel, 0 = background (S4 / MS3: 1 =
      sounding object; AVSBench-semantic: one of its 71 classes); all-zero for frames without
      annotation (see ``gt_valid``).
    - ``gt_instance_map`` (training, with ``ClipInstanceTargets``): uint8 ``[T, H, W]``, the
      ground-truth instance slot of each pixel (255: none); the tensor field
      ``gt_instance_labels`` (long ``[T, M]``) holds each slot's class (-1: empty).
    - ``pred_sem_seg``: uint8 ``[T, H, W]``, the class map of eq. 14-15 (binary tasks: the
      sounding mask).
    - ``pred_fg_prob``: float32 ``[T, H, W]``, per-pixel foreground (sounding) probability in
      ``[0, 1]`` (``pred_sem_seg > 0`` exactly where ``pred_fg_prob > 0.5``); the F-score of
      the binary tasks thresholds it.

    Meta information (``metainfo``) set by the dataset and the pipeline:

    - ``sample_idx`` (int): index of the clip in its dataset (evaluation order).
    - ``video_name`` (str), ``category`` (str or None), ``subset`` ('s4' | 'ms3', or
      AVSBench-semantic's 'v1s' | 'v1m' | 'v2'), ``split`` ('train' | 'val' | 'test'),
      ``num_frames`` (int, ``T``).
    - ``gt_valid`` (list[bool], length ``T``): which frames are annotated; only those are
      supervised and evaluated (S4 train: only the first).
    - ``frame_padded`` (list[bool], AVSBench-semantic): frames added to pad a 5-frame v1
      clip to 10 (no file: ``frame_paths`` entry None); ``AVSSMetric`` evaluates them as the
      official test does.
    - ``frame_paths`` (list[str | None]), ``mask_paths`` (list[str | None]),
      ``mask_rel_paths`` (list[str | None]: the mask path relative to the split's mask folder,
      or to the AVSBench-semantic root, where ``--out`` writes predictions), ``audio_path``
      (str).
    - ``ori_shape`` (tuple): frame size on disk ``(H, W)``; ``img_shape``: after resizing.
    - ``flip`` (bool), ``flip_direction`` (str | None): the clip-level flip applied.
    - ``instance_mode`` (``'components'`` | ``'semantic'``) and ``instance_num_classes``
      (int), with ``gt_instance_map``: how ``ClipInstanceTargets`` made it.
    """

    @property
    def pred_fg_prob(self) -> PixelData:
        return self._pred_fg_prob

    @pred_fg_prob.setter
    def pred_fg_prob(self, value: PixelData) -> None:
        self.set_field(value, '_pred_fg_prob', dtype=PixelData)

    @pred_fg_prob.deleter
    def pred_fg_prob(self) -> None:
        del self._pred_fg_prob
