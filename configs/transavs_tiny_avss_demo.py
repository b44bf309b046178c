# `make demo`, semantic part: the tiny TransAVS (71 classes) trained on synthetic
# AVSBench-semantic clips (v1s + v1m + v2, written by tools/demo.py to demo_out/data/avss),
# 1 CPU process x 2 clips of 10 frames, 96x96, 700 iterations, starting from the S4 + MS3
# demo model (tools/demo.py sets load_from and load_from_partial = True; the class layer and
# the audio-query mixing W1, 5 -> 10 seconds, start anew); tested on the test split with the
# official AVSS metric. No validation during training. From random weights the tiny VGGish,
# which starts nearly blind to its input, had not yet learned to hear after 1500 iterations
# (the same mIoU with the audio silenced).
_base_ = ['./transavs_tiny_avss.py']
data_root = 'demo_out/data/avss'
train_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = None
val_cfg = None
val_evaluator = None
max_iters = 700
param_scheduler = [dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=max_iters,
                        by_epoch=False)]
optim_wrapper = dict(optimizer=dict(lr=0.001))
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(interval=max_iters, save_best=None))
custom_hooks = [
    dict(type='ConfidenceThresholdHook', a=0.55, b=0.65, n_iter=max_iters // 18, num_steps=18)
]
