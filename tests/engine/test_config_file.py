"""A missing config or _base_ file is named with the config that refers to it."""
import pytest

from projects.transavs.engine import load_run_config, read_config


def _write(path, text):
    path.write_text(text)
    return str(path)


def test_missing_base_names_the_referring_config(tmp_path):
    (tmp_path / 'base').mkdir()
    _write(tmp_path / 'base' / 'middle.py', "_base_ = ['./schedule.py', './mising.py']\na = 1\n")
    _write(tmp_path / 'base' / 'schedule.py', 'b = 2\n')
    top = _write(tmp_path / 'top.py', "_base_ = ['./base/middle.py']\nc = 3\n")
    expected = (rf"{tmp_path / 'base' / 'middle.py'} \(inherited by {top}\): its _base_ entry "
                rf"'./mising.py' names {tmp_path / 'base' / 'mising.py'}, which does not exist")
    with pytest.raises(FileNotFoundError, match=expected):
        read_config(top)
    with pytest.raises(FileNotFoundError, match=expected):  # what tools/train.py, test.py use
        load_run_config(top)
    direct = _write(tmp_path / 'direct.py', "_base_ = './nope.py'\n")
    with pytest.raises(FileNotFoundError, match=rf"^{direct}: its _base_ entry './nope.py'"):
        read_config(direct)
    with pytest.raises(FileNotFoundError, match='config file not found'):
        read_config(str(tmp_path / 'absent.py'))
    assert read_config(_write(tmp_path / 'ok.py', "_base_ = ['./base/schedule.py']\n")).b == 2
