# The tiny CPU TransAVS (./transavs_tiny_s4.py) on synthetic MS3 data. Make the data with
#   python tools/make_synthetic_avsbench.py --out data/synthetic/ms3 --subset ms3 --videos 64
_base_ = ['./transavs_tiny_s4.py']
data_root = 'data/synthetic/ms3'
ms3 = dict(type='AVSBenchMS3Dataset', data_root=data_root)
train_dataloader = dict(dataset=ms3)
val_dataloader = dict(dataset=ms3)
test_dataloader = dict(dataset=ms3)
