"""Every configuration mistake an operator makes is one line on stderr and a non-zero exit:
the database down, missing or refusing the role (every command that uses it), wrong
values in the environment, production without its settings, a port already in use (found
before anything is printed)."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg_pool import PoolTimeout
from sqlalchemy.engine import make_url

from relaylog import cli
from tests.conftest import _server_url, fresh_database
from tests.test_cli import DATABASE_DOWN, assert_one_line_error, relaylog


def on_test_server(**parts: str) -> str:
    """A URL on the test server with another database or user."""
    url = make_url(_server_url()).set(drivername="postgresql")
    return url.set(**parts).render_as_string(hide_password=False)  # type: ignore[arg-type]


@pytest.fixture
def used_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


# Every command of ``relaylog --help`` that uses the database, with the arguments it needs.
DATABASE_COMMANDS = [
    pytest.param(["migrate"], id="migrate"),
    pytest.param(["downgrade"], id="downgrade"),
    pytest.param(["demo"], id="demo"),
    pytest.param(["serve"], id="serve"),
    pytest.param(["worker", "--once"], id="worker --once"),
    pytest.param(["worker", "--run", "remind"], id="worker --run"),
    pytest.param(["worker-status"], id="worker-status"),
    pytest.param(["worker-requeue", "--all"], id="worker-requeue"),
    pytest.param(["rotate-data-secret"], id="rotate-data-secret"),
    pytest.param(["import", "staff", "{data}/staff.csv"], id="import staff"),
    pytest.param(["audit", "verify"], id="audit verify"),
    pytest.param(["audit", "checkpoint"], id="audit checkpoint"),
    pytest.param(["report", "passive", "--unit", "Nordre skole"], id="report passive"),
    pytest.param(["purge", "--dry-run"], id="purge"),
]


@pytest.fixture
def command_inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The data folder, with what the commands need before they reach the database: a staff
    file to import (``{data}/staff.csv``), an old data secret to rotate from."""
    (tmp_path / "staff.csv").write_text("national_id;name;email;unit;role\n")
    monkeypatch.setenv("RELAYLOG_DATA_SECRET_ACCEPTED", "an-older-data-secret-of-40-characters-x")
    return tmp_path


@pytest.mark.parametrize("command", DATABASE_COMMANDS)
def test_a_database_that_is_down_is_one_line(command_inputs: Path, command: list[str]) -> None:
    started = time.monotonic()
    args = [arg.format(data=command_inputs) for arg in command]
    result = relaylog(*args, data_dir=command_inputs, database_url=DATABASE_DOWN)

    line = assert_one_line_error(result)
    assert "cannot connect to the database at 127.0.0.1:1/nothing" in line
    assert result.stdout == ""
    assert time.monotonic() - started < 20  # no pool waiting out its 30 s timeout


@pytest.mark.parametrize("command", ["migrate", "demo"])
def test_a_missing_database_is_one_line(tmp_path: Path, command: str) -> None:
    url = on_test_server(database="relaylog_no_such_database")

    result = relaylog(command, data_dir=tmp_path, database_url=url)

    line = assert_one_line_error(result)
    assert "relaylog_no_such_database" in line
    assert "does not exist" in line


@pytest.mark.parametrize("command", ["migrate", "demo", "worker-status"])
def test_a_role_the_server_refuses_is_one_line(tmp_path: Path, command: str) -> None:
    url = on_test_server(username="relaylog_no_such_role")

    result = relaylog(command, data_dir=tmp_path, database_url=url)

    line = assert_one_line_error(result)
    assert "refused the role" in line
    assert "relaylog_no_such_role" not in line or "DATABASE_URL" in line


@pytest.mark.parametrize(
    ("command", "variable", "value", "says"),
    [
        pytest.param("serve", "RELAYLOG_MODE", "prod", "RELAYLOG_MODE: Input should be", id="mode"),
        pytest.param("migrate", "RELAYLOG_MODE", "prod", "RELAYLOG_MODE: Input", id="migrate"),
        pytest.param("demo", "RELAYLOG_PORT", "abc", "RELAYLOG_PORT: Input should be", id="port"),
        pytest.param("serve", "RELAYLOG_WORKERS", "0", "RELAYLOG_WORKERS:", id="workers"),
        pytest.param(
            "demo", "RELAYLOG_DATA_SECRET", "short-secret", "at least 32 characters", id="secret"
        ),
    ],
)
def test_a_wrong_setting_is_one_line_naming_the_variable(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    variable: str,
    value: str,
    says: str,
) -> None:
    monkeypatch.setenv(variable, value)

    result = relaylog(command, data_dir=tmp_path, database_url=DATABASE_DOWN)

    line = assert_one_line_error(result)
    assert says in line
    assert "short-secret" not in line  # a value is never echoed (it may be a secret)


def test_production_without_a_database_url_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAYLOG_MODE", "production")

    line = assert_one_line_error(relaylog("serve", data_dir=tmp_path))

    assert "DATABASE_URL must be set in production" in line
    assert not (tmp_path / "pg").exists()  # no embedded server was started


@pytest.mark.parametrize(
    ("present", "missing"),
    [
        pytest.param({}, "RELAYLOG_DATA_SECRET", id="no data secret"),
        pytest.param({"RELAYLOG_DATA_SECRET": "x" * 40}, "RELAYLOG_JWKS", id="no keys"),
    ],
)
def test_production_without_its_secrets_says_which(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, present: dict[str, str], missing: str
) -> None:
    monkeypatch.setenv("RELAYLOG_MODE", "production")
    for name, value in present.items():
        monkeypatch.setenv(name, value)

    line = assert_one_line_error(relaylog("serve", data_dir=tmp_path, database_url=DATABASE_DOWN))

    assert missing in line


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_used_port_is_found_before_anything_is_printed(
    tmp_path: Path, used_port: int, command: str
) -> None:
    with fresh_database("relaylog_port") as url:
        result = relaylog(command, "--port", str(used_port), data_dir=tmp_path, database_url=url)

    line = assert_one_line_error(result)
    assert f"cannot listen on 127.0.0.1:{used_port}" in line
    assert result.stdout == ""  # no banner, no tokens, no "demo data loaded"


def test_a_database_lost_after_the_probe_is_one_line_but_a_bug_is_not(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def lost_midway(**_: object) -> None:
        raise PoolTimeout("couldn't get a connection after 30.00 sec")

    monkeypatch.setattr(signal, "signal", lambda *_: None)  # pytest keeps its SIGTERM
    monkeypatch.setattr(cli, "app", lost_midway)
    with pytest.raises(SystemExit) as ended:
        cli.main()

    assert ended.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("relaylog: cannot connect to the database (PoolTimeout)")

    def a_bug(**_: object) -> None:
        raise KeyError("not a database problem")

    monkeypatch.setattr(cli, "app", a_bug)
    with pytest.raises(KeyError):
        cli.main()
