"""High-level APIs: build a model for inference and segment your own clips and videos."""
from .inference import inference_avs, init_model, pipeline_audio_pad_mode, pipeline_frame_scale
from .streaming import StreamFrame, StreamingSegmenter
from .video import (
    IMAGE_EXTENSIONS,
    OverlayWriter,
    iter_video_frames,
    list_frame_files,
    probe_video,
    sample_times,
)
from .video_inference import (
    VideoInputs,
    open_video_inputs,
    plan_causal_windows,
    plan_windows,
    segment_video,
)

__all__ = ['init_model', 'inference_avs', 'pipeline_frame_scale', 'pipeline_audio_pad_mode']
__all__ += [
    'IMAGE_EXTENSIONS', 'list_frame_files', 'sample_times', 'probe_video', 'iter_video_frames',
    'OverlayWriter', 'VideoInputs', 'open_video_inputs', 'plan_windows', 'segment_video',
    'plan_causal_windows', 'StreamFrame', 'StreamingSegmenter'
]
