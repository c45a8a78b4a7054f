"""Build the native engine.

The Cython sources live in ``pyx/`` (one ``_types.pxd`` with every struct, compiled into the
``gmpcore._engine`` extension).  ``GMPCORE_DEBUG=1 pip install -e .`` turns on Cython's bounds
and initialisation checks and the engine's own invariant assertions for a debug build.
"""
import os

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("GMPCORE_DEBUG", "") not in ("", "0")

directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": False,
    "initializedcheck": DEBUG,
    "cdivision": True,
    "embedsignature": True,
}

extra_compile_args = ["-O0", "-g"] if DEBUG else ["-O3"]

extensions = [
    Extension(
        "gmpcore._engine",
        ["pyx/_engine.pyx"],
        include_dirs=[np.get_include(), "pyx"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"),
                       ("GMPCORE_DEBUG", "1" if DEBUG else "0")],
        extra_compile_args=extra_compile_args,
    ),
    # gmpcore.replay's per-event trace decoding and ordering (its source is pyx/replay/; the file and table levels are
    # Python: gmpcore/replay/format.py)
    Extension(
        "gmpcore.replay._tracecore",
        ["pyx/replay/_tracecore.pyx"],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=extra_compile_args,
    ),
]

setup(
    ext_modules=cythonize(
        extensions,
        include_path=["pyx"],
        compiler_directives=directives,
        compile_time_env={"GMPCORE_DEBUG": DEBUG},
    ),
)
