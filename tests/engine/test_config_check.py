"""The top-level config-key check (``check_config_keys``): real typos of runner keys are
reported, helper variables of configs are not."""
import pytest
from mmengine.config import Config

from projects.transavs.engine import check_config_keys
from projects.transavs.engine.config_check import near_miss

# Helper variables seen in real configs (mmseg's, this project's and users'): never reported.
HELPERS = [
    'crop_size', 'data_root', 'dataset_type', 'img_scale', 'norm_cfg', 'backbone_norm_cfg',
    'checkpoint', 'pretrained', 'num_classes', 'img_norm_cfg', 'albu_train_transforms',
    'img_ratios', 'train_dataset', 'val_dataset', 'test_dataset', 'max_iters', 'max_epochs',
    'base_lr', 'warmup_iters', 'val_interval', 'batch_size', 'num_workers', 'optimizer',
    'train_pipeline_fast', 's4_train_dataloader', 'wav_test_pipeline', 'ms3_val_dataloader',
    'val_pipeline', 'test_pipeline_tta', 'test_pipeline2', 'train_cfg_fast',
    'val_evaluator_s4', 'test_dataloader_ms3', 'default_hooks_s4', 'clip_seconds',
    'vggish_ckpt', 'log_interval', 'vis_backends', 'vis_backend', 'mode', 'tta_cfg',
    'dec_cfg', 'data_cfg', 'loss_cfg', 'model_cfg', 'runner', 'log_config',
    'lr_config', 'evaluation', 'checkpoint_config', 'resume_from', 's4_data_root',
    'train_evaluator', 'val_evaluators', 'auto_resume', 'val_loader', 'train_loader',
    '_val_cgf', '_trian_cfg',
]

# Misspelt runner keys: always reported, with the key meant.
TYPOS = {
    'trian_cfg': 'train_cfg', 'tset_cfg': 'test_cfg', 'val_cgf': 'val_cfg',
    'val_evalutor': 'val_evaluator', 'test_evalutaor': 'test_evaluator',
    'defualt_hooks': 'default_hooks', 'train_dataloder': 'train_dataloader',
    'trian_dataloder': 'train_dataloader', 'val_dataloadr': 'val_dataloader',
    'optim_wraper': 'optim_wrapper', 'param_schedular': 'param_scheduler',
    'param_scheduer': 'param_scheduler', 'custum_hooks': 'custom_hooks',
    'custom_hook': 'custom_hooks', 'defaut_scope': 'default_scope', 'load_form': 'load_from',
    'log_leval': 'log_level', 'visualiser': 'visualizer',
    'data_preprocesor': 'data_preprocessor', 'randomnes': 'randomness',
}


@pytest.mark.parametrize('name', HELPERS)
def test_helper_variables_are_not_reported(name):
    assert near_miss(name) is None
    check_config_keys(Config({name: 1, 'model': dict(type='X')}))


@pytest.mark.parametrize('name,meant', sorted(TYPOS.items()))
def test_typos_are_reported(name, meant):
    assert near_miss(name) == meant


def test_error_names_the_keys_and_how_to_silence(tmp_path):
    path = tmp_path / 'cfg.py'
    path.write_text('model = dict(type="X")\ntrian_cfg = dict(max_iters=2)\n'
                    'wav_test_pipeline = []\ns4_train_dataloader = dict()\n'
                    'val_evalutor = dict()\n_val_cgf = 1\n')
    cfg = Config.fromfile(str(path))
    assert cfg._val_cgf == 1  # mmengine keeps single-underscore names
    with pytest.raises(KeyError) as info:
        check_config_keys(cfg)
    message = info.value.args[0]
    assert str(path) in message
    assert "'trian_cfg' (did you mean 'train_cfg'?)" in message
    assert "'val_evalutor' (did you mean 'val_evaluator'?)" in message
    assert 'wav_test_pipeline' not in message and 's4_train_dataloader' not in message
    assert 'start its name with "_"' in message


def test_hook_and_metric_options_are_checked_before_the_run(repo_root):
    """Misspelt options of hooks and metrics fail when the config is loaded (the evaluator would
    otherwise be built only when training starts), naming the config key and the option meant;
    every shipped config passes."""
    import glob
    import os.path as osp

    from projects.transavs.engine import ConfigOptionError, load_run_config
    for path in sorted(glob.glob(osp.join(repo_root, 'configs', '*.py'))):
        load_run_config(path)
    config = osp.join(repo_root, 'configs', 'transavs_tiny_avss.py')
    with pytest.raises(ConfigOptionError) as info:
        load_run_config(config, {'default_hooks.logger.intervl': 1,
                                 'val_evaluator.num_tresholds': 3,
                                 'custom_hooks': [dict(type='ConfidenceThresholdHook',
                                                       n_iters=4)],
                                 'default_hooks.timer.priority': 'LOW'})
    message = str(info.value)
    assert message.startswith(f'{config}: default_hooks.logger.intervl: LoggerHook has no '
                              "option 'intervl' (did you mean 'interval'?); it takes interval,")
    assert "custom_hooks[0].n_iters: ConfidenceThresholdHook has no option 'n_iters' (did you " \
           "mean 'n_iter'?)" in message
    assert 'val_evaluator.num_tresholds: ' in message and 'priority' not in message
