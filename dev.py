#!/usr/bin/env python3
"""Bootstrap and run Relay Log with nothing but Python 3.11+.

``python3 dev.py demo`` and ``python3 dev.py test`` create ``.venv`` on first use and install
exactly the versions (and file hashes) pinned in ``requirements.lock``, then this project on
top without resolving anything; they re-install when the lock or ``pyproject.toml`` changes.
``python3 dev.py lock`` rewrites the lock from ``pyproject.toml`` (docs/operations.md).
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".relaylog-installed"
LOCK = ROOT / "requirements.lock"
UV = "uv==0.13.9"  # only `dev.py lock` needs it; installs never do
LOCK_COMMAND = [
    "pip", "compile", "pyproject.toml", "--extra", "dev", "--universal", "--generate-hashes",
    "--python-version", "3.11", "--quiet", "--custom-compile-command", "python3 dev.py lock",
    "-o", "requirements.lock",
]  # fmt: skip

USAGE = """usage: python3 dev.py COMMAND [ARGS...]

  demo [--reset]   run the service with demo data on the embedded PostgreSQL
  test [ARGS...]   ruff (lint and format), mypy and the whole pytest suite (ARGS go to pytest)
  lint             ruff (lint and format) and mypy only
  sdl              rewrite the committed per-audience schema SDL files
  lock [ARGS...]   re-resolve requirements.lock from pyproject.toml (ARGS go to
                   `uv pip compile`, e.g. --upgrade or --upgrade-package strawberry-graphql)
  relaylog ARGS    any relaylog CLI command (token, migrate, serve, ...)
"""


def _wanted_stamp() -> str:
    digest = hashlib.sha256()
    for name in ("requirements.lock", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def _pip(*args: str) -> None:
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    # setuptools warns about every editable install; the install is ours, the warning noise.
    quiet = dict(os.environ, PYTHONWARNINGS="ignore")
    subprocess.run([*pip, *args], check=True, env=quiet)


def ensure_env() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - run by any python3 before the venv exists
        sys.exit("Relay Log needs Python 3.11 or newer.")
    if not PYTHON.exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if not STAMP.exists() or STAMP.read_text() != _wanted_stamp():
        print("Installing Relay Log and its locked dependencies into .venv ...", flush=True)
        # Every package at its locked version, each file checked against its hash; then this
        # project itself, with the locked setuptools rather than one fetched for the build.
        _pip("--require-hashes", "--no-deps", "-r", str(LOCK))
        _pip("--no-deps", "--no-build-isolation", "-e", str(ROOT))
        STAMP.write_text(_wanted_stamp())


def run(*args: str) -> int:
    """Run a child and pass on how it ended: Ctrl-C reaches it directly (same process group)
    and SIGTERM is forwarded, so the child stops cleanly and this process prints nothing."""
    child = subprocess.Popen(list(args), cwd=ROOT)

    def forward(signum: int, frame: FrameType | None) -> None:
        child.send_signal(signum)

    previous_term = signal.signal(signal.SIGTERM, forward)
    previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return child.wait()
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)


def lock(args: list[str]) -> int:
    uv = BIN / "uv"
    if not uv.exists():
        _pip(UV)
    return run(str(uv), *LOCK_COMMAND, *args)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0
    command, rest = argv[0], argv[1:]
    ensure_env()
    py = str(PYTHON)
    if command == "demo":
        return run(py, "-m", "relaylog", "demo", *rest)
    lint = (
        (py, "-m", "ruff", "check", "."),
        (py, "-m", "ruff", "format", "--check", "."),
        (py, "-m", "mypy"),
    )
    if command == "lint":
        return next((code for step in lint if (code := run(*step))), 0)
    if command == "test":
        return next((code for step in lint if (code := run(*step))), 0) or run(
            py, "-m", "pytest", *rest
        )
    if command == "sdl":
        return run(py, "-m", "relaylog", "sdl", "--write")
    if command == "lock":
        return lock(rest)
    if command == "relaylog":
        return run(py, "-m", "relaylog", *rest)
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:  # Ctrl-C while installing: no traceback
        sys.exit(130)
    except subprocess.CalledProcessError as exc:
        sys.exit(f"dev.py: {' '.join(map(str, exc.cmd[:6]))} ... failed (exit {exc.returncode})")
