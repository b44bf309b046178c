"""Running the command-line tools like a user (their own process, from another directory, no
PYTHONPATH), and a small training config on a synthetic S4 tree."""
import json
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

TEST_CONFIG = '''
_base_ = [{base!r}]
data_root = {data_root!r}
crop_size = (64, 64)
train_pipeline = [
    dict(type='LoadClipFrames', scale=crop_size),
    dict(type='LoadClipMasks', scale=crop_size),
    dict(type='LoadAudioLogMel', source='pkl'),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='ClipInstanceTargets', mode='components', max_instances=8),
    dict(type='PackAVSInputs'),
]
test_pipeline = [
    dict(type='LoadClipFrames', scale=crop_size),
    dict(type='LoadClipMasks', scale=crop_size),
    dict(type='LoadAudioLogMel', source='pkl'),
    dict(type='PackAVSInputs'),
]
train_dataloader = dict(batch_size=2, num_workers=0,
                        dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(batch_size=2, num_workers=0,
                      dataset=dict(data_root=data_root, split='test', pipeline=test_pipeline))
test_dataloader = val_dataloader
max_iters = {max_iters}
train_cfg = dict(max_iters=max_iters, val_interval={val_interval})
param_scheduler = [dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=max_iters,
                        by_epoch=False)]
optim_wrapper = dict(optimizer=dict(lr=0.001))
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval={ckpt_interval}))
custom_hooks = [dict(type='ConfidenceThresholdHook', a=0.55, b=0.65, n_iter=4, num_steps=4)]
'''


def write_config(path, data_root, max_iters=16, val_interval=8, ckpt_interval=8):
    with open(path, 'w') as f:
        f.write(TEST_CONFIG.format(base=osp.join(ROOT, 'configs', 'transavs_tiny_s4.py'),
                                   data_root=data_root, max_iters=max_iters,
                                   val_interval=val_interval, ckpt_interval=ckpt_interval))
    return str(path)


def free_port() -> str:
    """A TCP port on 127.0.0.1 that nothing listens on now (for a test's torchrun master)."""
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return str(sock.getsockname()[1])


def run_tool(args, cwd, timeout=600, env_extra=None, **kwargs):
    """Runs a tool like a user: its own process, from another directory, no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env.update(OMP_NUM_THREADS='1', PYTHON=sys.executable, **(env_extra or {}))
    if args[0].endswith('.sh'):
        cmd = ['bash', osp.join(ROOT, 'tools', args[0])] + args[1:]
    else:
        cmd = [sys.executable, osp.join(ROOT, 'tools', args[0])] + args[1:]
    return subprocess.run(cmd, cwd=str(cwd), env=env, capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def scalars(work_dir):
    """The json lines mmengine's LocalVisBackend logged (train and val/test)."""
    found = []
    for dirpath, _, files in os.walk(work_dir):
        if 'scalars.json' in files:
            with open(osp.join(dirpath, 'scalars.json')) as f:
                found.extend(json.loads(line) for line in f if line.strip())
    return found


def read_test_metrics(work_dir):
    """The metrics json that tools/test.py writes into its work dir."""
    for dirpath, _, files in sorted(os.walk(work_dir)):
        for name in files:
            if name.endswith('.json') and name != 'scalars.json':
                with open(osp.join(dirpath, name)) as f:
                    data = json.load(f)
                if 'mJ' in data:
                    return data
    raise FileNotFoundError(f'no metrics json under {work_dir}')


def run_on_small_disk(script, mount_point, size='64m', timeout=600):
    """Runs the shell ``script`` with a ``size`` tmpfs mounted at ``mount_point``: a real file
    system that fills up, in a private user + mount namespace (no root needed, nothing mounted
    outside). Files on it are gone afterwards: ``script`` copies out what a test inspects.
    Skips the test where the kernel does not allow unprivileged namespaces."""
    import pytest
    probe = subprocess.run(['unshare', '--user', '--map-root-user', '--mount', 'sh', '-c',
                            f'mount -t tmpfs -o size=4k tmpfs {mount_point}'],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f'cannot mount a small tmpfs in a user namespace: {probe.stderr.strip()}')
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env.update(OMP_NUM_THREADS='1')
    return subprocess.run(['unshare', '--user', '--map-root-user', '--mount', 'sh', '-c',
                           f'mount -t tmpfs -o size={size} tmpfs {mount_point} && {script}'],
                          env=env, capture_output=True, text=True, timeout=timeout)
