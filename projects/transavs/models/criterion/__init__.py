"""The TransAVS criterion: ground-truth instances, query matching and the losses of eq. 13."""
from .avs_criterion import CONFIDENCE_MODES, AVSCriterion, class_targets, query_confidence
from .matcher import QueryMatcher, match_cost_matrix, match_two_slots
from .targets import GT_INSTANCE_MODES, FrameTargets, build_frame_targets, targets_to_instances

__all__ = [
    'AVSCriterion', 'CONFIDENCE_MODES', 'FrameTargets', 'GT_INSTANCE_MODES', 'QueryMatcher',
    'build_frame_targets', 'class_targets', 'match_cost_matrix', 'match_two_slots',
    'query_confidence', 'targets_to_instances'
]
