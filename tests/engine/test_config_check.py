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
