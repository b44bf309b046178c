"""AVSBench datasets and their transforms."""
from .transforms import *  # noqa: F401,F403
