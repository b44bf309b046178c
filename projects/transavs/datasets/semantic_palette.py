"""The AVSBench-semantic colour palette and its class index (``label2idx.json``).

AVSBench-semantic stores ground truth as RGB PNGs (``labels_rgb``) whose colours are the
entries of the "VOC bit palette" of 71 classes: entry ``j`` spreads the bits of ``j`` over
the high bits of R, G and B (the official ``get_v2_pallete``); entry 0 (black) is the
background. Class ``j`` is the ``j``-th name of ``label2idx.json`` (the official loader uses
only the order of its keys). Decoding is exact: a pixel's class is the entry its colour
equals; a colour that is no entry is an error here (the official code silently makes it
background).

Written by hand because the palette is AVSBench's own (mmseg's palettes are per data set and
hold other colours).
"""
import json
import os.path as osp
from typing import Sequence, Tuple, Union

import numpy as np

__all__ = [
    'AVSS_NUM_CLASSES', 'AVSS_CLASSES', 'bit_palette', 'read_label_index', 'colour_to_label',
    'label_to_colour'
]

#: classes of AVSBench-semantic, background included
AVSS_NUM_CLASSES = 71
#: the class names of the release's ``label2idx.json`` in its order (class 0 = background);
#: the synthetic generator writes them. The dataset always reads the file itself.
AVSS_CLASSES = (
    'background', 'accordion', 'airplane', 'axe', 'baby', 'bassoon', 'bell', 'bird', 'boat',
    'boy', 'bus', 'car', 'cat', 'cello', 'clarinet', 'clipper', 'clock', 'dog', 'donkey',
    'drum', 'duck', 'elephant', 'emergency-car', 'erhu', 'flute', 'frying-food', 'girl',
    'goose', 'guitar', 'gun', 'guzheng', 'hair-dryer', 'handpan', 'harmonica', 'harp',
    'helicopter', 'hen', 'horse', 'keyboard', 'leopard', 'lion', 'man', 'marimba',
    'missile-rocket', 'motorcycle', 'mower', 'parrot', 'piano', 'pig', 'pipa', 'saw',
    'saxophone', 'sheep', 'sitar', 'sorna', 'squirrel', 'tabla', 'tank', 'tiger', 'tractor',
    'train', 'trombone', 'truck', 'trumpet', 'tuba', 'ukulele', 'utv', 'vacuum-cleaner',
    'violin', 'wolf', 'woman')


def bit_palette(num_classes: int = AVSS_NUM_CLASSES) -> np.ndarray:
    """The VOC bit palette: entry ``j`` puts bit ``3i + c`` of ``j`` at bit ``7 - i`` of
    channel ``c`` (R, G, B).

    Args:
        num_classes (int): Entries. Defaults to 71 (AVSBench-semantic).

    Returns:
        np.ndarray: uint8 ``[num_classes, 3]`` RGB; distinct entries, entry 0 black.
    """
    if not isinstance(num_classes, (int, np.integer)) or not 1 <= num_classes <= 2**24:
        raise ValueError(f'num_classes must be an int in [1, 2**24], got {num_classes!r}')
    palette = np.zeros((num_classes, 3), dtype=np.uint8)
    for j in range(num_classes):
        label, bit = j, 0
        while label > 0:
            for channel in range(3):
                palette[j, channel] |= ((label >> channel) & 1) << (7 - bit)
            bit += 1
            label >>= 3
    return palette


