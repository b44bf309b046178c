"""Loading a clip's frames (files or arrays) and ground-truth masks (one sample = one clip)."""
import os
import os.path as osp
import warnings
from typing import Iterable, List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmseg.registry import TRANSFORMS

from ..semantic_palette import bit_palette, colour_to_label

__all__ = [
    'read_image', 'resize_image', 'LoadClipFrames', 'LoadClipFramesFromNDArray', 'LoadClipMasks',
    'LoadClipSemanticLabels'
]
RESIZE_BACKENDS = ('cv2', 'pillow')


def _check_scale(scale: Optional[Sequence[int]], name: str) -> Optional[Tuple[int, int]]:
    if scale is None:
        return None
    if len(scale) != 2 or any(int(s) != s or s < 1 for s in scale):
        raise ValueError(f'{name}: scale must be None or (w, h) with positive ints, got {scale!r}')
    return int(scale[0]), int(scale[1])


# Where the end of a JPEG / PNG must lie: writers may append a few padding bytes after it.
_END_MARKER_TAIL = 1024
_JPEG_START, _JPEG_END = b'\xff\xd8', b'\xff\xd9'
_PNG_SIGNATURE, _PNG_END = b'\x89PNG\r\n\x1a\n', b'IEND'


def _truncation(content: bytes) -> Optional[str]:
    """Why a JPEG/PNG file is cut short, or None when its end marker is present.

    Decoders fill the missing part of a truncated JPEG/PNG with grey without an error (cv2)
    or raise only with ``LOAD_TRUNCATED_IMAGES`` off (PIL); the end marker (JPEG ``FFD9``,
    PNG ``IEND`` chunk) within the last kilobyte is checked instead, which costs nothing
    next to the decoding. Other formats are not checked.

    Args:
        content (bytes): the file's bytes.

    Returns:
        str | None: the reason, for the error message.
    """
    tail = content[-_END_MARKER_TAIL:]
    if content.startswith(_JPEG_START) and _JPEG_END not in tail:
        return 'a JPEG without its end marker FFD9'
    if content.startswith(_PNG_SIGNATURE) and _PNG_END not in tail:
        return 'a PNG without its IEND chunk'
    return None


def read_image(path: str,
               flag: str = 'color',
               what: str = 'image',
               backend_args: Optional[dict] = None,
               imdecode_backend: str = 'cv2') -> np.ndarray:
    """Reads one image file (RGB channel order); errors name the file and say what was expected.

    Args:
        path (str): the image file (any mmengine file backend).
        flag (str): mmcv's ``imfrombytes`` flag: ``'color'`` gives ``[H, W, 3]`` RGB,
            ``'unchanged'`` keeps the stored channels. Defaults to ``'color'``.
        what (str): what the file is, for error messages (e.g. ``'frame 3/5 of clip X'``).
        backend_args (dict, optional): mmengine file backend arguments. Defaults to None.
        imdecode_backend (str): mmcv's decoding backend, ``'cv2'`` or ``'pillow'`` (the
            official AVSBench-semantic loader decodes with PIL). Defaults to ``'cv2'``.

    Returns:
        np.ndarray: uint8 ``[H, W, 3]`` (RGB) or ``[H, W(, C)]`` with ``'unchanged'``.

    Raises:
        FileNotFoundError: ``path`` does not exist (the message says what its folder holds).
        ValueError: ``path`` cannot be decoded as an image, or is a truncated JPEG/PNG
            (no JPEG end marker ``FFD9`` / PNG ``IEND`` chunk at its end).
    """
    try:
        content = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        folder = osp.dirname(path)
        held = (f'its folder holds {len(os.listdir(folder))} file(s)' if osp.isdir(folder)
                else 'its folder does not exist')
        raise FileNotFoundError(f'{what} not found: {path} ({held})') from None
    truncated = _truncation(content)
    if truncated:
        raise ValueError(f'{what} is truncated: {path} ({len(content)} bytes, {truncated}); '
                         'the file was cut short (decoders would fill the rest with grey), '
                         're-extract or re-download it')
    try:
        img = mmcv.imfrombytes(content, flag=flag, channel_order='rgb',
                               backend=imdecode_backend)
    except Exception as err:  # decoders raise many types on corrupt data
        message = f'{what} is unreadable: {path} ({err}); expected a PNG/JPEG image'
        raise ValueError(message) from err
    if img is None or img.size == 0:
        raise ValueError(f'{what} is unreadable: {path} ({len(content)} bytes could not be '
                         'decoded); expected a PNG/JPEG image')
    return img


