# The paper's schedule: AdamW, lr 1e-4, backbone lr x0.1, 90k iterations, batch 8 clips
# (1 clip per GPU on 8 GPUs); weight decay, gradient clipping and poly decay as Mask2Former.
embed_multi = dict(lr_mult=1.0, decay_mult=0.0)
optim_wrapper = dict(
    type='OptimWrapper',  # mmengine.optim.OptimWrapper; --amp switches to AmpOptimWrapper
    optimizer=dict(
        type='AdamW', lr=0.0001, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    clip_grad=dict(max_norm=0.01, norm_type=2),
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1, decay_mult=1.0),
            # mmengine matches keys as substrings, longest first: without this key a
            # trainable VGGish (audio_backbone, frozen=False) would get lr x 0.1 too.
            'audio_backbone': dict(lr_mult=1.0, decay_mult=1.0),
            # Swin: no decay on its norms and position tables (absent elsewhere: no effect).
            'backbone.norm': dict(lr_mult=0.1, decay_mult=0.0),
            'absolute_pos_embed': dict(lr_mult=0.1, decay_mult=0.0),
            'relative_position_bias_table': dict(lr_mult=0.1, decay_mult=0.0),
            'query_pos': embed_multi,
            'level_embed': embed_multi,
        },
        norm_decay_mult=0.0))
param_scheduler = [
    dict(
        type='PolyLR',  # mmengine.optim.PolyLR
        eta_min=0,
        power=0.9,
        begin=0,
        end=90000,
        by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=90000, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=5000,
        max_keep_ckpts=3,
        save_best='mJ',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='AVSVisualizationHook', draw=False),  # --show-dir turns it on
    # a NaN / infinite loss or gradient norm stops training before anything is saved
    non_finite=dict(type='NonFiniteLossHook'),
    # the model's num_classes must be the data sets' (checked before training / testing)
    class_count=dict(type='ClassCountCheckHook'),
    # SIGTERM (pre-emption) or Ctrl-C: finish the iteration, save a checkpoint, stop
    stop_signal=dict(type='StopSignalHook'))
custom_hooks = [
    # eq. 18: delta1 = delta2 = 0.55 + 0.1 / 18 * floor(iter / 5000)
    dict(type='ConfidenceThresholdHook', a=0.55, b=0.65, n_iter=5000, num_steps=18)
]
# Linear scaling of the learning rate from the paper's 8 clips per iteration.
auto_scale_lr = dict(enable=False, base_batch_size=8)
