"""Loading a clip's frames (files or arrays) and ground-truth masks (one sample = one clip)."""
import os
import os.path as osp
from typing import Iterable, List, Optional, Sequence, Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmseg.registry import TRANSFORMS

__all__ = ['read_image', 'LoadClipFrames', 'LoadClipFramesFromNDArray', 'LoadClipMasks']


def _check_scale(scale: Optional[Sequence[int]], name: str) -> Optional[Tuple[int, int]]:
    if scale is None:
        return None
    if len(scale) != 2 or any(int(s) != s or s < 1 for s in scale):
        raise ValueError(f'{name}: scale must be None or (w, h) with positive ints, got {scale!r}')
    return int(scale[0]), int(scale[1])


def read_image(path: str,
               flag: str = 'color',
               what: str = 'image',
               backend_args: Optional[dict] = None) -> np.ndarray:
    """Reads one image file (RGB channel order); errors name the file and say what was expected.

    Args:
        path (str): the image file (any mmengine file backend).
        flag (str): mmcv's ``imfrombytes`` flag: ``'color'`` gives ``[H, W, 3]`` RGB,
            ``'unchanged'`` keeps the stored channels. Defaults to ``'color'``.
        what (str): what the file is, for error messages (e.g. ``'frame 3/5 of clip X'``).
        backend_args (dict, optional): mmengine file backend arguments. Defaults to None.

    Returns:
        np.ndarray: uint8 ``[H, W, 3]`` (RGB) or ``[H, W(, C)]`` with ``'unchanged'``.

    Raises:
        FileNotFoundError: ``path`` does not exist (the message says what its folder holds).
        ValueError: ``path`` cannot be decoded as an image.
    """
    try:
        content = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        folder = osp.dirname(path)
        held = (f'its folder holds {len(os.listdir(folder))} file(s)' if osp.isdir(folder)
                else 'its folder does not exist')
        raise FileNotFoundError(f'{what} not found: {path} ({held})') from None
    try:
        img = mmcv.imfrombytes(content, flag=flag, channel_order='rgb')
    except Exception as err:  # decoders raise many types on corrupt data
        message = f'{what} is unreadable: {path} ({err}); expected a PNG/JPEG image'
        raise ValueError(message) from err
    if img is None or img.size == 0:
        raise ValueError(f'{what} is unreadable: {path} ({len(content)} bytes could not be '
                         'decoded); expected a PNG/JPEG image')
    return img


@TRANSFORMS.register_module()
class LoadClipFrames(BaseTransform):
    """Reads the ``T`` frames of a clip as RGB uint8 and resizes them to one size.

    Required Keys:

    - frame_paths (list[str]): ``T`` paths.
    - num_frames (int, optional): ``T``; when present, ``len(frame_paths)`` must equal it.

    Added Keys:

    - frames (np.uint8 ``[T, H, W, 3]``): RGB.
    - ori_shape (tuple[int, int]): ``(H, W)`` of the first frame on disk.
    - frame_ori_shapes (list[tuple[int, int]]): ``(H, W)`` of every frame on disk (used by
      :class:`LoadClipMasks` to validate the masks).
    - img_shape (tuple[int, int]): ``(H, W)`` after resizing.

    Args:
        scale (tuple[int, int], optional): Output size ``(w, h)``; frames of any size are
            resized to it. None keeps the size on disk, which must then be the same for all
            the clip's frames. Defaults to (224, 224).
        interpolation (str): mmcv interpolation for the resize. Defaults to 'bilinear'.
        backend_args (dict, optional): mmengine file backend arguments. Defaults to None.
    """

    def __init__(self,
                 scale: Optional[Sequence[int]] = (224, 224),
                 interpolation: str = 'bilinear',
                 backend_args: Optional[dict] = None) -> None:
        self.scale = _check_scale(scale, type(self).__name__)
        self.interpolation = interpolation
        self.backend_args = backend_args

    def _frames(self, results: dict) -> Tuple[List[str], Iterable[np.ndarray]]:
        """The clip's frames: names for messages and ``[h, w, 3]`` RGB uint8 images (lazy)."""
        paths: List[str] = list(results['frame_paths'])
        folder = osp.dirname(paths[0]) if paths else '<no frame paths>'
        expected = results.get('num_frames', len(paths))
        if not paths or len(paths) != expected:
            raise ValueError(f'clip {folder} has {len(paths)} frame path(s); expected '
                             f'num_frames={expected} (> 0)')
        images = (read_image(path, 'color', f'frame {i + 1}/{len(paths)} of clip {folder}',
                             self.backend_args) for i, path in enumerate(paths))
        return [f'frame {path}' for path in paths], images

    def transform(self, results: dict) -> dict:
        names, images = self._frames(results)
        frames, shapes = [], []
        for name, img in zip(names, images):  # img: [h, w, 3] RGB
            shapes.append(tuple(img.shape[:2]))
            if self.scale is not None:
                if img.shape[1::-1] != self.scale:
                    img = mmcv.imresize(img, self.scale, interpolation=self.interpolation)
            elif shapes[-1] != shapes[0]:
                raise ValueError(f'{name} is {img.shape[0]}x{img.shape[1]} (HxW) but '
                                 f'{names[0]} is {shapes[0][0]}x{shapes[0][1]}; with scale=None '
                                 'all frames of a clip must have one size (set a scale)')
            frames.append(img)
        results['frames'] = np.stack(frames)  # [T, H, W, 3] uint8
        results['ori_shape'] = shapes[0]
        results['frame_ori_shapes'] = shapes
        results['img_shape'] = results['frames'].shape[1:3]
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(scale={self.scale}, '
                f'interpolation={self.interpolation!r})')


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
    """

    def __init__(self,
                 scale: Optional[Sequence[int]] = (224, 224),
                 interpolation: str = 'bilinear') -> None:
        super().__init__(scale=scale, interpolation=interpolation)

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
