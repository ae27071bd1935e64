#!/usr/bin/env python3
"""Bootstrap and run Relay Log with nothing but Python 3.11+.

``python3 dev.py demo`` and ``python3 dev.py test`` create ``.venv`` on first use (and
re-install when ``pyproject.toml`` changes), so a fresh clone needs no other setup.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".relaylog-installed"

USAGE = """usage: python3 dev.py COMMAND [ARGS...]

  demo [--reset]   run the service with demo data on the embedded PostgreSQL
  test [ARGS...]   ruff, mypy and the whole pytest suite (ARGS go to pytest)
  lint             ruff and mypy only
  sdl              rewrite the committed per-audience schema SDL files
  relaylog ARGS    any relaylog CLI command (token, migrate, serve, ...)
"""


def _wanted_stamp() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_env() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - run by any python3 before the venv exists
        sys.exit("Relay Log needs Python 3.11 or newer.")
    if not PYTHON.exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if not STAMP.exists() or STAMP.read_text() != _wanted_stamp():
        print("Installing Relay Log and its dependencies into .venv ...", flush=True)
        pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
        STAMP.write_text(_wanted_stamp())


def run(*args: str) -> int:
    return subprocess.run(list(args), cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0
    command, rest = argv[0], argv[1:]
    ensure_env()
    py = str(PYTHON)
    if command == "demo":
        return run(py, "-m", "relaylog", "demo", *rest)
    if command == "lint":
        return run(py, "-m", "ruff", "check", ".") or run(py, "-m", "mypy")
    if command == "test":
        return (
            run(py, "-m", "ruff", "check", ".")
            or run(py, "-m", "mypy")
            or run(py, "-m", "pytest", *rest)
        )
    if command == "sdl":
        return run(py, "-m", "relaylog", "sdl", "--write")
    if command == "relaylog":
        return run(py, "-m", "relaylog", *rest)
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
