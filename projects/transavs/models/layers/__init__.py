"""Building blocks of the audio-query head."""
from .attention import MultiHeadAttention
from .audio_query_encoder import AudioQueryEncoder
from .decoder_layer import AudioVisualDecoderLayer
from .positional_encoding import SinePositionalEncoding2D

__all__ = [
    'MultiHeadAttention', 'AudioQueryEncoder', 'AudioVisualDecoderLayer',
    'SinePositionalEncoding2D'
]
