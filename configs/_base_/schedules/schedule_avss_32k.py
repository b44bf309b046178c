# AVSBench-semantic: the paper gives no schedule. Its length follows AVSegFormer's AVSS
# recipe (config/avss/AVSegFormer_*_avss.py: 30 epochs): 30 epochs over the 8498 training
# clips (v1s 3452 + v1m 296 + v2 4750) at 8 clips per iteration = 32k iterations. Optimizer,
# backbone multiplier and poly decay are the paper's (./schedule_90k.py); eq. 18's 18
# threshold steps are spread over the run.
_base_ = ['./schedule_90k.py']
max_iters = 32000
param_scheduler = [
    dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=max_iters,
         by_epoch=False)  # mmengine.optim.PolyLR
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=4000)
default_hooks = dict(checkpoint=dict(interval=4000, save_best='mIoU', rule='greater'))
custom_hooks = [
    dict(type='ConfidenceThresholdHook', a=0.55, b=0.65, n_iter=max_iters // 18, num_steps=18)
]
