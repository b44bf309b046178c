"""Reading and writing the PNG files of the evaluation: ground-truth masks and predictions.

Ground-truth masks are AVSBench's single-channel PNGs with 0/255 (any non-zero value is
foreground). Predictions are stored as 8-bit single-channel PNGs holding the foreground
probability times 255 (the F-score needs the probability, not only the binary mask). The
encoding keeps the binary prediction exact: a stored value is ``>= 128`` (decoded probability
``> 0.5``) exactly where the probability was ``> 0.5``, so the Jaccard index of decoded
predictions equals the one of the original probabilities; the F-score sees the probability
quantised to steps of 1/255.

AVSBench-semantic labels and class predictions are RGB PNGs whose colours are palette entries
(:func:`write_palette_png`, :func:`read_palette_png`; the palette is
:func:`~projects.transavs.datasets.semantic_palette.bit_palette`); they are decoded exactly.
"""
import os
import os.path as osp
import uuid
from typing import Union

import numpy as np
from PIL import Image, UnidentifiedImageError
from torch import Tensor

from ..datasets.semantic_palette import colour_to_label, label_to_colour

__all__ = [
    'encode_prob_png', 'decode_prob_png', 'read_mask_png', 'read_prob_png', 'write_prob_png',
    'read_palette_png', 'write_palette_png'
]

ArrayLike = Union[np.ndarray, Tensor]


def _to_numpy(array: ArrayLike) -> np.ndarray:
    if isinstance(array, Tensor):
        return array.detach().cpu().numpy()
    return np.asarray(array)


def encode_prob_png(prob: ArrayLike) -> np.ndarray:
    """Encodes a foreground probability map as the 8-bit values of a prediction PNG.

    The value is ``round(prob * 255)``, adjusted by one step where rounding would move a
    pixel across the decision boundary: values are ``>= 128`` exactly where ``prob > 0.5``
    (``prob == 0.5`` gives 127, not 128).

    Args:
        prob (np.ndarray | Tensor): ``[H, W]`` probability in ``[0, 1]``.

    Returns:
        np.ndarray: ``[H, W]`` uint8.

    Raises:
        ValueError: if ``prob`` is not 2-D or holds values outside ``[0, 1]`` (or NaN).
    """
    prob = _to_numpy(prob).astype(np.float64)
    if prob.ndim != 2:
        raise ValueError(f'encode_prob_png expects a [H, W] probability map, got shape '
                         f'{prob.shape}')
    if prob.size and not (np.all(prob >= 0) and np.all(prob <= 1)):  # False for NaN too
        raise ValueError('encode_prob_png expects probabilities in [0, 1], got values in '
                         f'[{np.nanmin(prob)}, {np.nanmax(prob)}]'
                         + (' and NaN' if np.isnan(prob).any() else ''))
    value = np.rint(prob * 255.0)
    positive = prob > 0.5
    value = np.where(positive, np.maximum(value, 128), np.minimum(value, 127))
    return value.astype(np.uint8)


def decode_prob_png(array: ArrayLike) -> np.ndarray:
    """Decodes the 8-bit values of a prediction PNG into probabilities (``value / 255``).

    Args:
        array (np.ndarray | Tensor): ``[H, W]`` integer values in ``[0, 255]``.

    Returns:
        np.ndarray: ``[H, W]`` float32 in ``[0, 1]``; ``> 0.5`` exactly where the value is
        ``>= 128``.
    """
    array = _to_numpy(array)
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f'decode_prob_png expects integer values in [0, 255], got dtype '
                         f'{array.dtype}')
    if array.size and (array.min() < 0 or array.max() > 255):
        raise ValueError('decode_prob_png expects values in [0, 255], got '
                         f'[{array.min()}, {array.max()}]')
    return array.astype(np.float32) / np.float32(255.0)


