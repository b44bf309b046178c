"""High-level APIs: build a model for inference and segment your own clips."""
from .inference import inference_avs, init_model, pipeline_audio_pad_mode, pipeline_frame_scale

__all__ = ['init_model', 'inference_avs', 'pipeline_frame_scale', 'pipeline_audio_pad_mode']
