# Runtime settings shared by every TransAVS config.
default_scope = 'mmseg'
custom_imports = dict(imports=['projects.transavs'], allow_failed_imports=False)
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),  # switched to gloo automatically without a GPU
)
vis_backends = [dict(type='LocalVisBackend')]  # add dict(type='TensorboardVisBackend')
visualizer = dict(
    type='AVSLocalVisualizer',  # projects.transavs.visualization.AVSLocalVisualizer
    vis_backends=vis_backends,
    name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