def _check_backend(backend: str, name: str) -> str:
    if backend not in RESIZE_BACKENDS:
        raise ValueError(f'{name}: backend must be one of {RESIZE_BACKENDS}, got {backend!r}')
    return backend


def resize_image(img: np.ndarray,
                 scale: Tuple[int, int],
                 interpolation: str = 'bilinear',
                 backend: str = 'cv2',
                 keep_ratio_crop: bool = False) -> np.ndarray:
    """Resizes an image (or label map) to ``scale``, directly or by resize-and-centre-crop.

    With ``keep_ratio_crop`` the image is resized, keeping its aspect ratio, so that it
    covers ``scale``, and the centre is cut out; for a square ``scale`` this is the official
    AVSBench-semantic training resize (``crop_resize_img``: the shorter side to the crop size,
    the other to ``int(long * short_new / short)``, the crop at ``round((size - crop) / 2)``).

    Args:
        img (np.ndarray): ``[H, W]`` or ``[H, W, C]``.
        scale (tuple[int, int]): Output ``(w, h)``.
        interpolation (str): mmcv interpolation (``'bilinear'``, ``'nearest'`` ...).
        backend (str): ``'cv2'`` or ``'pillow'`` (PIL's resampling, as the official
            AVSBench-semantic loader). Defaults to ``'cv2'``.
        keep_ratio_crop (bool): Resize-and-centre-crop instead of a plain resize.

    Returns:
        np.ndarray: ``[h, w(, C)]``, same dtype.
    """
    out_w, out_h = scale
    if not keep_ratio_crop:
        if img.shape[1::-1] != (out_w, out_h):
            img = mmcv.imresize(img, (out_w, out_h), interpolation=interpolation,
                                backend=backend)
        return img
    h, w = img.shape[:2]
    if w * out_h > h * out_w:  # wider than the crop: fit the height
        new_h = out_h
        new_w = int(1.0 * w * new_h / h)
    else:
        new_w = out_w
        new_h = int(1.0 * h * new_w / w)
    if (new_w, new_h) != (w, h):
        img = mmcv.imresize(img, (new_w, new_h), interpolation=interpolation, backend=backend)
    x1 = int(round((new_w - out_w) / 2.))
    y1 = int(round((new_h - out_h) / 2.))
    return img[y1:y1 + out_h, x1:x1 + out_w]


def _pad_colour(pad_value: Union[int, Sequence[int]], name: str) -> Tuple[int, int, int]:
    values = (pad_value, ) * 3 if isinstance(pad_value, (int, np.integer)) else tuple(pad_value)
    if len(values) != 3 or any(int(v) != v or not 0 <= v <= 255 for v in values):
        raise ValueError(f'{name}: pad_value must be an int or an (R, G, B) triple in [0, 255], '
                         f'got {pad_value!r}')
    return tuple(int(v) for v in values)


