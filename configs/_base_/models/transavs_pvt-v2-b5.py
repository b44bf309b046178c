# TransAVS with a PVT-v2-b5 (ImageNet-1k) = mmseg's MixVisionTransformer with these settings.
# Convert the official pvt_v2_b5.pth with tools/model_converters/pvt_v2_to_mmseg.py and put it
# at the path below.
_base_ = ['./transavs_r50.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='MixVisionTransformer',  # mmseg.models.backbones.MixVisionTransformer
        in_channels=3,
        embed_dims=64,
        num_stages=4,
        num_layers=[3, 6, 40, 3],
        num_heads=[1, 2, 5, 8],
        patch_sizes=[7, 3, 3, 3],
        strides=[4, 2, 2, 2],
        sr_ratios=[8, 4, 2, 1],
        out_indices=(0, 1, 2, 3),
        mlp_ratio=4,
        qkv_bias=True,
        drop_rate=0.0,
        attn_drop_rate=0.0,
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint='pretrained/pvt_v2_b5_mmseg.pth')),
    neck=dict(in_channels=[64, 128, 320, 512]))
