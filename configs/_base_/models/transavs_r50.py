# TransAVS with a ResNet-50 (ImageNet-1k, torchvision weights), paper section 2.2.
# A missing local pretrained file stops training at start (init_cfg=None trains from scratch).
VGGISH_CKPT = 'https://github.com/harritaylor/torchvggish/releases/download/v0.1/vggish-10086976.pth'  # noqa
clip_seconds = 5  # T: seconds of audio per clip (AVSBench v1: 5 s, one frame per second)
num_queries = 300
data_preprocessor = dict(
    type='AVSDataPreprocessor',  # projects.transavs.models.AVSDataPreprocessor
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375])
model = dict(
    type='TransAVS',  # projects.transavs.models.TransAVS
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNet',  # mmseg.models.backbones.ResNet
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        dilations=(1, 1, 1, 1),
        strides=(1, 2, 2, 2),
        norm_cfg=dict(type='BN', requires_grad=False),  # frozen BN: 1 clip per GPU
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(
        type='AVSPixelDecoder',  # projects.transavs.models.AVSPixelDecoder
        in_channels=[256, 512, 1024, 2048],
        in_strides=(4, 8, 16, 32),
        feat_channels=256,
        out_strides=(8, 4, 2),  # f_v^1..f_v^3 at H/8, H/4, H/2
        norm_cfg=dict(type='GN', num_groups=32, requires_grad=True)),
    audio_backbone=dict(
        type='VGGish',  # projects.transavs.models.VGGish
        frozen=True,
        init_cfg=dict(type='Pretrained', checkpoint=VGGISH_CKPT)),
    decode_head=dict(
        type='AudioQueryHead',  # projects.transavs.models.AudioQueryHead
        in_channels=256,
        embed_dims=256,
        num_queries=num_queries,
        clip_seconds=clip_seconds,
        query_mode='clip',
        num_encoder_layers=2,  # N1
        num_decoder_layers=9,  # N2
        num_heads=8,
        feedforward_channels=2048,
        num_classes=2,  # K: background (0) and sounding (1), plus "no object"
        deep_supervision=True,
        criterion=dict(
            type='AVSCriterion',  # projects.transavs.models.AVSCriterion
            # background + each connected sounding region its own instance
            # (docs/en/advanced_guides/ablation.md: 'semantic', one instance per class,
            # 0.12 / 0.18 lower S4 / MS3 mJ)
            gt_instances='components',
            loss_cls=dict(
                type='SoftmaxFocalLoss', gamma=2.0, alpha=0.25, loss_weight=5.0),  # lambda3
            loss_mask=dict(
                type='CrossEntropyLoss',  # mmseg.models.losses.CrossEntropyLoss
                use_sigmoid=True,
                reduction='mean',
                avg_non_ignore=True,
                loss_weight=5.0,  # Mask2Former's mask term
                loss_name='loss_mask'),
            loss_dice=dict(
                type='DiceLoss',  # mmseg.models.losses.DiceLoss
                use_sigmoid=True,
                activate=True,
                reduction='mean',
                naive_dice=True,
                eps=1.0,
                ignore_index=None,
                loss_weight=5.0,  # lambda4
                loss_name='loss_dice'),
            # lambda1; d0 on unit-normalised h(q) (squared distances in [0, 4]): 4 = no
            # cut-off but antipodal pairs (with d0 <= 3 the trained h separates the confident
            # queries within the first iterations and AQDL stays 0;
            # docs/en/advanced_guides/ablation.md)
            loss_aqdl=dict(type='AQDLoss', d0=4.0, normalize=True, loss_weight=2.0),
            loss_aqml=dict(type='AQMLoss', loss_weight=2.0),  # lambda2
            confidence='max_class')),  # p_k of S1 / S2: the query's most probable real class
    train_cfg=dict(
        num_points=12544,
        oversample_ratio=3.0,
        importance_sample_ratio=0.75,
        assigner=dict(
            type='HungarianAssigner',  # mmseg.models.assigners.HungarianAssigner
            match_costs=[
                dict(type='ClassificationCost', weight=2.0),
                dict(type='CrossEntropyLossCost', weight=5.0, use_sigmoid=True),
                dict(type='DiceCost', weight=5.0, pred_act=True, eps=1.0)
            ])),
    test_cfg=dict(inference='eq14', frame_chunk=8))  # eq. 14-15
