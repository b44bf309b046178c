# A tiny TransAVS for CPU runs on synthetic AVSBench-format data (tests and `make demo`):
# 1 process x 4 clips, 224x224, 1000 iterations. Make the data with
#   python tools/make_synthetic_avsbench.py --out data/synthetic/s4 --subset s4 --videos 64
_base_ = [
    './_base_/models/transavs_tiny.py', './_base_/datasets/avsbench_s4.py',
    './_base_/schedules/schedule_tiny_1k.py', './_base_/default_runtime.py'
]
data_root = 'data/synthetic/s4'  # the base pipelines (224x224) are kept
tiny_loader = dict(batch_size=4, num_workers=1, persistent_workers=False,
                   dataset=dict(data_root=data_root))
train_dataloader = tiny_loader
val_dataloader = tiny_loader
test_dataloader = tiny_loader
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
