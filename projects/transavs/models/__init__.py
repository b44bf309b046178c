"""TransAVS models: audio backbone, segmentor, audio-query head, losses."""
from .audio_backbones import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
