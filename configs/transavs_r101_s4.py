# TransAVS, ResNet-101 (IN-1k), AVSBench S4: 8 GPUs x 1 clip, 90k iterations, 224x224
# (transavs_r101_8xb1-90k_avsbench-s4-224x224). The paper's "ResNet" row uses R101 (sec. 3.2).
_base_ = [
    './_base_/models/transavs_r101.py', './_base_/datasets/avsbench_s4.py',
    './_base_/schedules/schedule_90k.py', './_base_/default_runtime.py'
]
