# A tiny TransAVS for CPU tests and the demo: ResNet-18 layout at 1/4 width, the 'tiny'
# VGGish (same shape at 1/8 width, trainable), 16 queries, 3 decoder layers. Random init.
# 16 queries, not 4: with 4 for up to 3 instances per frame (background and two sounding
# objects) one of two seeds stalled (docs/en/advanced_guides/ablation.md: MS3 mJ 0.44).
_base_ = ['./transavs_r50.py']
model = dict(
    backbone=dict(
        depth=18,
        stem_channels=16,
        base_channels=16,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    neck=dict(
        in_channels=[16, 32, 64, 128],
        feat_channels=32,
        upsample_kernel_size=3,
        norm_cfg=dict(type='GN', num_groups=8, requires_grad=True)),
    audio_backbone=dict(arch='tiny', frozen=False, init_cfg=None),
    decode_head=dict(
        in_channels=32,
        embed_dims=32,
        num_queries=16,
        num_encoder_layers=1,
        num_decoder_layers=3,
        num_heads=2,
        feedforward_channels=64),
    train_cfg=dict(num_points=1024))
