"""``requirements.lock`` pins everything ``dev.py`` installs. The install is ``--no-deps``
(every file checked against its hash, nothing resolved), so a dependency of
``pyproject.toml``, of an optional group ``dev.py`` locks, or of a locked package that the lock
misses is not installed — and only a fresh clone finds out. ``python3 dev.py lock`` fixes it.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import dev
from relaylog.settings import PROJECT_ROOT

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def locked() -> dict[str, Version]:
    """Every package of the lock and its pinned version, by canonical name."""
    text = (PROJECT_ROOT / "requirements.lock").read_text()
    return {canonicalize_name(name): Version(version) for name, version in _PIN.findall(text)}


def locked_groups() -> list[str]:
    """The optional groups ``dev.py lock`` resolves (its ``--extra`` arguments)."""
    command = dev.LOCK_COMMAND
    return [command[i + 1] for i, arg in enumerate(command) if arg == "--extra"]


def declared() -> list[Requirement]:
    """``pyproject.toml``'s dependencies and those of the groups ``dev.py`` locks."""
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for group in locked_groups():
        wanted += project["optional-dependencies"][group]
    return [Requirement(line) for line in wanted]


def test_dev_py_locks_the_development_group() -> None:
    assert locked_groups() == ["dev"]


def test_every_declared_dependency_is_pinned_at_a_version_it_allows() -> None:
    pins = locked()

    missing = [str(r) for r in declared() if canonicalize_name(r.name) not in pins]
    outside = [
        f"{r} (locked {pins[canonicalize_name(r.name)]})"
        for r in declared()
        if canonicalize_name(r.name) in pins
        and not r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True)
    ]

    assert missing == [], "not in requirements.lock; run `python3 dev.py lock`"
    assert outside == [], "requirements.lock is older than pyproject.toml"


def test_what_the_locked_packages_need_here_is_locked_too() -> None:
    """The lock is closed: walking every requirement (with the extras asked for) that applies
    on this machine, from pyproject.toml down, finds only locked packages."""
    pins = locked()
    todo = [(r, set(r.extras)) for r in declared() if r.marker is None or r.marker.evaluate()]
    seen: set[str] = set()
    missing: list[str] = []
    while todo:
        requirement, extras = todo.pop()
        name = canonicalize_name(requirement.name)
        if name not in pins:
            missing.append(str(requirement))
            continue
        key = f"{name}[{','.join(sorted(extras))}]"
        if key in seen:
            continue
        seen.add(key)
        for line in metadata.requires(requirement.name) or []:
            needed = Requirement(line)
            applies = needed.marker is None or any(
                needed.marker.evaluate({"extra": extra}) for extra in extras | {""}
            )
            if applies:
                todo.append((needed, set(needed.extras)))

    assert missing == [], "needed but not in requirements.lock; run `python3 dev.py lock`"
