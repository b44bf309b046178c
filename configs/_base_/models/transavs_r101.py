# TransAVS with a ResNet-101 (ImageNet-1k, torchvision weights): the paper's "ResNet" (sec. 3.2).
_base_ = ['./transavs_r50.py']
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))
