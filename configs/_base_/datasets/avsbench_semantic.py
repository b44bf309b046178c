# AVSBench-semantic (AVSS): the v1s (S4 videos), v1m (MS3) and v2 clips of the semantic
# release with 71 classes (label2idx.json, background first).
# Layout: docs/en/user_guides/1_dataset_prepare.md.
# As the official loader (avss/color_dataloader.py): frames are read at their own size and
# resized with PIL, train = shorter side to 224 and the centre crop, val/test = 224x224;
# labels are palette colours decoded exactly and resized with nearest neighbour; v1 clips
# are padded to 10 frames and their audio zero-padded to 10 s.
_base_ = ['./avsbench_s4.py']
dataset_type = 'AVSBenchSemanticDataset'
data_root = 'data/AVSBench-semantic'
crop_size = (224, 224)  # (w, h)
num_classes = 71  # K: background + 70 sounding categories (the model's decode_head)
# T = 10 frames / seconds per clip after padding: set clip_seconds = 10 in the model.
# The official loader pads with all-zero tensors after normalisation: the mean colour.
pad_value = (124, 116, 104)
frames = dict(type='LoadClipFrames', scale=crop_size, backend='pillow',  # LoadClipFrames
              imdecode_backend='pillow', pad_value=pad_value)
labels = dict(type='LoadClipSemanticLabels', scale=crop_size,  # LoadClipSemanticLabels
              backend='pillow')
audio = [
    dict(type='LoadAudioWaveform'),  # LoadAudioWaveform
    dict(type='WaveformToLogMel', pad_mode='zeros'),  # WaveformToLogMel
]
train_pipeline = [
    dict(frames, keep_ratio_crop=True),
    dict(labels, keep_ratio_crop=True),
    *audio,
    # the criterion's 'components' targets labelled in the data workers (compiled steps)
    dict(type='ClipInstanceTargets', mode='components', max_instances=8,  # ClipInstanceTargets
         num_classes=num_classes),
    dict(type='PackAVSInputs'),  # PackAVSInputs
]
test_pipeline = [frames, labels, *audio, dict(type='PackAVSInputs')]

# The loaders of S4 (./avsbench_s4.py: 1 clip per GPU, the paper's 8 GPUs) with this data set.
train_dataloader = dict(  # AVSBenchSemanticDataset
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=test_pipeline))
# The official aggregation (mean over all 71 classes, padded frames evaluated).
val_evaluator = dict(_delete_=True, type='AVSSMetric')  # AVSSMetric
test_evaluator = val_evaluator
