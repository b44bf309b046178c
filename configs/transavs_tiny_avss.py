# A tiny TransAVS for CPU runs on synthetic AVSBench-semantic data (tests; `make demo` trains
# it as configs/transavs_tiny_avss_demo.py): 1 process x 2 clips of 10 frames, 96x96, 1000
# iterations. Make the data with
#   python tools/make_synthetic_avsbench.py --out data/synthetic/avss --subset avss --videos 16
_base_ = [
    './_base_/models/transavs_tiny.py', './_base_/datasets/avsbench_semantic.py',
    './_base_/schedules/schedule_tiny_1k.py', './_base_/default_runtime.py'
]
data_root = 'data/synthetic/avss'
crop_size = (96, 96)  # (w, h)


def _at_crop_size(pipeline):
    """The base pipeline with every resizing step at ``crop_size``."""
    return [dict(step, scale=crop_size) if 'scale' in step else step for step in pipeline]


train_pipeline = _at_crop_size(_base_.train_pipeline)
test_pipeline = _at_crop_size(_base_.test_pipeline)
clip_seconds = 10  # T: 10 frames / seconds per clip (v1 clips padded)
model = dict(decode_head=dict(num_classes=_base_.num_classes, clip_seconds=clip_seconds))
tiny_loader = dict(batch_size=2, num_workers=1, persistent_workers=False)
train_dataloader = dict(
    tiny_loader, dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    tiny_loader, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
default_hooks = dict(checkpoint=dict(save_best='mIoU'))
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