def _load_png(path: str) -> Image.Image:
    """Opens and fully decodes an image, with errors that name the file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'PNG file not found: {path}')
    try:
        with Image.open(path) as image:
            image.load()
            return image.copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ValueError(f'cannot read {path} as an image (corrupt or not a PNG?): '
                         f'{error}') from error


def read_mask_png(path: str) -> np.ndarray:
    """Reads a ground-truth mask as a binary foreground map.

    A single-channel PNG is expected (AVSBench: 0/255); any non-zero value is foreground.
    Other images are accepted as follows: a colour (RGB) mask is foreground where any colour
    channel is non-zero; a palette image is first mapped to its colours; an alpha channel
    (LA, RGBA, PA) is ignored, since an opaque black pixel is background.

    Args:
        path (str): the PNG file.

    Returns:
        np.ndarray: ``[H, W]`` bool, True = foreground.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: if ``path`` cannot be decoded as an image.
    """
    image = _load_png(path)
    if image.mode in ('P', 'PA'):
        image = image.convert('RGBA')
    if image.mode in ('LA', 'RGBA', 'La', 'RGBa'):
        image = image.convert('RGB' if image.mode.startswith('RGB') else 'L')
    array = np.asarray(image)
    if array.ndim == 3:
        return np.any(array != 0, axis=-1)
    return array != 0


def read_prob_png(path: str) -> np.ndarray:
    """Reads a prediction PNG (8-bit, single channel, probability x 255).

    Args:
        path (str): the PNG file (as written by :func:`write_prob_png`).

    Returns:
        np.ndarray: ``[H, W]`` float32 probability (:func:`decode_prob_png`).

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: if ``path`` cannot be decoded or is not an 8-bit single-channel image.
    """
    image = _load_png(path)
    if image.mode != 'L':
        raise ValueError(f'{path}: a prediction PNG must be 8-bit single-channel (mode "L", '
                         f'foreground probability x 255), got mode {image.mode!r}')
    return decode_prob_png(np.asarray(image))


def write_prob_png(path: str, prob: ArrayLike) -> None:
    """Writes a probability map as a prediction PNG, creating missing folders.

    The file is written under a temporary name and then renamed, so concurrent writers of
    the same file (distributed evaluation pads with repeated clips) never leave a partial file.

    Args:
        path (str): the PNG file to write.
        prob (np.ndarray | Tensor): ``[H, W]`` probability in ``[0, 1]``
            (:func:`encode_prob_png`).
    """
    value = encode_prob_png(prob)
    _write_png_atomic(path, value)  # uint8 [H, W] -> mode 'L'


def _write_png_atomic(path: str, value: np.ndarray) -> None:
    """Saves a uint8 array as a PNG under a temporary name, then renames it to ``path``."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp_path = osp.join(folder, f'.{osp.basename(path)}.{os.getpid()}.{uuid.uuid4().hex}.tmp')
    try:
        Image.fromarray(value).save(tmp_path, format='PNG')
        os.replace(tmp_path, path)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise


def write_palette_png(path: str, labels: ArrayLike, palette: np.ndarray) -> None:
    """Writes a class map as an RGB palette-colour PNG, creating missing folders.

    As :func:`write_prob_png`, the file is written under a temporary name and renamed.

    Args:
        path (str): the PNG file to write.
        labels (np.ndarray | Tensor): ``[H, W]`` integer class indices in ``[0, K)``.
        palette (np.ndarray): uint8 ``[K, 3]`` RGB colours (``bit_palette(K)``).

    Raises:
        ValueError: ``labels`` is not an integer ``[H, W]`` map, or holds a label outside
            ``[0, K)``.
    """
    labels = _to_numpy(labels)
    if labels.ndim != 2 or not (np.issubdtype(labels.dtype, np.integer)
                                or labels.dtype == np.bool_):
        raise ValueError(f'write_palette_png expects an integer [H, W] class map, got shape '
                         f'{labels.shape} and dtype {labels.dtype} (for {path})')
    try:
        rgb = label_to_colour(labels, palette)  # [H, W] -> [H, W, 3] uint8
    except ValueError as err:
        raise ValueError(f'{path}: {err}') from None
    _write_png_atomic(path, np.ascontiguousarray(rgb))  # uint8 [H, W, 3] -> mode 'RGB'


def read_palette_png(path: str, palette: np.ndarray) -> np.ndarray:
    """Reads an RGB palette-colour PNG (a label or a prediction) as class indices.

    RGB, RGBA (alpha dropped) and indexed ('P', mapped to its colours) images are accepted;
    every colour must be a palette entry (exact match, :func:`colour_to_label`).

    Args:
        path (str): the PNG file.
        palette (np.ndarray): uint8 ``[K, 3]`` RGB colours (``bit_palette(K)``).

    Returns:
        np.ndarray: ``[H, W]`` class indices (uint8 for ``K <= 256``).

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: if ``path`` cannot be decoded, is not a colour image (a grey-level image
            could be class indices, which would be misread as colours) or holds a colour
            that is no palette entry; the message names the file.
    """
    image = _load_png(path)
    if image.mode in ('P', 'PA', 'RGBA', 'RGBa', 'RGBX'):
        image = image.convert('RGB')
    if image.mode != 'RGB':
        raise ValueError(f'{path}: expected an RGB palette-colour PNG (AVSBench-semantic '
                         f'labels_rgb), got mode {image.mode!r}')
    return colour_to_label(np.asarray(image), palette, what=path)

