"""Natural ordering of file names: ``f_9.png`` before ``f_10.png``."""
import re
from typing import Tuple

__all__ = ['natural_key']

_DIGITS = re.compile(r'(\d+)')


def natural_key(name: str) -> Tuple:
    """Sort key putting numbers in numeric order: ``f_9.png`` < ``f_10.png``,
    ``2.jpg`` < ``10.jpg``, ``v.mp4_2.png`` < ``v.mp4_10.png``."""
    parts = _DIGITS.split(name)
    return tuple((0, int(p), p) if i % 2 else (1, p.lower(), p) for i, p in enumerate(parts))
