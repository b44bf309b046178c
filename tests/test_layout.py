"""The repository's layout rules: library code lives in the package, tools are thin command
lines, and the package is importable one way only, by being installed (``pip install -e .``,
as tools/setup_env.sh does).

- no test imports from ``tools`` (tests import the package; they run a tool as a user does,
  in its own process);
- no file of ``tools/`` or ``tests/`` changes ``sys.path`` (also not in the code of a script
  it writes for a subprocess), sets ``PYTHONPATH`` or calls ``site.addsitedir``;
- the launch scripts and the Makefile set no ``PYTHONPATH``.
"""
import ast
import json
import os
import os.path as osp
import re
import subprocess
import sys
import textwrap
from typing import Iterator, List

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: calls that change the module search path when made on ``sys.path``
_PATH_METHODS = {'insert', 'append', 'extend', '__setitem__', '__iadd__', 'remove', 'pop',
                 'clear', 'reverse', 'sort'}
_ENV_VAR = 'PYTHON' 'PATH'  # split so that this file's own source does not look like a use


def _python_files(folder: str) -> List[str]:
    found = []
    for dirpath, dirnames, files in os.walk(osp.join(ROOT, folder)):
        dirnames[:] = [d for d in dirnames if not d.startswith('.') and d != '__pycache__']
        found += [osp.join(dirpath, f) for f in files if f.endswith('.py')]
    return sorted(found)


def _parse(path: str) -> ast.Module:
    with open(path, encoding='utf-8') as f:
        return ast.parse(f.read(), filename=path)


def _is_sys_path(node: ast.AST) -> bool:
    """``sys.path`` (or ``sys.path`` reached through ``import sys as s`` as ``s.path``)."""
    return (isinstance(node, ast.Attribute) and node.attr == 'path' and
            isinstance(node.value, ast.Name) and node.value.id in ('sys', '_sys'))


def _embedded_code(tree: ast.AST) -> Iterator[ast.Module]:
    """Strings that are Python code (scripts for subprocesses); an f-string's fields read as
    a name."""
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = ''.join(v.value if isinstance(v, ast.Constant) else 'x' for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if '\n' in text or ';' in text or '(' in text:
            try:
                yield ast.parse(textwrap.dedent(text))
            except SyntaxError:
                continue


def import_path_changes(tree: ast.AST) -> List[str]:
    """The ways ``tree`` (and code in its string constants) changes where Python imports from.

    Args:
        tree (ast.AST): A parsed module.

    Returns:
        list[str]: One description per change, with its line (empty when there is none).
    """
    found = []
    for node in ast.walk(tree):
        line = getattr(node, 'lineno', '?')
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if _is_sys_path(node.func.value) and node.func.attr in _PATH_METHODS:
                found.append(f'line {line}: sys.path.{node.func.attr}(...)')
            if node.func.attr == 'addsitedir':
                found.append(f'line {line}: site.addsitedir(...)')
        targets = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            base = target.value if isinstance(target, ast.Subscript) else target
            if _is_sys_path(base):
                found.append(f'line {line}: assignment to sys.path')
            if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) \
                    and target.slice.value == _ENV_VAR:
                found.append(f'line {line}: sets {_ENV_VAR}')
        if isinstance(node, ast.Dict) and any(
                isinstance(k, ast.Constant) and k.value == _ENV_VAR for k in node.keys):
            found.append(f'line {line}: sets {_ENV_VAR} in a dict')
        if isinstance(node, ast.keyword) and node.arg == _ENV_VAR:
            found.append(f'line {line}: sets {_ENV_VAR}=')
    for code in _embedded_code(tree):
        found += [f'in a string: {change}' for change in import_path_changes(code)]
    return found


def tools_imports(tree: ast.AST) -> List[str]:
    """The imports of the ``tools`` folder as a package in ``tree``.

    Args:
        tree (ast.AST): A parsed module.

    Returns:
        list[str]: One description per import, with its line.
    """
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f'line {node.lineno}: import {a.name}' for a in node.names
                      if a.name == 'tools' or a.name.startswith('tools.')]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and \
                (node.module == 'tools' or node.module.startswith('tools.')):
            found.append(f'line {node.lineno}: from {node.module} import ...')
        elif isinstance(node, ast.Call):  # importlib.import_module / spec_from_file_location
            name = getattr(node.func, 'attr', getattr(node.func, 'id', ''))
            if name in ('import_module', 'spec_from_file_location', 'run_path',
                        '__import__'):
                for arg in ast.walk(node):
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and \
                            re.search(r'(^|[/.])tools([/.]|$)', arg.value):
                        found.append(f'line {node.lineno}: {name}({arg.value!r})')
                        break
    return found


