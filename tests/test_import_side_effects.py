"""Importing the plugin registers modules and changes nothing else in the process."""
import json
import subprocess
import sys
import textwrap

# The modules outside the plugin that importing it loads (torch, mmseg, ... themselves add
# entries to torch's allow-list when imported); the check imports them first.
DEPENDENCIES = textwrap.dedent('''
    import json, sys
    before = set(sys.modules)
    import projects.transavs
    print(json.dumps(sorted(m for m in set(sys.modules) - before
                            if m.split('.')[0] not in ('projects', '__main__'))))
''')

SCRIPT = textwrap.dedent('''
    import importlib, json, os, sys, warnings
    for module in json.loads(sys.argv[1]):
        try:
            importlib.import_module(module)
        except Exception:  # modules that only import as part of their package
            pass
    import torch
    import mmengine.fileio.io as fileio_io
    from mmengine.fileio.backends import backends, prefix_to_backends
    from mmengine.runner.checkpoint import CheckpointLoader

    def snapshot():
        name = lambda obj: f'{obj.__module__}.{getattr(obj, "__qualname__", obj)}'
        return dict(
            backends={k: name(v) for k, v in backends.items()},
            prefixes={k: name(v) for k, v in prefix_to_backends.items()},
            backend_instances=sorted(fileio_io.backend_instances),
            loaders={k: name(v) for k, v in CheckpointLoader._schemes.items()},
            safe_globals=sorted(map(str, torch.serialization.get_safe_globals())),
            environ=dict(os.environ),
            warning_filters=[str(f) for f in warnings.filters],
            threads=torch.get_num_threads(),
            default_dtype=str(torch.get_default_dtype()),
        )

    fileio_io.get_file_backend('x.pth')  # a cached instance, as a prior user leaves
    before = snapshot()
    import projects.transavs
    from mmseg.registry import MODELS, RUNNERS, TRANSFORMS
    after = snapshot()
    print(json.dumps(dict(before=before, after=after, registered=[
        MODELS.get('TransAVS') is not None, TRANSFORMS.get('LoadClipFrames') is not None,
        RUNNERS.get('AVSRunner') is not None])))
''')


def _run(*args):
    out = subprocess.run([sys.executable, '-c', *args], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_import_registers_and_does_nothing_else():
    dependencies = _run(DEPENDENCIES)
    out = subprocess.run([sys.executable, '-c', SCRIPT, dependencies], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result['registered'] == [True, True, True]
    for key, before in result['before'].items():
        assert result['after'][key] == before, f'importing projects.transavs changed {key}'
