"""Rotating RELAYLOG_DATA_SECRET: while both secrets are configured the service signs people
in and finds them by either hash; ``rotate`` re-encrypts every national id and address under
the new secret and recomputes the hashes, in batches, and picks up where a stopped run left
off; afterwards the old secret is not needed for anything. ``relaylog rotate-data-secret``
refuses in one line without the old secret and reports each table's batches."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from auth.policy import Audience
from auth.tokens import VerifiedToken
from auth.viewer import resolve_viewer
from models import Base, Child, Guardian, StaffAccount
from models import secrets as data_protection
from models.secrets import EncryptedString
from relaylog.db import async_url
from relaylog.migrations import upgrade
from relaylog.rotation import ENCRYPTED, rotate
from tests.conftest import TEST_SECRET, fresh_database
from tests.factories import TODAY, World, build_world
from tests.test_cli import DATABASE_DOWN, assert_one_line_error, relaylog

OLD = b"the-old-data-secret-of-this-municipality-0001"
NEW = b"the-new-data-secret-of-this-municipality-0002"


def token_of(national_id: str) -> VerifiedToken:
    now = datetime.now(UTC)
    return VerifiedToken(
        pid=national_id,
        acr="idporten-loa-high",
        subject="s",
        issued_at=now,
        expires_at=now,
        claims={},
    )


async def in_session(url: str, work: Any) -> Any:
    engine = create_async_engine(async_url(url), poolclass=NullPool)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            result = await work(session)
            await session.commit()
            return result
    finally:
        await engine.dispose()


async def people(session: AsyncSession) -> dict[str, str]:
    """Every person's national id as the ORM decrypts it (under the configured keys)."""
    found = {}
    models: tuple[type[Any], ...] = (StaffAccount, Guardian, Child)
    for model in models:
        for row in (await session.scalars(select(model))).all():
            if row.national_id is not None:
                found[f"{model.__tablename__}:{row.id}"] = row.national_id
    return found


async def signs_in(session: AsyncSession, world_ids: dict[str, str]) -> dict[str, bool]:
    staff = await resolve_viewer(session, token_of(world_ids["holder"]), Audience.STAFF, TODAY)
    family = await resolve_viewer(session, token_of(world_ids["guardian"]), Audience.FAMILY, TODAY)
    return {"holder": staff is not None, "guardian": family is not None}


async def stored_hashes_match(session: AsyncSession) -> bool:
    for table in ("staff_account", "guardian", "child"):
        rows = (await session.execute(text(f"SELECT id FROM {table}"))).all()
        model: type[Any] = {"staff_account": StaffAccount, "guardian": Guardian, "child": Child}[
            table
        ]
        for (row_id,) in rows:
            row = await session.get(model, row_id)
            assert row is not None
            if row.national_id is not None and row.national_id_hash != (
                data_protection.keyed_hash(row.national_id)
            ):
                return False
    return True