@pytest.mark.parametrize('path', _python_files('tests'),
                         ids=lambda p: osp.relpath(p, ROOT))
def test_tests_do_not_import_tools(path):
    assert not tools_imports(_parse(path)), (
        f'{osp.relpath(path, ROOT)} imports from tools/: test the package function instead, '
        'and run the tool in a subprocess (tests/tool_runs.py: run_tool)')


@pytest.mark.parametrize('path', _python_files('tools') + _python_files('tests'),
                         ids=lambda p: osp.relpath(p, ROOT))
def test_no_import_path_changes(path):
    changes = import_path_changes(_parse(path))
    assert not changes, (
        f'{osp.relpath(path, ROOT)} changes the import path ({"; ".join(changes)}); the '
        'plugin is importable because it is installed (pip install -e ., tools/setup_env.sh)')


def test_launch_scripts_set_no_pythonpath():
    scripts = [osp.join(ROOT, 'Makefile')] + [
        osp.join(ROOT, 'tools', n) for n in sorted(os.listdir(osp.join(ROOT, 'tools')))
        if n.endswith('.sh')]
    assert len(scripts) >= 6
    for path in scripts:
        with open(path) as f:
            text = f.read()
        assert not re.search(_ENV_VAR + r'\s*:?=', text), path


def test_the_checks_find_what_they_look_for():
    """The checkers on snippets (built from parts: this file must not look like a use)."""
    sys_path = 'sys.' + 'path'
    for snippet in (f'import sys\n{sys_path}.insert(0, "x")', f'{sys_path}.append("x")',
                    f'{sys_path} = ["x"]', f'{sys_path}[:0] = ["x"]', f'{sys_path} += ["x"]',
                    'import site\nsite.' + 'addsitedir("x")', f'env["{_ENV_VAR}"] = "x"',
                    f'env = dict({_ENV_VAR}="x")', f'env = {{"{_ENV_VAR}": "x"}}',
                    f'script = """\nimport sys\n{sys_path}.insert(0, "x")\n"""',
                    f'script = f"""\nimport sys\n{sys_path}.insert(0, {{root!r}})\n"""'):
        assert import_path_changes(ast.parse(snippet)), snippet
    for snippet in (f'print({sys_path})', f'env = {{k: v for k, v in e.items() if k != '
                    f'"{_ENV_VAR}"}}', 'path = "sys"'):
        assert not import_path_changes(ast.parse(snippet)), snippet
    tools = 'to' + 'ols'
    for snippet in (f'import {tools}', f'from {tools} import demo', f'import {tools}.infer',
                    f'from {tools}.infer import main',
                    f'importlib.import_module("{tools}.demo")',
                    f'spec_from_file_location("m", osp.join(root, "{tools}", "x.py"))',
                    f'spec_from_file_location("m", "/repo/{tools}/x.py")'):
        assert tools_imports(ast.parse(snippet)), snippet
    for snippet in ('import toolsmith', 'from projects.transavs import demo',
                    'run_tool(["infer.py"], cwd=".")', f'from .{tools} import x'):
        assert not tools_imports(ast.parse(snippet)), snippet


_SNAPSHOT = textwrap.dedent('''
    import json, os, sys
    import projects.transavs
    from mmengine.registry import Registry
    import mmseg.registry as mmseg_registry
    def snapshot():
        return {name: sorted(reg.module_dict) for name, reg in vars(mmseg_registry).items()
                if isinstance(reg, Registry)}
    before, files = snapshot(), sorted(os.listdir('.'))
    for module in sys.argv[1:]:
        __import__(module)
    print(json.dumps(dict(same=snapshot() == before, files=sorted(os.listdir('.')) == files,
                          registries=len(before))))
''')


def test_library_modules_register_nothing(tmp_path):
    """The generator, the demo, the benchmarks and the video helpers are plain libraries:
    importing them (after the plugin) registers nothing and writes nothing."""
    modules = ['projects.transavs.datasets.synthetic', 'projects.transavs.demo',
               'projects.transavs.benchmark', 'projects.transavs.apis.video',
               'projects.transavs.apis.video_inference', 'projects.transavs.evaluation',
               'projects.transavs.datasets.log_mel_cache']
    out = subprocess.run([sys.executable, '-c', _SNAPSHOT, *modules], cwd=str(tmp_path),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == dict(same=True, files=True, registries=result['registries'])
    assert result['registries'] > 10
