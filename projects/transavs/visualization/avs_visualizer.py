"""Pictures of clips: frames with ground-truth and predicted sounding masks.

Binary tasks (S4, MS3) draw the ground truth in green and the prediction in red. Semantic
tasks (AVSBench-semantic, ``K > 2`` classes) draw every class in its palette colour
(:func:`overlay_labels`) and add a legend of the classes present (:func:`legend_strip`,
:func:`draw_legend`).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
from mmengine.visualization import Visualizer
from mmseg.registry import VISUALIZERS

from ..datasets.semantic_palette import bit_palette
from ..structures import AVSDataSample

__all__ = [
    'AVSLocalVisualizer', 'class_style', 'draw_clip', 'draw_legend', 'is_semantic',
    'legend_strip', 'overlay_labels', 'overlay_mask'
]

GT_COLOUR = (40, 220, 40)  # RGB
PRED_COLOUR = (230, 40, 40)
EXTRA_COLOUR = (240, 150, 20)

LegendEntry = Tuple[str, Sequence[int]]  # (class name, RGB colour)
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_FONT_SCALE = 0.35
_SWATCH = 9  # legend swatch side (px)
_ROW = 14  # legend row height (px)
_MARGIN = 4  # legend margin (px)
_SPACING = 10  # between legend entries (px)


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


def class_style(dataset_meta: Optional[dict] = None,
                num_classes: Optional[int] = None) -> Tuple[Tuple[str, ...], np.ndarray]:
    """The class names and palette colours to draw ``K`` classes with.

    The names and colours of ``dataset_meta`` (``classes``, ``palette``) are used where they
    exist; missing names are ``class_{i}`` (``background`` for 0) and missing colours are
    the entries of :func:`~projects.transavs.datasets.semantic_palette.bit_palette` (the
    AVSBench-semantic palette).

    Args:
        dataset_meta (dict, optional): a data set's metainfo (or a model's
            ``dataset_meta``) with ``classes`` (names) and ``palette`` (RGB triples).
        num_classes (int, optional): ``K``, background included. Defaults to the number of
            names (or colours) of ``dataset_meta``, at least 2.

    Returns:
        tuple: ``(names, palette)``: a tuple of ``K`` names and uint8 ``[K, 3]`` RGB colours.
    """
    meta = dataset_meta or {}
    names = [] if meta.get('classes') is None else [str(n) for n in meta['classes']]
    colours = np.zeros((0, 3), np.int64) if meta.get('palette') is None else np.asarray(
        meta['palette'], dtype=np.int64).reshape(-1, 3)
    if num_classes is None:
        num_classes = max(len(names), len(colours), 2)
    num_classes = int(num_classes)
    names = names[:num_classes] + [
        'background' if i == 0 else f'class_{i}' for i in range(len(names), num_classes)]
    palette = bit_palette(num_classes)
    known = min(len(colours), num_classes)
    palette[:known] = colours[:known].clip(0, 255).astype(np.uint8)
    return tuple(names), palette


def _extend_palette(palette: np.ndarray, labels: Sequence[np.ndarray]) -> np.ndarray:
    """``palette`` with :func:`bit_palette` entries added up to the largest label."""
    top = max([int(m.max()) for m in labels if m is not None and m.size] + [0])
    if top < len(palette):
        return palette
    extended = bit_palette(top + 1)
    extended[:len(palette)] = palette
    return extended


def overlay_labels(frame: np.ndarray,
                   labels: np.ndarray,
                   palette: np.ndarray,
                   alpha: float = 0.5,
                   dim: float = 1.0) -> np.ndarray:
    """A frame with every class tinted and outlined in its palette colour.

    Background pixels (class 0) are left as they are (unless ``dim`` < 1).

    Args:
        frame (np.ndarray): RGB uint8 ``[H, W, 3]``.
        labels (np.ndarray): ``[H, W]`` integer class map, 0 = background.
        palette (np.ndarray): uint8 ``[K, 3]`` RGB colours (entry ``c`` for class ``c``);
            classes beyond it take :func:`bit_palette` colours.
        alpha (float): tint opacity in ``[0, 1]``. Defaults to 0.5.
        dim (float): brightness kept on the background, in ``[0, 1]``. Defaults to 1.0
            (untouched).

    Returns:
        np.ndarray: RGB uint8 ``[H, W, 3]`` (a new array).
    """
    labels = np.asarray(labels).astype(np.int64)
    palette = _extend_palette(np.asarray(palette, np.uint8), [labels])
    out = frame.astype(np.float32)
    on = labels > 0
    colours = palette[labels].astype(np.float32)  # [H, W, 3]
    out[on] = (1 - alpha) * out[on] + alpha * colours[on]
    if dim != 1.0:
        out[~on] *= dim
    out = out.clip(0, 255).astype(np.uint8)
    for cls in np.unique(labels[on]):
        contours, _ = cv2.findContours((labels == cls).astype(np.uint8), cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(out, contours, -1, tuple(int(v) for v in palette[cls]), 1)
    return out


def _legend_layout(entries: Sequence[LegendEntry], width: int) -> Tuple[List[Tuple[int, int]],
                                                                        int, int]:
    """Top-left corners of the legend entries laid out in rows of ``width`` pixels.

    Returns:
        tuple: the ``(x, y)`` of each entry's swatch, the height and the width needed (at
        least ``width``; more when one entry alone is wider).
    """
    x = y = _MARGIN
    corners, needed = [], width
    for name, _ in entries:
        entry_w = _SWATCH + 3 + cv2.getTextSize(name, _FONT, _FONT_SCALE, 1)[0][0]
        if x > _MARGIN and x + entry_w > width - _MARGIN:
            x, y = _MARGIN, y + _ROW
        corners.append((x, y))
        needed = max(needed, x + entry_w + _MARGIN)
        x += entry_w + _SPACING
    return corners, y + _SWATCH + _MARGIN, needed


def _draw_entries(img: np.ndarray, entries: Sequence[LegendEntry],
                  corners: Sequence[Tuple[int, int]], on_picture: bool) -> None:
    """Draws swatches and names in place: dark text on a blank strip, or outlined white
    text on a picture."""
    for (name, colour), (x, y) in zip(entries, corners):
        colour = tuple(int(v) for v in colour)
        border = (255, 255, 255) if on_picture else (0, 0, 0)
        cv2.rectangle(img, (x, y), (x + _SWATCH - 1, y + _SWATCH - 1), colour, -1)
        cv2.rectangle(img, (x - 1, y - 1), (x + _SWATCH, y + _SWATCH), border, 1)
        origin = (x + _SWATCH + 3, y + _SWATCH - 1)
        if on_picture:
            cv2.putText(img, name, origin, _FONT, _FONT_SCALE, (0, 0, 0), 2, cv2.LINE_AA)
            cv2.putText(img, name, origin, _FONT, _FONT_SCALE, (255, 255, 255), 1,
                        cv2.LINE_AA)
        else:
            cv2.putText(img, name, origin, _FONT, _FONT_SCALE, (0, 0, 0), 1, cv2.LINE_AA)


def legend_strip(entries: Sequence[LegendEntry], width: int) -> np.ndarray:
    """A white strip with one colour swatch and name per class, in rows.

    Args:
        entries (Sequence[tuple[str, Sequence[int]]]): ``(name, RGB colour)`` per class, in
            drawing order.
        width (int): the strip's width; it grows when a single entry is wider.

    Returns:
        np.ndarray: RGB uint8 ``[h, w, 3]``.
    """
    corners, height, width = _legend_layout(entries, max(int(width), 1))
    strip = np.full((height, width, 3), 255, np.uint8)
    _draw_entries(strip, entries, corners, on_picture=False)
    return strip


def draw_legend(img: np.ndarray, entries: Sequence[LegendEntry]) -> np.ndarray:
    """A picture with a legend (colour swatch and name per class) in its top-left corner.

    For pictures whose size must not change (video frames); entries that do not fit are cut.

    Args:
        img (np.ndarray): RGB uint8 ``[H, W, 3]``.
        entries (Sequence[tuple[str, Sequence[int]]]): ``(name, RGB colour)`` per class.

    Returns:
        np.ndarray: RGB uint8 ``[H, W, 3]`` (a new array).
    """
    out = img.copy()
    corners, _, _ = _legend_layout(entries, out.shape[1])
    _draw_entries(out, entries, corners, on_picture=True)
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
              extra_preds: Optional[Dict[str, np.ndarray]] = None,
              classes: Optional[Sequence[str]] = None,
              palette: Optional[np.ndarray] = None,
              frame_numbers: Optional[Sequence[int]] = None) -> np.ndarray:
    """A grid with one column per frame: ground truth on top (green), prediction below (red),
    then one row per extra prediction (e.g. the same model with the audio silenced).

    Semantic pictures (``classes`` or ``palette`` given): the maps are class maps, each class
    is drawn in its palette colour (:func:`overlay_labels`, the background untouched) and a
    legend below the grid lists the classes present in the drawn maps (unannotated ground
    truth left out), by class index (:func:`legend_strip`).

    Args:
        frames (np.ndarray): RGB uint8 ``[T, H, W, 3]``.
        pred (np.ndarray, optional): ``[T, H, W]`` binary prediction (class map when
            semantic).
        gt (np.ndarray, optional): ``[T, H, W]`` binary ground truth (class map when
            semantic).
        gt_valid (Sequence[bool], optional): annotated frames; others are labelled "no GT".
        alpha (float): mask opacity.
        gap (int): white pixels between tiles.
        extra_preds (dict[str, np.ndarray], optional): more ``[T, H, W]`` binary predictions
            (class maps when semantic), drawn in orange (in palette colours) and labelled
            with their key.
        classes (Sequence[str], optional): class names (index = class); makes the picture
            semantic. Missing names are ``class_{i}``.
        palette (np.ndarray, optional): ``[K, 3]`` RGB colours; makes the picture semantic.
            Defaults to :func:`bit_palette` when only ``classes`` is given.
        frame_numbers (Sequence[int], optional): the number written on each column's tiles.
            Defaults to ``1 .. T``.

    Returns:
        np.ndarray: RGB uint8 image.
    """
    num_frames, height, width = frames.shape[:3]
    numbers = list(frame_numbers) if frame_numbers is not None else list(
        range(1, num_frames + 1))
    semantic = classes is not None or palette is not None
    valid = list(gt_valid) if gt_valid is not None else [True] * num_frames
    if semantic:
        maps = [m for m in (pred, *(extra_preds or {}).values()) if m is not None]
        if gt is not None:
            maps += [g for g, v in zip(gt, valid) if v]
        names, base = class_style(dict(classes=classes, palette=palette))
        colours = _extend_palette(base, [np.asarray(m) for m in maps])

    def paint(frame: np.ndarray, mask: np.ndarray, colour: Sequence[int]) -> np.ndarray:
        if semantic:  # class colours instead of the row's colour
            return overlay_labels(frame, mask, colours, alpha)
        return overlay_mask(frame, mask, colour, alpha)

    rows = []
    if gt is not None:
        rows.append([
            _label(paint(f, m, GT_COLOUR), f'GT {n}') if v else _label(f, f'{n}: no GT')
            for f, m, v, n in zip(frames, gt, valid, numbers)
        ])
    if pred is not None:
        rows.append([
            _label(paint(f, m, PRED_COLOUR), f'pred {n}')
            for f, m, n in zip(frames, pred, numbers)
        ])
    for name, mask in (extra_preds or {}).items():
        rows.append([
            _label(paint(f, m, EXTRA_COLOUR), f'{name} {n}')
            for f, m, n in zip(frames, mask, numbers)
        ])
    if not rows:
        rows.append(list(frames))
    canvas = np.full((len(rows) * (height + gap) - gap, num_frames * (width + gap) - gap, 3),
                     255, np.uint8)
    for r, row in enumerate(rows):
        for c, tile in enumerate(row):
            y, x = r * (height + gap), c * (width + gap)
            canvas[y:y + height, x:x + width] = tile
    if not semantic:
        return canvas
    present = sorted(set().union(*[np.unique(np.asarray(m)).tolist() for m in maps]) - {0})
    entries = [(names[c] if c < len(names) else f'class_{c}', colours[c]) for c in present]
    strip = legend_strip(entries or [('no sounding object', (255, 255, 255))],
                         canvas.shape[1])
    picture = np.full((canvas.shape[0] + gap + strip.shape[0], strip.shape[1], 3), 255,
                      np.uint8)
    picture[:canvas.shape[0], :canvas.shape[1]] = canvas
    picture[canvas.shape[0] + gap:] = strip
    return picture


def is_semantic(dataset_meta: Optional[dict] = None, *maps: Optional[np.ndarray]) -> bool:
    """Whether to draw class maps as a semantic picture.

    Args:
        dataset_meta (dict, optional): the data set's metainfo.
        *maps (np.ndarray, optional): class maps to draw.

    Returns:
        bool: True when the metainfo says ``task='semantic'`` or has more than two classes
        (or colours), or a map holds a class above 1.
    """
    meta = dataset_meta or {}
    if meta.get('task') == 'semantic':
        return True
    if meta.get('classes') is not None and len(meta['classes']) > 2:
        return True
    if meta.get('palette') is not None and len(meta['palette']) > 2:
        return True
    return any(m is not None and m.size and int(m.max()) > 1 for m in maps)


@VISUALIZERS.register_module()
class AVSLocalVisualizer(Visualizer):
    """Draws a clip's frames with its ground-truth and predicted masks (see :func:`draw_clip`).

    Semantic data sets (``dataset_meta`` with ``task='semantic'`` or more than two
    ``classes``; the runner sets ``dataset_meta`` from the validation / test data set's
    metainfo) are drawn in the palette colours of their classes with a legend of the class
    names; so are class maps holding a class above 1 without metainfo (names ``class_{i}``,
    :func:`bit_palette` colours). Binary data sets are drawn in green (ground truth) and red
    (prediction).

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

        Padded frames (metainfo ``frame_padded`` True, or ``frame_paths`` None: frames a
        loader added to bring a short clip to ``T``) are left out of the picture; the
        columns keep the frames' numbers.

        Args:
            name (str): image name.
            frames (np.ndarray): RGB uint8 ``[T, H, W, 3]`` at the prediction size, or only
                the clip's real (not padded) frames.
            data_sample (AVSDataSample, optional): with ``gt_sem_seg`` / ``pred_sem_seg``.
            draw_gt (bool): draw the ground truth. Defaults to True.
            draw_pred (bool): draw the prediction. Defaults to True.
            show (bool): show the picture in a window.
            wait_time (float): seconds to show it.
            out_file (str, optional): also write the picture (PNG/JPG) here.
            step (int): global step for the backends.

        Returns:
            np.ndarray: the RGB picture.

        Raises:
            ValueError: ``frames`` holds neither ``T`` frames nor the real ones.
        """
        gt = pred = valid = None
        padded = None
        if data_sample is not None:
            if draw_gt and 'gt_sem_seg' in data_sample:
                gt = data_sample.gt_sem_seg.data.cpu().numpy()
                valid = data_sample.metainfo.get('gt_valid')
            if draw_pred and 'pred_sem_seg' in data_sample:
                pred = data_sample.pred_sem_seg.data.cpu().numpy()
            padded = _padded_frames(data_sample.metainfo)
        style = {}
        if is_semantic(self.dataset_meta, gt, pred):
            names, palette = class_style(self.dataset_meta)
            style = dict(classes=names, palette=palette)
        else:
            gt = None if gt is None else gt > 0
            pred = None if pred is None else pred > 0
        if padded is not None and any(padded):
            keep = [not p for p in padded]
            if len(frames) == len(keep):
                frames = frames[np.asarray(keep)]
            elif len(frames) != sum(keep):
                raise ValueError(f'{name}: {len(frames)} frames given for a clip of '
                                 f'{len(keep)} frames, {sum(keep)} of them not padded')
            gt = None if gt is None else gt[np.asarray(keep)]
            pred = None if pred is None else pred[np.asarray(keep)]
            if valid is not None:
                valid = [v for v, k in zip(valid, keep) if k]
            style['frame_numbers'] = [i + 1 for i, k in enumerate(keep) if k]
        image = draw_clip(frames, pred, gt, valid, self.alpha, **style)
        self.set_image(image)
        if show:
            self.show(image, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(mmcv.rgb2bgr(image), out_file)
        else:
            self.add_image(name, image, step)
        return image


def _padded_frames(metainfo: dict) -> Optional[List[bool]]:
    """``[T]`` flags of padded frames: ``frame_padded``, else None entries of
    ``frame_paths``; None when the metainfo has neither."""
    if metainfo.get('frame_padded') is not None:
        return [bool(p) for p in metainfo['frame_padded']]
    if metainfo.get('frame_paths') is not None:
        return [p is None for p in metainfo['frame_paths']]
    return None