@TRANSFORMS.register_module()
class LoadClipFrames(BaseTransform):
    """Reads the ``T`` frames of a clip as RGB uint8 and resizes them to one size.

    Required Keys:

    - frame_paths (list[str | None]): ``T`` paths; None marks a padded frame (a short clip
      brought to ``T`` frames, AVSBench-semantic's v1 clips), filled with ``pad_value``.
    - num_frames (int, optional): ``T``; when present, ``len(frame_paths)`` must equal it.

    Added Keys:

    - frames (np.uint8 ``[T, H, W, 3]``): RGB.
    - ori_shape (tuple[int, int]): ``(H, W)`` of the first frame on disk.
    - frame_ori_shapes (list[tuple[int, int]]): ``(H, W)`` of every frame on disk (used by
      :class:`LoadClipMasks` to validate the masks); padded frames get the first frame's.
    - img_shape (tuple[int, int]): ``(H, W)`` after resizing.

    Args:
        scale (tuple[int, int], optional): Output size ``(w, h)``; frames of any size are
            resized to it. None keeps the size on disk, which must then be the same for all
            the clip's frames. Defaults to (224, 224).
        interpolation (str): mmcv interpolation for the resize. Defaults to 'bilinear'.
        backend (str): The resize backend, ``'cv2'`` or ``'pillow'``. Defaults to ``'cv2'``.
        imdecode_backend (str): The decoder, ``'cv2'`` or ``'pillow'``. Defaults to ``'cv2'``.
        keep_ratio_crop (bool): Resize keeping the aspect ratio to cover ``scale`` and cut the
            centre (:func:`resize_image`; AVSBench-semantic's training resize). Defaults to
            False (a plain resize to ``scale``).
        pad_value (int | tuple[int, int, int]): RGB fill of padded frames. Defaults to 0.
        backend_args (dict, optional): mmengine file backend arguments. Defaults to None.
    """

    def __init__(self,
                 scale: Optional[Sequence[int]] = (224, 224),
                 interpolation: str = 'bilinear',
                 backend: str = 'cv2',
                 imdecode_backend: str = 'cv2',
                 keep_ratio_crop: bool = False,
                 pad_value: Union[int, Sequence[int]] = 0,
                 backend_args: Optional[dict] = None) -> None:
        name = type(self).__name__
        self.scale = _check_scale(scale, name)
        self.interpolation = interpolation
        self.backend = _check_backend(backend, name)
        self.imdecode_backend = _check_backend(imdecode_backend, name)
        if keep_ratio_crop and self.scale is None:
            raise ValueError(f'{name}: keep_ratio_crop needs a scale (the crop size)')
        self.keep_ratio_crop = keep_ratio_crop
        self.pad_value = _pad_colour(pad_value, name)
        self.backend_args = backend_args

    def _frames(self, results: dict) -> Tuple[List[str], Iterable[Optional[np.ndarray]]]:
        """The clip's frames: names for messages and ``[h, w, 3]`` RGB uint8 images (lazy;
        None for padded frames)."""
        paths: List[Optional[str]] = list(results['frame_paths'])
        real = [p for p in paths if p is not None]
        folder = osp.dirname(real[0]) if real else '<no frame paths>'
        expected = results.get('num_frames', len(paths))
        if not real or len(paths) != expected:
            raise ValueError(f'clip {folder} has {len(paths)} frame path(s); expected '
                             f'num_frames={expected}, at least one of them real (not None); '
                             f'{len(real)} real given')
        images = (None if path is None else read_image(
            path, 'color', f'frame {i + 1}/{len(paths)} of clip {folder}', self.backend_args,
            self.imdecode_backend) for i, path in enumerate(paths))
        return [f'frame {path}' for path in paths], images

    def _resize(self, img: np.ndarray) -> np.ndarray:
        return resize_image(img, self.scale, self.interpolation, self.backend,
                            self.keep_ratio_crop)

    def transform(self, results: dict) -> dict:
        names, images = self._frames(results)
        frames, shapes, padded, first = [], [], [], None
        for name, img in zip(names, images):  # img: [h, w, 3] RGB, or None when padded
            padded.append(img is None)
            if img is None:
                shapes.append(None)
                frames.append(None)
                continue
            shapes.append(tuple(img.shape[:2]))
            first = first or (name, shapes[-1])
            if self.scale is not None:
                img = self._resize(img)
            elif shapes[-1] != first[1]:
                raise ValueError(f'{name} is {img.shape[0]}x{img.shape[1]} (HxW) but '
                                 f'{first[0]} is {first[1][0]}x{first[1][1]}; with scale=None '
                                 'all frames of a clip must have one size (set a scale)')
            frames.append(img)
        out_hw = next(f.shape[:2] for f in frames if f is not None)
        fill = np.empty(out_hw + (3, ), np.uint8)
        fill[...] = self.pad_value
        frames = [fill if f is None else f for f in frames]
        results['frames'] = np.stack(frames)  # [T, H, W, 3] uint8
        results['ori_shape'] = first[1]
        results['frame_ori_shapes'] = [first[1] if s is None else s for s in shapes]
        results['img_shape'] = results['frames'].shape[1:3]
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(scale={self.scale}, '
                f'interpolation={self.interpolation!r}, backend={self.backend!r}, '
                f'keep_ratio_crop={self.keep_ratio_crop}, pad_value={self.pad_value})')