def read_label_index(path: str) -> Tuple[str, ...]:
    """The class names of a ``label2idx.json``, in class order (class 0 = background).

    The file maps names to indices (``{"background": 1, "accordion": 2, ...}``); as the
    official loader, the order of the keys gives the classes. Indices, when given, must
    count up in that order from 0 or 1, so that the order and the values cannot disagree.
    A JSON list of names is accepted too.

    Args:
        path (str): The JSON file.

    Returns:
        tuple[str, ...]: The names; the first is ``'background'``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: not JSON, not an object (or list) of unique names, values that are not
            consecutive indices in key order, or a first name other than ``'background'``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'label index not found: {path} (expected AVSBench-semantic\'s '
                                'label2idx.json: {"background": 1, "accordion": 2, ...})')
    try:
        with open(path, encoding='utf-8') as f:
            content = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f'label index {path} is not valid JSON ({err}); expected '
                         '{"background": 1, "accordion": 2, ...}') from None
    if isinstance(content, dict):
        names = list(content)
        values = list(content.values())
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise ValueError(f'label index {path}: values must be integer class indices, got '
                             f'{[v for v in values if not isinstance(v, int)][:3]}')
        start = values[0] if values else 0
        if start not in (0, 1) or values != list(range(start, start + len(values))):
            raise ValueError(f'label index {path}: indices must count up from 0 or 1 in key '
                             f'order (the class order), got {values[:8]}...')
    elif isinstance(content, list):
        names = content
    else:
        raise ValueError(f'label index {path} holds a JSON {type(content).__name__}; expected '
                         'an object {"background": 1, "accordion": 2, ...}')
    if not names or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f'label index {path}: expected non-empty class names, got '
                         f'{names[:5]!r}')
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f'label index {path}: duplicated class names {dup}')
    if names[0] != 'background':
        raise ValueError(f'label index {path}: the first class must be "background" (palette '
                         f'entry 0, black), got {names[0]!r}')
    return tuple(names)


def _colour_keys(rgb: np.ndarray) -> np.ndarray:
    """``[..., 3]`` uint8 RGB -> ``[...]`` int32 ``R << 16 | G << 8 | B``."""
    rgb = rgb.astype(np.int32)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def colour_to_label(rgb: np.ndarray, palette: np.ndarray, what: str = 'label image') -> np.ndarray:
    """Decodes an RGB palette image to class indices by exact colour match.

    Args:
        rgb (np.ndarray): uint8 ``[H, W, 3]`` RGB (an alpha channel, if any, is dropped).
        palette (np.ndarray): uint8 ``[K, 3]`` (:func:`bit_palette`).
        what (str): The image's name for messages (e.g. its path).

    Returns:
        np.ndarray: uint8 ``[H, W]`` class indices (int32 when ``K > 256``).

    Raises:
        ValueError: ``rgb`` is not ``[H, W, 3]``, or holds colours that are no palette entry
            (the message gives their pixel count and the first colours).
    """
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] < 3:
        raise ValueError(f'{what} has shape {rgb.shape}; expected an RGB palette image '
                         '[H, W, 3]')
    keys = _colour_keys(rgb[..., :3])  # [H, W]
    entries = _colour_keys(np.asarray(palette, dtype=np.uint8))  # [K]
    order = np.argsort(entries, kind='stable')
    sorted_entries = entries[order]
    pos = np.searchsorted(sorted_entries, keys).clip(max=len(entries) - 1)
    known = sorted_entries[pos] == keys
    if not known.all():
        bad = keys[~known]
        colours, counts = np.unique(bad, return_counts=True)
        first = [((int(c) >> 16) & 255, (int(c) >> 8) & 255, int(c) & 255)
                 for c in colours[np.argsort(-counts)][:3]]
        raise ValueError(f'{what}: {bad.size} pixel(s) in {colours.size} colour(s) are not in '
                         f'the {len(entries)}-class palette (most frequent RGB: {first}); '
                         'expected AVSBench-semantic palette colours only (is it a JPEG, or '
                         'resized with interpolation?)')
    dtype = np.uint8 if len(entries) <= 256 else np.int32
    return order[pos].astype(dtype)


def label_to_colour(labels: Union[np.ndarray, Sequence], palette: np.ndarray) -> np.ndarray:
    """Encodes class indices as palette colours (the inverse of :func:`colour_to_label`).

    Args:
        labels (np.ndarray): ``[H, W]`` integer class indices in ``[0, K)``.
        palette (np.ndarray): uint8 ``[K, 3]``.

    Returns:
        np.ndarray: uint8 ``[H, W, 3]`` RGB.

    Raises:
        ValueError: a label outside ``[0, K)``.
    """
    labels = np.asarray(labels)
    palette = np.asarray(palette, dtype=np.uint8)
    if labels.size and (labels.min() < 0 or labels.max() >= len(palette)):
        raise ValueError(f'labels in [{labels.min()}, {labels.max()}] do not fit the '
                         f'{len(palette)}-entry palette')
    return palette[labels.astype(np.int64)]
