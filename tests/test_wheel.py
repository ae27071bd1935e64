"""The production install (docs/deployment.md, "Upgrades"): ``pip install --no-deps .`` builds
a wheel and installs it into site-packages, with no checkout next to it. From there, started
in some other folder, ``relaylog migrate`` must find the Alembic environment (it is package
data of ``relaylog.migrations``) and bring a new database to the head revision, and the data
folder must not land inside site-packages.

Offline and quick: the wheel is built without build isolation (the locked setuptools in
``.venv``) from a copy of the sources, installed with ``--target`` into a temporary folder,
and run with that folder first on ``PYTHONPATH`` (the dependencies come from ``.venv``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from relaylog.migrations import SCRIPT_LOCATION, head_revision
from relaylog.settings import PROJECT_ROOT
from tests.conftest import fresh_database

pytestmark = pytest.mark.slow

NOT_SOURCES = shutil.ignore_patterns(
    ".venv", ".data", ".git", "build", "*.egg-info", "__pycache__", "*_cache", "node_modules"
)


def pip(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "-q"],
        check=True,
        timeout=300,
        env=dict(os.environ, PYTHONWARNINGS="ignore", PIP_NO_INDEX="1"),
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the wheel was installed into (what site-packages would hold)."""
    root = tmp_path_factory.mktemp("wheel")
    sources = root / "sources"
    shutil.copytree(PROJECT_ROOT, sources, ignore=NOT_SOURCES)
    pip("wheel", "--no-deps", "--no-build-isolation", str(sources), "-w", str(root / "dist"))
    (wheel,) = (root / "dist").glob("relaylog-*.whl")
    target = root / "site-packages"
    pip("install", "--no-deps", "--target", str(target), str(wheel))
    return target


def run_installed(
    target: Path, *args: str, cwd: Path, database_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(target))
    for name in ("DATABASE_URL", "RELAYLOG_DATABASE_URL", "RELAYLOG_DATA_DIR", "RELAYLOG_MODE"):
        env.pop(name, None)
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180
    )


def version_in(url: str) -> str:
    async def read() -> str:
        conn = await asyncpg.connect(url)
        try:
            return str(await conn.fetchval("SELECT version_num FROM alembic_version"))
        finally:
            await conn.close()

    return asyncio.run(read())


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working directory with no checkout in or above it."""
    return tmp_path


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with fresh_database("relaylog_wheel") as url:
        yield url


def test_the_wheel_carries_the_alembic_environment(installed: Path) -> None:
    shipped = {
        path.relative_to(installed).as_posix()
        for path in (installed / "relaylog" / "migrations").rglob("*")
        if "__pycache__" not in path.parts
    }
    expected = {
        path.relative_to(SCRIPT_LOCATION.parent.parent).as_posix()
        for path in SCRIPT_LOCATION.rglob("*")
        if "__pycache__" not in path.parts and path.is_file()
    }

    assert expected <= shipped
    assert "relaylog/migrations/alembic.ini" in shipped
    assert "relaylog/migrations/versions" in {name.rsplit("/", 1)[0] for name in shipped}


def test_the_installed_package_is_the_one_run(installed: Path, elsewhere: Path) -> None:
    result = run_installed(
        installed, "-c", "import relaylog.migrations as m; print(m.__file__)", cwd=elsewhere
    )

    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(installed)


def test_migrate_from_the_installed_package_reaches_the_head(
    installed: Path, elsewhere: Path, database: str
) -> None:
    relaylog = installed / "bin" / "relaylog"

    result = run_installed(
        installed, str(relaylog), "migrate", cwd=elsewhere, database_url=database
    )

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert version_in(database) == head_revision()


def test_the_installed_package_knows_its_head_revision(installed: Path, elsewhere: Path) -> None:
    """What ``/readyz`` compares the database with."""
    result = run_installed(
        installed,
        "-c",
        "from relaylog.migrations import head_revision; print(head_revision())",
        cwd=elsewhere,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == head_revision()


def test_an_installed_data_folder_is_in_the_working_directory(
    installed: Path, elsewhere: Path
) -> None:
    result = run_installed(
        installed, "-c", "from relaylog.settings import Settings; print(Settings().data_dir)",
        cwd=elsewhere,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == elsewhere.resolve() / ".data"


def test_the_checkout_keeps_its_data_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    from relaylog.settings import Settings

    monkeypatch.delenv("RELAYLOG_DATA_DIR", raising=False)
    assert Settings().data_dir == PROJECT_ROOT / ".data"