@contextmanager
def written_under_old_secret(name: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A database written under the old secret: the factories' world and a log; the
    holder's and the guardian's national ids."""
    with fresh_database(name) as url:
        upgrade(url)
        data_protection.configure(OLD)

        async def write(session: AsyncSession) -> dict[str, str]:
            world: World = await build_world(session)
            await world.full_log(2)
            return {"holder": world.holder.national_id, "guardian": world.guardian.national_id}

        try:
            ids = asyncio.run(in_session(url, write))
            yield url, ids
        finally:
            data_protection.configure(TEST_SECRET)


@pytest.fixture(scope="module")
def old_database() -> Iterator[tuple[str, dict[str, str]]]:
    with written_under_old_secret("relaylog_rotation") as written:
        yield written


def test_rotation_is_resumable_and_leaves_nothing_under_the_old_secret(
    old_database: tuple[str, dict[str, str]],
) -> None:
    url, ids = old_database
    data_protection.configure(OLD)
    before = asyncio.run(in_session(url, people))
    try:
        data_protection.configure(NEW, accepted=OLD)
        assert asyncio.run(in_session(url, lambda s: signs_in(s, ids))) == {
            "holder": True,
            "guardian": True,
        }

        class Stopped(Exception):
            pass

        def stop_after_first_batch(table: str, checked: int, rotated: int) -> None:
            raise Stopped

        with pytest.raises(Stopped):
            asyncio.run(rotate(url, batch_size=2, progress=stop_after_first_batch))
        resumed = asyncio.run(rotate(url, batch_size=2))
        again = asyncio.run(rotate(url, batch_size=2))

        data_protection.configure(NEW)  # the old secret is gone
        after = asyncio.run(in_session(url, people))
        still_signs_in = asyncio.run(in_session(url, lambda s: signs_in(s, ids)))
        hashes_match = asyncio.run(in_session(url, stored_hashes_match))
    finally:
        data_protection.configure(TEST_SECRET)

    assert after == before
    staff = sum(key.startswith("staff_account:") for key in before)
    guardians = sum(key.startswith("guardian:") for key in before)
    assert resumed.rotated["staff_account"] == staff - 2  # the stopped run's batch was kept
    assert resumed.rotated["guardian"] == guardians
    assert again.total_rotated == 0
    assert still_signs_in == {"holder": True, "guardian": True}
    assert hashes_match


def test_each_batch_is_reported_once_when_the_rows_fill_the_last_batch() -> None:
    # Batches of one: every table's row count divides evenly, so after the last full batch
    # the next read finds nothing, and that empty read is no batch to report.
    with written_under_old_secret("relaylog_rotation_batches") as (url, _):
        data_protection.configure(OLD)
        rows = asyncio.run(in_session(url, people))
        reported: list[tuple[str, int, int]] = []
        try:
            data_protection.configure(NEW, accepted=OLD)
            asyncio.run(rotate(url, batch_size=1, progress=lambda *line: reported.append(line)))
        finally:
            data_protection.configure(TEST_SECRET)

    expected = []
    for spec in ENCRYPTED:
        count = sum(key.startswith(f"{spec.table}:") for key in rows)
        expected += [(spec.table, n, n) for n in range(1, count + 1)] or [(spec.table, 0, 0)]
    assert reported == expected


def test_rotation_covers_every_encrypted_column() -> None:
    encrypted = {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, EncryptedString)
    }

    listed = {(spec.table, column) for spec in ENCRYPTED for column in spec.columns}

    assert listed == encrypted


def test_the_command_refuses_in_one_line_without_the_old_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAYLOG_DATA_SECRET", NEW.decode())
    monkeypatch.delenv("RELAYLOG_DATA_SECRET_ACCEPTED", raising=False)

    result = relaylog("rotate-data-secret", data_dir=tmp_path, database_url=DATABASE_DOWN)

    line = assert_one_line_error(result)
    assert "set RELAYLOG_DATA_SECRET_ACCEPTED to the old secret" in line
    assert result.stdout == ""


def test_the_command_reports_each_table_then_that_the_old_secret_can_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAYLOG_DATA_SECRET", NEW.decode())
    monkeypatch.setenv("RELAYLOG_DATA_SECRET_ACCEPTED", OLD.decode())
    with written_under_old_secret("relaylog_rotation_cli") as (url, _):
        data_protection.configure(OLD)
        before = asyncio.run(in_session(url, people))
        data_protection.configure(TEST_SECRET)

        first = relaylog(
            "rotate-data-secret", "--batch-size", "2", data_dir=tmp_path, database_url=url
        )
        again = relaylog("rotate-data-secret", data_dir=tmp_path, database_url=url)

        data_protection.configure(NEW)
        try:
            after = asyncio.run(in_session(url, people))
        finally:
            data_protection.configure(TEST_SECRET)

    assert first.returncode == 0, first.stderr
    assert first.stderr == ""
    *batches, done = first.stdout.splitlines()
    # A line per batch, "<table>: <checked> rows checked, <rotated> re-encrypted", each table
    # in turn; everything was under the old secret, so every row checked is re-encrypted.
    tables = [line.split(": ")[0] for line in batches]
    assert list(dict.fromkeys(tables)) == ["staff_account", "guardian", "child"]
    assert len(batches) > 3  # batches of 2
    last = {line.split(": ")[0]: line.split(": ")[1] for line in batches}
    for table in ("staff_account", "guardian", "child"):
        checked = int(last[table].split()[0])
        assert last[table] == f"{checked} rows checked, {checked} re-encrypted"
    assert done == (
        f"done: {len(before)} rows re-encrypted, {len(before)} checked; every national id is "
        "under RELAYLOG_DATA_SECRET now, so RELAYLOG_DATA_SECRET_ACCEPTED can be removed"
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1].startswith("done: 0 rows re-encrypted")
    assert after == before
