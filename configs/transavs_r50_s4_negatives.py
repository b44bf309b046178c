# TransAVS R50 on S4 trained with negative audio (AVSBench-Robust's balanced training, Li et
# al. 2025): half of the training clips get silence, noise or the sound of another training
# clip whose category is not on screen, with an empty target, so that the model learns to
# segment nothing when nothing on screen sounds. Test it with
#   python tools/test.py configs/transavs_r50_s4_negatives.py CKPT --robustness
# Everything else is configs/transavs_r50_s4.py.
_base_ = ['./transavs_r50_s4.py']
train_pipeline = [
    dict(type='LoadClipFrames', scale=_base_.crop_size),
    dict(type='LoadClipMasks', scale=_base_.crop_size),
    dict(type='LoadAudioLogMel', source='pkl'),
    dict(
        type='RandomNegativeAudio',  # projects.transavs.datasets.transforms
        prob=0.5,
        conditions=['silence', 'noise', 'off-screen'],
        noise=dict(color='white', level_db=0.0),
        off_screen=dict(
            dataset=dict(type=_base_.dataset_type, data_root=_base_.data_root, split='train'),
            audio_pipeline=[dict(type='LoadAudioLogMel', source='pkl')])),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='ClipInstanceTargets', mode='components', max_instances=8),
    dict(type='PackAVSInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
