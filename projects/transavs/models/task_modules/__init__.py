"""Task modules: batched single-instance matching."""
from .single_instance_matching import match_single_instance, single_instance_costs

__all__ = ['match_single_instance', 'single_instance_costs']