@TRANSFORMS.register_module()
class LoadClipFramesFromNDArray(LoadClipFrames):
    """Takes a clip's ``T`` frames from arrays and resizes them as :class:`LoadClipFrames`.

    The array counterpart of :class:`LoadClipFrames` (as mmcv's ``LoadImageFromNDArray`` is
    of ``LoadImageFromFile``), for frames that are already decoded, e.g. in
    :func:`~projects.transavs.apis.inference_avs`.

    Required Keys:

    - frames (np.ndarray | list[np.ndarray]): ``[T, H, W, 3]``, or ``T`` arrays
      ``[H, W, 3]``; RGB uint8.
    - num_frames (int, optional): ``T``; when present, the number of frames must equal it.

    Modified Keys:

    - frames (np.uint8 ``[T, H, W, 3]``): RGB, resized.

    Added Keys:

    - ori_shape, frame_ori_shapes, img_shape: as :class:`LoadClipFrames`, with the arrays'
      sizes as the sizes "on disk".

    Args:
        scale (tuple[int, int], optional): Output size ``(w, h)``; None keeps the frames'
            size, which must then be the same for all of them. Defaults to (224, 224).
        interpolation (str): mmcv interpolation for the resize. Defaults to 'bilinear'.
        backend (str): The resize backend, ``'cv2'`` or ``'pillow'``. Defaults to ``'cv2'``.
        keep_ratio_crop (bool): Resize-and-centre-crop (see :class:`LoadClipFrames`).
            Defaults to False.
    """

    def __init__(self,
                 scale: Optional[Sequence[int]] = (224, 224),
                 interpolation: str = 'bilinear',
                 backend: str = 'cv2',
                 keep_ratio_crop: bool = False) -> None:
        super().__init__(scale=scale, interpolation=interpolation, backend=backend,
                         keep_ratio_crop=keep_ratio_crop)

    def _frames(self, results: dict) -> Tuple[List[str], Iterable[np.ndarray]]:
        owner = type(self).__name__
        if 'frames' not in results:
            raise KeyError(f"{owner}: results has no 'frames'; expected an RGB uint8 array "
                           '[T, H, W, 3] or a list of [H, W, 3] arrays')
        frames = results['frames']
        if isinstance(frames, np.ndarray):
            if frames.ndim != 4:
                raise ValueError(f"{owner}: results['frames'] has shape {frames.shape}; "
                                 'expected [T, H, W, 3] RGB uint8 (or a list of [H, W, 3])')
        frames = list(frames)  # [T, H, W, 3] -> T x [H, W, 3]
        expected = results.get('num_frames', len(frames))
        if not frames or len(frames) != expected:
            raise ValueError(f"{owner}: results['frames'] holds {len(frames)} frame(s); "
                             f'expected num_frames={expected} (> 0)')
        names = [f"results['frames'][{i}]" for i in range(len(frames))]
        for name, frame in zip(names, frames):
            if not isinstance(frame, np.ndarray):
                raise TypeError(f'{owner}: {name} is a {type(frame).__name__}; expected an '
                                'RGB uint8 array [H, W, 3]')
            if frame.dtype != np.uint8:
                raise TypeError(f'{owner}: {name} has dtype {frame.dtype}; expected uint8 RGB')
            if frame.ndim != 3 or frame.shape[2] != 3 or min(frame.shape[:2]) < 1:
                raise ValueError(f'{owner}: {name} has shape {frame.shape}; expected [H, W, 3] '
                                 'RGB uint8')
        return names, frames


