"""tools/make_synthetic_avsbench.py run as a user runs it: its flags reach
``generate_dataset`` (the generator itself is tested in tests/datasets/test_synthetic.py)."""
import os

import torch
from tool_runs import run_tool

from projects.transavs.datasets.safe_pickle import load_tensor_pickle
from projects.transavs.datasets.synthetic import generate_dataset


def _files(root):
    return {os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs}


def test_flags_reach_the_generator(tmp_path):
    out = tmp_path / 'cli'
    proc = run_tool(['make_synthetic_avsbench.py', '--out', str(out), '--subset', 'ms3',
                     '--videos', '1', '2', '--splits', 'test', 'train', '--seed', '3',
                     '--size', '32', '--distractors', '1', '1', '--sounding', '2', '2',
                     '--num-categories', '4'], cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f'wrote 3 ms3 videos (train, test) to {out}' in proc.stdout
    # The counts go with the splits in the official order (train 1, test 2), as --help says.
    plans = generate_dataset(str(tmp_path / 'ref'), 'ms3', [1, 2], splits=['train', 'test'],
                             seed=3, size=32, distractors=(1, 1), sounding=(2, 2),
                             num_categories=4, progress=False)
    assert [p.split for p in plans] == ['train', 'test', 'test']
    files = _files(out)
    assert files == _files(tmp_path / 'ref') and len(files) == 2 + 3 * 12  # + ms3_categories.csv
    for rel in files:
        if rel.endswith('.pkl'):  # pickled tensors embed a memory address: compare values
            assert torch.equal(load_tensor_pickle(out / rel),
                               load_tensor_pickle(tmp_path / 'ref' / rel)), rel
        else:
            assert (out / rel).read_bytes() == (tmp_path / 'ref' / rel).read_bytes(), rel


def test_bad_arguments_are_usage_errors(tmp_path):
    proc = run_tool(['make_synthetic_avsbench.py', '--out', str(tmp_path / 'out'), '--subset',
                     'ms3', '--videos', '2', '--num-categories', '2'], cwd=tmp_path,
                    timeout=300)
    assert proc.returncode == 2
    assert '--num-categories must be in [3, 23]' in proc.stderr
    assert not (tmp_path / 'out').exists()
