# TransAVS, PVT-v2-b5 (IN-1k), AVSBench MS3: 8 GPUs x 1 clip, 90k iterations, 224x224
# (transavs_pvt-v2-b5_8xb1-90k_avsbench-ms3-224x224).
_base_ = [
    './_base_/models/transavs_pvt-v2-b5.py', './_base_/datasets/avsbench_ms3.py',
    './_base_/schedules/schedule_90k.py', './_base_/default_runtime.py'
]
