"""TransAVS losses: AQDL (eq. 9-10), AQML (eq. 11-12) and the softmax focal class loss."""
from .aqd_loss import AQDLoss, aqd_pair_terms
from .aqm_loss import AQMLoss, aqm_pair_terms
from .pairwise import (
    FRAME_REDUCTIONS,
    frame_mean,
    pair_average,
    selected_pairs,
    selection_sizes,
)
from .softmax_focal_loss import SoftmaxFocalLoss, softmax_focal_loss

__all__ = [
    'FRAME_REDUCTIONS', 'AQDLoss', 'AQMLoss', 'SoftmaxFocalLoss', 'aqd_pair_terms',
    'aqm_pair_terms', 'frame_mean', 'pair_average', 'selected_pairs', 'selection_sizes',
    'softmax_focal_loss'
]
