"""The look and the sound of each category of the synthetic AVSBench data.

Every category has its own look (a shape and a colour) and its own sound (a chord of
harmonics at category-specific frequencies with a category-specific amplitude modulation).
Both are functions of the category's index (:func:`category_index`: one per name of the S4
categories and of the AVSBench-semantic classes); every index below :data:`NUM_LOOKS` gives
a distinct (shape, colour) pair and a distinct sound.
"""
import colorsys
import math
from typing import Dict, Tuple

from ..semantic_palette import AVSS_CLASSES

__all__ = [
    'CATEGORIES', 'SEMANTIC_CATEGORIES', 'SHAPES', 'NUM_LOOKS', 'category_index',
    'category_colour', 'category_shape', 'category_sound_params'
]

# The 23 AVSBench S4 categories, in the official (alphabetical) order.
CATEGORIES = (
    'ambulance_siren', 'baby_laughter', 'cap_gun_shooting', 'cat_meowing', 'chainsawing_trees',
    'coyote_howling', 'dog_barking', 'driving_buses', 'female_singing', 'helicopter',
    'horse_clip-clop', 'lawn_mowing', 'lions_roaring', 'male_speech', 'mynah_bird_singing',
    'playing_acoustic_guitar', 'playing_glockenspiel', 'playing_piano', 'playing_tabla',
    'playing_ukulele', 'playing_violin', 'race_car', 'typing_on_computer_keyboard')
#: the sounding categories of the synthetic AVSBench-semantic data: the 70 AVSS classes
#: without the background, in class order (``SEMANTIC_CATEGORIES[k]`` is class ``k + 1``)
SEMANTIC_CATEGORIES = AVSS_CLASSES[1:]
SHAPES = ('circle', 'square', 'triangle', 'star', 'cross', 'ring', 'hexagon', 'ellipse',
          'diamond', 'crescent', 'pentagon', 'kite')
#: how many categories have a look and a sound (the S4 ones, then the other AVSS classes)
NUM_LOOKS = len(CATEGORIES) + len(set(SEMANTIC_CATEGORIES) - set(CATEGORIES))
_INDEX = {name: k for k, name in enumerate(
    CATEGORIES + tuple(c for c in SEMANTIC_CATEGORIES if c not in CATEGORIES))}
_GOLDEN = (math.sqrt(5) - 1) / 2  # spreads hues / pitches of consecutive categories apart
# Partial frequency ratios (harmonic, fifths, bell-like, odd) and their amplitudes.
_PARTIALS = (((1.0, 2.0, 3.0), (1.0, 0.5, 0.3)), ((1.0, 1.5, 2.0), (1.0, 0.7, 0.4)),
             ((1.0, 2.76, 5.4), (1.0, 0.6, 0.35)), ((1.0, 3.0, 5.0), (1.0, 0.45, 0.25)))


def category_index(name: str) -> int:
    """The index that gives a category its look and sound.

    The 23 S4 categories keep their position in :data:`CATEGORIES`; the AVSBench-semantic
    classes that are not among them ('helicopter' is) follow in class order (23, 24, ...), so
    that every category of either data set has its own index, its own look and its own sound.

    Args:
        name (str): An S4 category or an AVSBench-semantic class (background excluded).

    Returns:
        int: The index for :func:`category_colour`, :func:`category_shape` and
        :func:`category_sound_params`, in ``[0, NUM_LOOKS)`` (92).

    Raises:
        ValueError: An unknown name.
    """
    try:
        return _INDEX[name]
    except KeyError:
        raise ValueError(f'unknown synthetic category {name!r}; expected an S4 category or an '
                         'AVSBench-semantic class other than background') from None


def category_colour(index: int) -> Tuple[int, int, int]:
    """The RGB colour of a category (saturated; hues spread by the golden ratio).

    Args:
        index (int): The category's index (:func:`category_index`).

    Returns:
        tuple[int, int, int]: ``(r, g, b)`` in [0, 255].
    """
    hue = (index * _GOLDEN) % 1.0
    value = 0.95 if index % 2 == 0 else 0.8
    return tuple(int(round(255 * c)) for c in colorsys.hsv_to_rgb(hue, 0.85, value))


def category_shape(index: int) -> str:
    """The shape of a category.

    Args:
        index (int): The category's index (:func:`category_index`).

    Returns:
        str: One of :data:`SHAPES`.
    """
    return SHAPES[index % len(SHAPES)]


def category_sound_params(index: int) -> Dict[str, object]:
    """The tonal signature of a category.

    Args:
        index (int): The category's index (:func:`category_index`).

    Returns:
        dict: ``freqs`` (Hz of the partials), ``amps`` (their amplitudes), ``am_rate`` (Hz of
        the amplitude modulation) and ``am_depth`` (in [0, 1)).
    """
    f0 = 180.0 * 10.0 ** ((index * _GOLDEN) % 1.0)  # 180 .. 1800 Hz
    ratios, amps = _PARTIALS[index % len(_PARTIALS)]
    return dict(freqs=tuple(f0 * r for r in ratios), amps=amps,
                am_rate=1.0 + ((index * 0.37) % 1.0) * 7.0,
                am_depth=0.3 + 0.6 * ((index * 0.53) % 1.0))

