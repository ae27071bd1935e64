"""The ``relaylog`` command as an operator meets it: a subprocess whose mistakes are one line
on stderr (``relaylog: ...``), never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from auth.tokens import Jwks, TokenVerifier
from relaylog.demo import DEMO_USERS
from relaylog.settings import PROJECT_ROOT, Settings
from tests.conftest import fresh_database

DATABASE_DOWN = "postgresql://postgres@127.0.0.1:1/nothing"


def relaylog(
    *args: str, data_dir: Path, database_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, RELAYLOG_DATA_DIR=str(data_dir))
    env.pop("RELAYLOG_DATABASE_URL", None)
    env.pop("DATABASE_URL", None)
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "relaylog", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("relaylog:")
    return lines[0]


def test_migrate_refuses_a_database_that_is_not_postgresql(tmp_path: Path) -> None:
    result = relaylog("migrate", data_dir=tmp_path, database_url="mysql://x@y/z")

    line = assert_one_line_error(result)
    assert "postgresql" in line


def test_serve_with_the_database_down_says_so_in_one_line(tmp_path: Path) -> None:
    result = relaylog("serve", data_dir=tmp_path, database_url=DATABASE_DOWN)

    line = assert_one_line_error(result)
    assert "cannot connect" in line
    assert "DATABASE_URL" in line


@pytest.fixture(scope="module")
def serve_unmigrated(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[subprocess.CompletedProcess[str]]:
    with fresh_database("relaylog_cli") as url:
        yield relaylog("serve", data_dir=tmp_path_factory.mktemp("data"), database_url=url)


@pytest.mark.slow
def test_serve_on_an_unmigrated_database_says_to_migrate(
    serve_unmigrated: subprocess.CompletedProcess[str],
) -> None:
    result = serve_unmigrated

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("relaylog:")
    assert "relaylog migrate" in last


@pytest.mark.slow
def test_serve_on_an_unmigrated_database_prints_only_that_line(
    serve_unmigrated: subprocess.CompletedProcess[str],
) -> None:
    assert_one_line_error(serve_unmigrated)


def test_token_mints_a_jwt_the_verifier_accepts_for_the_demo_user(tmp_path: Path) -> None:
    result = relaylog("token", "--as", "holder", data_dir=tmp_path)

    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    settings = Settings()
    verifier = TokenVerifier(
        Jwks.from_file(tmp_path / "keys" / "jwks.json"),
        issuer=settings.token_issuer,
        audience=settings.token_audience,
    )
    verified = verifier.verify(token)
    assert verified.pid == DEMO_USERS["holder"].national_id
    assert verified.acr == "idporten-loa-high"


def test_token_for_an_unknown_demo_user_is_one_line(tmp_path: Path) -> None:
    result = relaylog("token", "--as", "nobody", data_dir=tmp_path)

    line = assert_one_line_error(result)
    assert "nobody" in line
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), "--all"),
        (("--all", "7e039713-1d24-4d83-9391-d07a398c9fd9"), "not both"),
        (("not-an-id",), "UUID"),
    ],
)
def test_worker_requeue_asks_for_ids_or_all_in_one_line(
    tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    result = relaylog("worker-requeue", *args, data_dir=tmp_path, database_url=DATABASE_DOWN)

    assert says in assert_one_line_error(result)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("serve", "--port", "abc"), "relaylog serve --help'"),
        (("nosuch",), "No such command"),
    ],
)
def test_a_usage_mistake_is_one_line_naming_the_help(
    tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    result = relaylog(*args, data_dir=tmp_path, database_url=DATABASE_DOWN)

    assert result.returncode == 2
    assert says in assert_one_line_error(result)
