# TransAVS, Swin-B (IN-22k), AVSBench S4: 8 GPUs x 1 clip, 90k iterations, 224x224
# (transavs_swin-b-in22k_8xb1-90k_avsbench-s4-224x224). Paper Table 1: mJ 89.4, mF 94.2.
_base_ = [
    './_base_/models/transavs_swin-b.py', './_base_/datasets/avsbench_s4.py',
    './_base_/schedules/schedule_90k.py', './_base_/default_runtime.py'
]
