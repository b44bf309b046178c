# The schedule of the tiny CPU models (tests, the demo): trained from scratch, so a larger
# learning rate and no backbone multiplier; 1000 iterations with poly decay; eq. 18's 18
# threshold steps spread over the run; checkpoints every 500 iterations.
_base_ = ['./schedule_90k.py']
optim_wrapper = dict(
    optimizer=dict(lr=0.0005),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=1.0, decay_mult=1.0)}))
max_iters = 1000
param_scheduler = [dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=max_iters,
                        by_epoch=False)]
train_cfg = dict(max_iters=max_iters, val_interval=500)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=500, max_keep_ckpts=2))
custom_hooks = [
    # eq. 18 compressed to the short schedule: 18 steps over the run.
    dict(type='ConfidenceThresholdHook', a=0.55, b=0.65, n_iter=max_iters // 18, num_steps=18)
]
