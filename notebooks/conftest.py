"""The notebooks run under pytest (nbmake) at reduced size and without a display.

`pytest` (see pyproject.toml: testpaths, --nbmake) executes every notebook top to bottom.  Set
GMPCORE_NB_SCALE=full to run them at their real size instead.
"""
import os

os.environ.setdefault("GMPCORE_NB_SCALE", "small")
os.environ.setdefault("MPLBACKEND", "Agg")
