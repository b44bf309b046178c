"""Pictures of clips: frames with ground-truth and predicted sounding masks."""
from typing import Dict, Optional, Sequence

import cv2
import mmcv
import numpy as np
from mmengine.visualization import Visualizer
from mmseg.registry import VISUALIZERS

from ..structures import AVSDataSample

__all__ = ['AVSLocalVisualizer', 'draw_clip', 'overlay_mask']

GT_COLOUR = (40, 220, 40)  # RGB
PRED_COLOUR = (230, 40, 40)
EXTRA_COLOUR = (240, 150, 20)


def overlay_mask(frame: np.ndarray,
                 mask: np.ndarray,
                 colour: Sequence[int] = PRED_COLOUR,
                 alpha: float = 0.5,
                 dim: float = 0.4) -> np.ndarray:
    """A frame with a mask tinted and outlined, and the rest of the frame dimmed.

    Dimming the outside keeps the mask readable whatever the colours of the objects.

    Args:
        frame (np.ndarray): RGB uint8 ``[H, W, 3]``.
        mask (np.ndarray): ``[H, W]``, non-zero = inside.
        colour (Sequence[int]): RGB tint and outline colour. Defaults to the prediction red.
        alpha (float): tint opacity in ``[0, 1]``. Defaults to 0.5.
        dim (float): brightness kept outside the mask, in ``[0, 1]``. Defaults to 0.4.

    Returns:
        np.ndarray: RGB uint8 ``[H, W, 3]`` (a new array).
    """
    out = frame.astype(np.float32)
    on = mask.astype(bool)
    out[on] = (1 - alpha) * out[on] + alpha * np.asarray(colour, np.float32)
    out[~on] *= dim
    out = out.clip(0, 255).astype(np.uint8)
    contours, _ = cv2.findContours(on.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(out, contours, -1, colour, 1)
    return out


def _label(img: np.ndarray, text: str) -> np.ndarray:
    img = img.copy()
    cv2.putText(img, text, (3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 2,
                cv2.LINE_AA)
    cv2.putText(img, text, (3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (255, 255, 255), 1,
                cv2.LINE_AA)
    return img


def draw_clip(frames: np.ndarray,
              pred: Optional[np.ndarray] = None,
              gt: Optional[np.ndarray] = None,
              gt_valid: Optional[Sequence[bool]] = None,
              alpha: float = 0.5,
              gap: int = 2,
              extra_preds: Optional[Dict[str, np.ndarray]] = None) -> np.ndarray:
    """A grid with one column per frame: ground truth on top (green), prediction below (red),
    then one row per extra prediction (e.g. the same model with the audio silenced).

    Args:
        frames (np.ndarray): RGB uint8 ``[T, H, W, 3]``.
        pred (np.ndarray, optional): ``[T, H, W]`` binary prediction.
        gt (np.ndarray, optional): ``[T, H, W]`` binary ground truth.
        gt_valid (Sequence[bool], optional): annotated frames; others are labelled "no GT".
        alpha (float): mask opacity.
        gap (int): white pixels between tiles.
        extra_preds (dict[str, np.ndarray], optional): more ``[T, H, W]`` binary predictions,
            drawn in orange and labelled with their key.

    Returns:
        np.ndarray: RGB uint8 image.
    """
    num_frames, height, width = frames.shape[:3]
    rows = []
    if gt is not None:
        valid = list(gt_valid) if gt_valid is not None else [True] * num_frames
        rows.append([
            _label(overlay_mask(f, m, GT_COLOUR, alpha), f'GT {t + 1}') if v else
            _label(f, f'{t + 1}: no GT') for t, (f, m, v) in enumerate(zip(frames, gt, valid))
        ])
    if pred is not None:
        rows.append([
            _label(overlay_mask(f, m, PRED_COLOUR, alpha), f'pred {t + 1}')
            for t, (f, m) in enumerate(zip(frames, pred))
        ])
    for name, mask in (extra_preds or {}).items():
        rows.append([
            _label(overlay_mask(f, m, EXTRA_COLOUR, alpha), f'{name} {t + 1}')
            for t, (f, m) in enumerate(zip(frames, mask))
        ])
    if not rows:
        rows.append(list(frames))
    canvas = np.full((len(rows) * (height + gap) - gap, num_frames * (width + gap) - gap, 3),
                     255, np.uint8)
    for r, row in enumerate(rows):
        for c, tile in enumerate(row):
            y, x = r * (height + gap), c * (width + gap)
            canvas[y:y + height, x:x + width] = tile
    return canvas


@VISUALIZERS.register_module()
class AVSLocalVisualizer(Visualizer):
    """Draws a clip's frames with its ground-truth and predicted masks (see :func:`draw_clip`).

    Args:
        name (str): instance name. Defaults to ``'visualizer'``.
        vis_backends (list[dict], optional): e.g. ``LocalVisBackend``,
            ``TensorboardVisBackend``.
        save_dir (str, optional): where backends save.
        alpha (float): mask opacity. Defaults to 0.5.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 vis_backends: Optional[list] = None,
                 save_dir: Optional[str] = None,
                 alpha: float = 0.5,
                 **kwargs) -> None:
        super().__init__(name=name, vis_backends=vis_backends, save_dir=save_dir, **kwargs)
        self.alpha = alpha

    def add_datasample(self,
                       name: str,
                       frames: np.ndarray,
                       data_sample: Optional[AVSDataSample] = None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       step: int = 0) -> np.ndarray:
        """Draws a clip and sends it to the backends (and ``out_file``).

        Args:
            name (str): image name.
            frames (np.ndarray): RGB uint8 ``[T, H, W, 3]`` at the prediction size.
            data_sample (AVSDataSample, optional): with ``gt_sem_seg`` / ``pred_sem_seg``.
            draw_gt (bool): draw the ground truth. Defaults to True.
            draw_pred (bool): draw the prediction. Defaults to True.
            show (bool): show the picture in a window.
            wait_time (float): seconds to show it.
            out_file (str, optional): also write the picture (PNG/JPG) here.
            step (int): global step for the backends.

        Returns:
            np.ndarray: the RGB picture.
        """
        gt = pred = valid = None
        if data_sample is not None:
            if draw_gt and 'gt_sem_seg' in data_sample:
                gt = data_sample.gt_sem_seg.data.cpu().numpy() > 0
                valid = data_sample.metainfo.get('gt_valid')
            if draw_pred and 'pred_sem_seg' in data_sample:
                pred = data_sample.pred_sem_seg.data.cpu().numpy() > 0
        image = draw_clip(frames, pred, gt, valid, self.alpha)
        self.set_image(image)
        if show:
            self.show(image, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(mmcv.rgb2bgr(image), out_file)
        else:
            self.add_image(name, image, step)
        return image
