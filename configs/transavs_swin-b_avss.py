# TransAVS, Swin-B (IN-22k), AVSBench-semantic (v1s + v1m + v2, 71 classes): 8 GPUs x 1 clip of 10
# frames (v1 clips padded), 32k iterations (30 epochs, see the schedule), 224x224
# (transavs_swin-b_8xb1-32k_avsbench-semantic-224x224). The paper reports no AVSS result.
_base_ = [
    './_base_/models/transavs_swin-b.py', './_base_/datasets/avsbench_semantic.py',
    './_base_/schedules/schedule_avss_32k.py', './_base_/default_runtime.py'
]
clip_seconds = 10  # T: 10 frames / seconds per clip (v1 clips padded)
model = dict(decode_head=dict(num_classes=_base_.num_classes, clip_seconds=clip_seconds))
