"""The notebooks run under pytest (nbmake) at reduced size and without a display.

`pytest` (pyproject.toml's testpaths include notebooks/) or `pytest notebooks` executes every
notebook here top to bottom with nbmake: this conftest collects them, so nbmake is used only
when notebooks are collected (`pytest tests` never needs it, and `--nbmake` is not in the
default options).  Without nbmake installed the notebooks are skipped with the reason.  Set
GMPCORE_NB_SCALE=full to run them at their real size instead.
"""
import os

import pytest

os.environ.setdefault("GMPCORE_NB_SCALE", "small")
os.environ.setdefault("MPLBACKEND", "Agg")

try:
    from nbmake.pytest_items import NotebookFile
except ImportError:      # the test extra is not installed
    NotebookFile = None


def pytest_collect_file(file_path, parent):
    if file_path.suffix != ".ipynb" or parent.config.getoption("nbmake", False):
        return None      # with --nbmake, nbmake's own hook collects them
    if NotebookFile is None:
        return _Skip.from_parent(parent, path=file_path)
    return NotebookFile.from_parent(parent, path=file_path)


class _Skip(pytest.File):
    def collect(self):
        yield _SkipItem.from_parent(self, name=self.path.name)


class _SkipItem(pytest.Item):
    def runtest(self):
        pytest.skip("notebooks need nbmake: pip install -e '.[test]'")
