# AVSBench v1 Multi-sources (MS3): 296 / 64 / 64 train / val / test clips of 5 frames at
# 224x224; every frame is annotated. Layout: docs/en/user_guides/1_dataset_prepare.md.
# The pipelines, loaders and metric are those of S4 (./avsbench_s4.py); only the
# dataset and its root differ.
_base_ = ['./avsbench_s4.py']
dataset_type = 'AVSBenchMS3Dataset'
data_root = 'data/AVSBench/Multi-sources'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
# Off-screen negative audio (tools/test.py --robustness) needs each clip's sounding
# categories, which the MS3 release does not hold; AVSBench-semantic's metadata.csv has them
# (its v1m rows, column a_obj). To test off-screen robustness on MS3, add e.g.
#   test_dataloader = dict(dataset=dict(category_file='../../AVSBench-semantic/metadata.csv'))
# (a relative path is relative to data_root).
