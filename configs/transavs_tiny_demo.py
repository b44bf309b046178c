# `make demo`: the tiny TransAVS trained on synthetic S4 + MS3 clips together (tools/demo.py
# writes them to demo_out/data), 1 CPU process x 4 clips, 96x96, 1600 iterations; tested on
# both test splits (AVSMetric reports each subset). No validation during training.
_base_ = ['./transavs_tiny_s4.py']
s4_root = 'demo_out/data/s4'
ms3_root = 'demo_out/data/ms3'
crop_size = (96, 96)  # (w, h)


def _at_crop_size(pipeline):
    """The base (S4) pipeline with every resizing step at ``crop_size``."""
    return [dict(step, scale=crop_size) if 'scale' in step else step for step in pipeline]


train_pipeline = _at_crop_size(_base_.train_pipeline)
test_pipeline = _at_crop_size(_base_.test_pipeline)


def _both(split, pipeline):
    return dict(
        _delete_=True,
        type='ConcatDataset',  # mmengine.dataset.ConcatDataset
        ignore_keys=['subset'],
        datasets=[
            dict(type='AVSBenchS4Dataset', data_root=s4_root, split=split, pipeline=pipeline),
            # the synthetic MS3 set's sounding categories (for off-screen negative audio)
            dict(type='AVSBenchMS3Dataset', data_root=ms3_root, split=split,
                 pipeline=pipeline, category_file='ms3_categories.csv'),
        ])


train_dataloader = dict(batch_size=4, num_workers=1, dataset=_both('train', train_pipeline))
test_dataloader = dict(batch_size=4, num_workers=1, dataset=_both('test', test_pipeline))
val_dataloader = None
val_cfg = None
val_evaluator = None
max_iters = 1600
param_scheduler = [dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=max_iters,
                        by_epoch=False)]
optim_wrapper = dict(optimizer=dict(lr=0.001))
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(interval=max_iters, save_best=None))
custom_hooks = [
    dict(type='ConfidenceThresholdHook', a=0.55, b=0.65, n_iter=max_iters // 18, num_steps=18)
]
