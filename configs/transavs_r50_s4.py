# TransAVS, ResNet-50 (IN-1k), AVSBench S4: 8 GPUs x 1 clip (5 frames), 90k iterations,
# 224x224 (transavs_r50_8xb1-90k_avsbench-s4-224x224). Paper Table 1: mJ 83.1, mF 90.6.
_base_ = [
    './_base_/models/transavs_r50.py', './_base_/datasets/avsbench_s4.py',
    './_base_/schedules/schedule_90k.py', './_base_/default_runtime.py'
]
