# TransAVS, ResNet-50 (IN-1k), AVSBench MS3: 8 GPUs x 1 clip (5 frames), 90k iterations,
# 224x224 (transavs_r50_8xb1-90k_avsbench-ms3-224x224). Paper Table 1: mJ 58.9, mF 72.9.
_base_ = [
    './_base_/models/transavs_r50.py', './_base_/datasets/avsbench_ms3.py',
    './_base_/schedules/schedule_90k.py', './_base_/default_runtime.py'
]
