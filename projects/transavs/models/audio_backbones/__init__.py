"""Audio backbones."""
from .vggish import VGGish

__all__ = ['VGGish']
