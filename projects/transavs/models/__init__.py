"""TransAVS models: audio backbone, pixel decoder, audio-query head, criterion, segmentor,
losses."""
from .audio_backbones import *  # noqa: F401,F403
from .criterion import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .segmentors import *  # noqa: F401,F403