@TRANSFORMS.register_module()
class LoadClipMasks(BaseTransform):
    """Reads the annotated frames' ground-truth masks of a clip as ``{0, 1}``.

    Masks are single-channel PNGs where any non-zero value is foreground (AVSBench uses
    0/255). A mask must have its frame's size on disk (any other size is corrupt data); it is
    then resized with nearest neighbour to ``scale``. Unannotated frames (``mask_paths[i]``
    None) get an all-zero mask; ``gt_valid`` tells them apart. Run after
    :class:`LoadClipFrames`.

    Required Keys:

    - mask_paths (list[str | None]): ``T`` entries.
    - frame_paths, frame_ori_shapes, img_shape (from :class:`LoadClipFrames`).

    Added Keys:

    - gt_masks (np.uint8 ``[T, H, W]``): 1 = sounding object.

    Args:
        scale (tuple[int, int], optional): Output size ``(w, h)``; must equal the frames'
            ``img_shape``. None follows the frames' ``img_shape``. Defaults to (224, 224).
        backend_args (dict, optional): mmengine file backend arguments. Defaults to None.
    """

    def __init__(self,
                 scale: Optional[Sequence[int]] = (224, 224),
                 backend_args: Optional[dict] = None) -> None:
        self.scale = _check_scale(scale, type(self).__name__)
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        if 'frame_ori_shapes' not in results:
            raise KeyError(f'{type(self).__name__} needs the frame sizes from LoadClipFrames; '
                           'put LoadClipFrames before it in the pipeline')
        mask_paths = list(results['mask_paths'])
        frame_paths = results['frame_paths']
        frame_shapes = results['frame_ori_shapes']
        if len(mask_paths) != len(frame_paths):
            raise ValueError(f'clip {osp.dirname(frame_paths[0])} has {len(mask_paths)} mask '
                             f'entries; expected one per frame ({len(frame_paths)}, None where '
                             'unannotated)')
        out_hw = tuple(results['img_shape'][:2])
        if self.scale is not None and self.scale[::-1] != out_hw:
            raise ValueError(f'{type(self).__name__} scale (w, h)={self.scale} differs from the '
                             f'frames\' img_shape (h, w)={out_hw}; use the same scale as '
                             'LoadClipFrames')
        masks = np.zeros((len(mask_paths), ) + out_hw, dtype=np.uint8)  # [T, H, W]
        for i, (path, frame_hw) in enumerate(zip(mask_paths, frame_shapes)):
            if path is None:
                continue
            raw = read_image(path, 'unchanged', f'mask of frame {i + 1}', self.backend_args)
            if raw.ndim == 3:  # a colour PNG: foreground where any colour channel is set
                raw = raw[..., :3].max(axis=2)
            if tuple(raw.shape[:2]) != tuple(frame_hw):
                raise ValueError(f'mask {path} is {raw.shape[0]}x{raw.shape[1]} (HxW) but its '
                                 f'frame {frame_paths[i]} is {frame_hw[0]}x{frame_hw[1]}; a mask '
                                 'must have its frame\'s size (corrupt data?)')
            binary = (raw > 0).astype(np.uint8)
            if binary.shape != out_hw:
                binary = mmcv.imresize(binary, out_hw[::-1], interpolation='nearest')
            masks[i] = binary
        results['gt_masks'] = masks
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(scale={self.scale})'


