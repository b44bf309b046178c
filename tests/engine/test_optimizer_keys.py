"""The paper schedule's parameter-wise learning rates: 'backbone' (lr x 0.1) is the visual
backbone only; a trainable audio backbone (VGGish with frozen=False) keeps the base lr."""
import os.path as osp

from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmseg.registry import MODELS


def test_trainable_audio_backbone_gets_the_base_lr(repo_root):
    cfg = Config.fromfile(osp.join(repo_root, 'configs', 'transavs_tiny_s4.py'))
    schedule = Config.fromfile(osp.join(repo_root, 'configs', '_base_', 'schedules',
                                        'schedule_90k.py'))
    model = MODELS.build(cfg.model)
    assert not model.audio_backbone.frozen  # the tiny model trains its VGGish
    wrapper = build_optim_wrapper(model, schedule.optim_wrapper)
    base = schedule.optim_wrapper.optimizer.lr
    lrs = {}
    names = {id(p): n for n, p in model.named_parameters()}
    for group in wrapper.optimizer.param_groups:
        for p in group['params']:
            lrs[names[id(p)]] = group['lr']
    visual = [lr for n, lr in lrs.items() if n.startswith('backbone.')]
    audio = [lr for n, lr in lrs.items() if n.startswith('audio_backbone.')]
    head = [lr for n, lr in lrs.items() if n.startswith('decode_head.')]
    assert visual and set(visual) == {base * 0.1}
    assert audio and set(audio) == {base}
    assert head and set(head) == {base}
