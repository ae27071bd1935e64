"""The JavaScript clients' packages, installed as ``package-lock.json`` says.

``npm ci`` runs when ``node_modules`` is missing *or* was installed from another lock (npm
keeps a copy of what it installed in ``node_modules/.package-lock.json``): a checkout that
gained a client package since its last install would otherwise run without it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

__all__ = ["CLIENTS", "ensure_installed"]

CLIENTS = Path(__file__).parent


def _packages(lock: Path) -> dict[str, str] | None:
    try:
        packages = json.loads(lock.read_text())["packages"]
    except (OSError, ValueError, KeyError):
        return None
    return {name: entry.get("version", "") for name, entry in packages.items() if name}


def ensure_installed() -> None:
    wanted = _packages(CLIENTS / "package-lock.json")
    installed = _packages(CLIENTS / "node_modules" / ".package-lock.json")
    if wanted is not None and installed is not None and wanted.items() <= installed.items():
        return
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=CLIENTS,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
