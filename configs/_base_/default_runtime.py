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
# Loss terms and the AQDL / AQML query-set sizes (aqdl_s1, aqml_s2: mean |S1|, |S2| per
# frame) are logged as means over the logging window.
log_processor = dict(
    by_epoch=False, mean_pattern=r'.*(loss|time|data_time|grad_norm|aqdl_s1|aqml_s2).*')
log_level = 'INFO'
load_from = None
resume = False
# projects.transavs.engine.AVSRunner: mmengine's Runner that loads checkpoints with restricted
# unpickling (weights_only=True and the allow-list of mmengine's own checkpoint contents) and
# writes local checkpoints atomically. Remove it to get mmengine's plain Runner.
runner_type = 'mmseg.AVSRunner'
