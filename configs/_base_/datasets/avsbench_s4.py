# AVSBench v1 Single-source (S4): 3452 / 740 / 740 train / val / test clips of 5 frames at
# 224x224; train clips are annotated on frame 1 only.
# Layout: docs/en/user_guides/1_dataset_prepare.md.
dataset_type = 'AVSBenchS4Dataset'
data_root = 'data/AVSBench/Single-source'
crop_size = (224, 224)  # (w, h)

train_pipeline = [
    dict(type='LoadClipFrames', scale=crop_size),  # LoadClipFrames
    dict(type='LoadClipMasks', scale=crop_size),  # LoadClipMasks
    dict(type='LoadAudioLogMel', source='pkl'),  # LoadAudioLogMel
    dict(type='ClipRandomFlip', prob=0.5),  # ClipRandomFlip
    # the criterion's 'components' targets labelled in the data workers, so that a compiled
    # training step (tools/train.py --compile) runs as one graph; after every mask change
    dict(type='ClipInstanceTargets', mode='components', max_instances=8),  # ClipInstanceTargets
    dict(type='PackAVSInputs'),  # PackAVSInputs
]
test_pipeline = [
    dict(type='LoadClipFrames', scale=crop_size),  # LoadClipFrames
    dict(type='LoadClipMasks', scale=crop_size),  # LoadClipMasks
    dict(type='LoadAudioLogMel', source='pkl'),  # LoadAudioLogMel
    dict(type='PackAVSInputs'),  # PackAVSInputs
]

# The paper's batch of 8 clips = 8 GPUs x 1 clip.
train_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),  # InfiniteSampler
    collate_fn=dict(type='pseudo_collate'),  # the model's data preprocessor stacks clips
    dataset=dict(  # AVSBenchS4Dataset
        type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline))
# AVSMetric groups clips itself for the official F-score, so any batch size gives the same
# numbers.
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),  # DefaultSampler
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(  # AVSBenchS4Dataset
        type=dataset_type, data_root=data_root, split='val', pipeline=test_pipeline))
test_dataloader = dict(
    val_dataloader, dataset=dict(val_dataloader['dataset'], split='test'))
val_evaluator = dict(type='AVSMetric', fscore_batch_videos=4)  # AVSMetric
test_evaluator = val_evaluator
