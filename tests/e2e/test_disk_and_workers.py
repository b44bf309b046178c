"""Real faults in tools/train.py and tools/infer.py: a disk that fills up (a small tmpfs) and a
DataLoader worker killed by SIGKILL (as the out-of-memory killer does). Each ends with one
error line naming the path or clip and the way on; nothing earlier is lost."""
import os
import os.path as osp
import shlex
import sys

from tool_runs import ROOT, run_on_small_disk, run_tool, write_config

from projects.transavs.engine import safe_torch_load


def _fault_config(tmp_path, s4_root, extra):
    config = write_config(tmp_path / 'tiny.py', s4_root, max_iters=40, val_interval=1000,
                          ckpt_interval=1)
    with open(config, 'a') as f:
        f.write("custom_imports = dict(imports=['projects.transavs', "
                "'projects.transavs.testing.faults'], allow_failed_imports=False)\n" + extra)
    return config


def test_full_disk_during_training(s4_root, tmp_path):
    disk = tmp_path / 'disk'
    disk.mkdir()
    work = disk / 'work'
    config = _fault_config(tmp_path, s4_root, (
        f"custom_hooks = [dict(type='FillDiskHook', filler={str(disk / 'filler')!r}, "
        'after_iter=1, leave=0.5)]\n'))
    q = shlex.quote
    result = run_on_small_disk(
        f'{q(sys.executable)} {q(osp.join(ROOT, "tools", "train.py"))} '
        f'{q(config)} --work-dir {q(str(work))} > {q(str(tmp_path / "out.txt"))} '
        f'2> {q(str(tmp_path / "err.txt"))}; echo $? > {q(str(tmp_path / "rc"))}; '
        f'rm {q(str(disk / "filler"))}; cp -a {q(str(work))} {q(str(tmp_path / "copy"))}',
        str(disk))
    assert result.returncode == 0, result.stderr
    stderr = (tmp_path / 'err.txt').read_text()
    assert (tmp_path / 'rc').read_text().strip() == '1', stderr[-3000:]
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f'train.py: error: no space left on the device writing '
                           f'{work / "iter_2.pth"} (it needs '), last
    assert ' MiB free there); free some space' in last
    assert last.endswith(f'The newest checkpoint is {work / "iter_1.pth"}; continue with: '
                         f'python tools/train.py {config} --work-dir {work} --resume'), last
    assert 'Traceback' not in stderr
    copy = tmp_path / 'copy'
    # nothing half-written is left; iteration 1's checkpoint is complete and still the newest
    assert sorted(os.listdir(copy)) == sorted(
        ['iter_1.pth', 'last_checkpoint', 'tiny.py'] + [n for n in os.listdir(copy)
                                                        if n[:2] == '20']), os.listdir(copy)
    assert (copy / 'last_checkpoint').read_text().strip() == str(work / 'iter_1.pth')
    assert safe_torch_load(str(copy / 'iter_1.pth'))['meta']['iter'] == 1
    logs = [osp.join(d, n) for d, _, names in os.walk(copy) for n in names if n.endswith('.log')]
    assert len(logs) == 1 and 'no space left on the device writing' in open(logs[0]).read()


def test_killed_dataloader_worker(s4_root, tmp_path):
    work = tmp_path / 'work'
    config = _fault_config(tmp_path, s4_root, (
        f"train_pipeline = [dict(type='KillOwnWorker', trigger={str(work / 'iter_2.pth')!r})]"
        ' + train_pipeline\n'
        'train_dataloader.update(num_workers=1, persistent_workers=True, '
        'dataset=dict(data_root=data_root, pipeline=train_pipeline))\n'))
    result = run_tool(['train.py', config, '--work-dir', str(work)], cwd=tmp_path)
    assert result.returncode == 1, result.stderr[-3000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith('train.py: error: DataLoader worker (pid '), last
    assert ') was killed by signal Killed while loading s4/syn_s4_' in last, last
    assert 'most often the out-of-memory killer' in last
    newest = (work / 'last_checkpoint').read_text().strip()
    assert f'The newest checkpoint is {newest}; continue with: python tools/train.py {config} ' \
           f'--work-dir {work} --resume' in last
    assert 'Traceback' not in result.stderr
    step = safe_torch_load(newest)['meta']['iter']
    assert step >= 2 and newest == str(work / f'iter_{step}.pth')


def test_full_disk_in_infer(config, tiny_checkpoint, media, tmp_path):
    disk = tmp_path / 'disk'
    disk.mkdir()
    out = disk / 'keep' / 'out'
    q = shlex.quote
    result = run_on_small_disk(
        f'mkdir {q(str(disk / "keep"))} && echo notes > {q(str(disk / "keep" / "notes.txt"))}; '
        f'{q(sys.executable)} {q(osp.join(ROOT, "tools", "infer.py"))} {q(config)} '
        f'{q(tiny_checkpoint)} --frames {q(media["frames"])} --audio {q(media["wav"])} '
        f'--fps 2 --device cpu --out {q(str(out))} > {q(str(tmp_path / "out.txt"))} '
        f'2> {q(str(tmp_path / "err.txt"))}; echo $? > {q(str(tmp_path / "rc"))}; '
        f'cp -a {q(str(disk / "keep"))} {q(str(tmp_path / "copy"))}', str(disk), size='48k')
    assert result.returncode == 0, result.stderr
    stderr = (tmp_path / 'err.txt').read_text()
    assert (tmp_path / 'rc').read_text().strip() == '1', stderr[-3000:]
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f'infer.py: error: no space left on the device writing the outputs '
                           f'to {out} ('), last
    assert ' written before the disk filled, ' in last
    assert 'free there); free some space (or choose another folder) and run again' in last
    assert 'Traceback' not in stderr
    # no output folder and no temporary folder; the user's file is intact
    assert os.listdir(tmp_path / 'copy') == ['notes.txt']
    assert (tmp_path / 'copy' / 'notes.txt').read_text() == 'notes\n'