@TRANSFORMS.register_module()
class LoadClipSemanticLabels(BaseTransform):
    """Reads a clip's AVSBench-semantic palette labels as class indices ``[T, H, W]``.

    Each annotated frame's label is an RGB PNG whose colours are entries of the VOC bit
    palette (:func:`~projects.transavs.datasets.semantic_palette.bit_palette`); a pixel's
    class is the entry its colour equals. The colours are decoded at the size on disk (a
    colour outside the palette is an error giving the pixel count and the file), then the
    label map is resized with nearest neighbour exactly as the frames are (the official
    loader resizes the colour image with nearest neighbour, which picks the same pixels).
    Frames without a label (``mask_paths[i]`` None: unannotated or padded) get class 0;
    ``gt_valid`` tells them apart. Run after :class:`LoadClipFrames`.

    Required Keys:

    - mask_paths (list[str | None]): ``T`` entries.
    - frame_paths, frame_ori_shapes, img_shape (from :class:`LoadClipFrames`).
    - num_classes (int, optional): ``K``, when the ``num_classes`` argument is None.

    Added Keys:

    - gt_masks (np.uint8 ``[T, H, W]``): class indices, 0 = background.

    Args:
        scale (tuple[int, int], optional): Output size ``(w, h)``; must equal the frames'
            ``img_shape``. None follows the frames' ``img_shape``. Defaults to (224, 224).
        keep_ratio_crop (bool): Resize-and-centre-crop as :class:`LoadClipFrames`; use the
            frames' setting. Defaults to False.
        backend (str): The resize backend, ``'cv2'`` or ``'pillow'``. Defaults to ``'cv2'``.
        num_classes (int, optional): ``K``, background included (AVSBench-semantic: 71);
            defaults to ``results['num_classes']`` (the dataset's).
        backend_args (dict, optional): mmengine file backend arguments. Defaults to None.
    """

    def __init__(self,
                 scale: Optional[Sequence[int]] = (224, 224),
                 keep_ratio_crop: bool = False,
                 backend: str = 'cv2',
                 num_classes: Optional[int] = None,
                 backend_args: Optional[dict] = None) -> None:
        name = type(self).__name__
        self.scale = _check_scale(scale, name)
        self.keep_ratio_crop = keep_ratio_crop
        self.backend = _check_backend(backend, name)
        if num_classes is not None and not 1 < num_classes <= 255:
            raise ValueError(f'{name}: num_classes must be in [2, 255] (labels are uint8, 255 '
                             f'is the ignore index), got {num_classes}')
        self.num_classes = num_classes
        self.backend_args = backend_args
        self._palettes = {}

    def _palette(self, results: dict) -> np.ndarray:
        num = self.num_classes if self.num_classes is not None else results.get('num_classes')
        if num is None:
            raise KeyError(f'{type(self).__name__}: set num_classes, or give results a '
                           "'num_classes' (AVSBenchSemanticDataset does)")
        if not 1 < int(num) <= 255:
            raise ValueError(f'{type(self).__name__}: num_classes must be in [2, 255], got {num}')
        if num not in self._palettes:
            self._palettes[num] = bit_palette(int(num))
        return self._palettes[num]

    def transform(self, results: dict) -> dict:
        name = type(self).__name__
        if 'frame_ori_shapes' not in results:
            raise KeyError(f'{name} needs the frame sizes from LoadClipFrames; put '
                           'LoadClipFrames before it in the pipeline')
        mask_paths = list(results['mask_paths'])
        frame_paths = results['frame_paths']
        if len(mask_paths) != len(frame_paths):
            raise ValueError(f'{name}: clip has {len(mask_paths)} label entries for '
                             f'{len(frame_paths)} frames; expected one per frame (None where '
                             'unannotated or padded)')
        out_hw = tuple(results['img_shape'][:2])
        if self.scale is not None and self.scale[::-1] != out_hw:
            raise ValueError(f'{name} scale (w, h)={self.scale} differs from the frames\' '
                             f'img_shape (h, w)={out_hw}; use the same scale as LoadClipFrames')
        palette = self._palette(results)
        labels = np.zeros((len(mask_paths), ) + out_hw, dtype=np.uint8)  # [T, H, W]
        for i, path in enumerate(mask_paths):
            if path is None:
                continue
            rgb = read_image(path, 'color', f'label of frame {i + 1}', self.backend_args)
            label = colour_to_label(rgb, palette, f'label {path}')  # [h, w] uint8
            frame_hw = tuple(results['frame_ori_shapes'][i])
            if label.shape != frame_hw:
                if self.scale is None:
                    raise ValueError(f'label {path} is {label.shape[0]}x{label.shape[1]} (HxW) '
                                     f'but its frame {frame_paths[i]} is {frame_hw[0]}x'
                                     f'{frame_hw[1]}; set a scale to resize both')
                warnings.warn(f'{name}: label {path} is {label.shape[0]}x{label.shape[1]} (HxW) '
                              f'but its frame {frame_paths[i]} is {frame_hw[0]}x{frame_hw[1]}; '
                              'both are resized to the scale independently, as the official '
                              'loader does')
            if label.shape != out_hw:
                label = resize_image(label, out_hw[::-1], 'nearest', self.backend,
                                     self.keep_ratio_crop)
            labels[i] = label
        results['gt_masks'] = labels
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(scale={self.scale}, keep_ratio_crop='
                f'{self.keep_ratio_crop}, backend={self.backend!r}, '
                f'num_classes={self.num_classes})')
