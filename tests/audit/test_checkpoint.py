"""Signed checkpoints: a Merkle root over every chain's head, signed with a key outside the
database. A rewrite of a whole chain (every hash recomputed, the head updated: what
``verify_chains`` alone cannot tell from the truth) is found against an exported checkpoint;
an export whose heads or signature were edited is refused."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from models import AuditCheckpoint, AuditEvent
from models.audit import AuditEntry, append, chain_hash, payload_of, verify_chains
from models.audit_checkpoint import (
    CheckpointInvalid,
    Head,
    check_against,
    export,
    merkle_root,
    parse_export,
    write_checkpoint,
)
from relaylog.audit_keys import signing_key
from relaylog.db import async_url
from relaylog.migrations import upgrade
from relaylog.settings import ConfigurationError, Settings
from tests.conftest import fresh_database
from tests.test_cli import DATABASE_DOWN, assert_one_line_error, relaylog

KEY = Ed25519PrivateKey.generate()


async def _reads(session: AsyncSession, log_id: uuid.UUID, n: int) -> None:
    for _ in range(n):
        await append(session, [AuditEntry(actor_kind="STAFF", action="READ", log_id=log_id)])


async def rewrite_chain(session: AsyncSession, chain: str) -> None:
    """What a superuser could do: forge the second event and recompute every later hash and
    the head, so that the chain verifies from its genesis."""
    await session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
    events = (
        await session.scalars(
            select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.chain_seq)
        )
    ).all()
    prev = events[0].prev_hash
    for event in events:
        action = "FORGED" if event.chain_seq == 2 else event.action
        payload = {**payload_of(event, event.occurred_at), "action": action}
        new_hash = chain_hash(prev, payload)
        await session.execute(
            text("UPDATE audit_event SET action = :a, prev_hash = :p, hash = :h WHERE id = :id"),
            {"a": action, "p": prev, "h": new_hash, "id": event.id},
        )
        prev = new_hash
    await session.execute(
        text("UPDATE audit_chain SET hash = :h WHERE chain = :c"), {"h": prev, "c": chain}
    )
    await session.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
    session.expire_all()


async def test_a_checkpoint_signs_the_merkle_root_of_every_chain_head(
    session: AsyncSession,
) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    await _reads(session, a, 3)
    await _reads(session, b, 2)

    checkpoint = await write_checkpoint(session, KEY)

    heads = parse_export(export(checkpoint), KEY.public_key())
    assert (checkpoint.chains, checkpoint.events) == (2, 5)
    assert sorted((h.chain, h.seq) for h in heads) == sorted([(f"log:{a}", 3), (f"log:{b}", 2)])
    assert checkpoint.root == merkle_root(heads)
    assert await check_against(session, heads) == []


async def test_a_rewritten_chain_verifies_alone_but_not_against_the_checkpoint(
    session: AsyncSession,
) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    await _reads(session, a, 3)
    await _reads(session, b, 3)
    heads = parse_export(export(await write_checkpoint(session, KEY)), KEY.public_key())
    await _reads(session, a, 1)  # the chain goes on after the checkpoint: still fine

    await rewrite_chain(session, f"log:{a}")

    assert (await verify_chains(session)).breaks == []  # the rewrite is consistent
    breaks = await check_against(session, heads)
    assert [(b.chain, b.reason) for b in breaks] == [
        (f"log:{a}", "chain was rewritten after the checkpoint")
    ]


async def test_a_chain_removed_since_the_checkpoint_is_found(session: AsyncSession) -> None:
    a = uuid.uuid4()
    await _reads(session, a, 2)
    heads = parse_export(export(await write_checkpoint(session, KEY)), KEY.public_key())

    await session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
    await session.execute(text("DELETE FROM audit_event WHERE chain = :c"), {"c": f"log:{a}"})
    await session.execute(text("DELETE FROM audit_chain WHERE chain = :c"), {"c": f"log:{a}"})
    await session.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))

    assert [b.reason for b in await check_against(session, heads)] == [
        "checkpointed event is missing"
    ]


async def test_an_export_with_edited_heads_or_another_key_is_refused(
    session: AsyncSession,
) -> None:
    await _reads(session, uuid.uuid4(), 2)
    document = export(await write_checkpoint(session, KEY))

    edited = json.loads(json.dumps(document))
    edited["heads"][0][2] = "00" * 32
    with pytest.raises(CheckpointInvalid, match="not the ones it signed"):
        parse_export(edited, KEY.public_key())
    resigned = {**document, "events": document["events"] + 1}
    with pytest.raises(CheckpointInvalid, match="signature"):
        parse_export(resigned, KEY.public_key())
    with pytest.raises(CheckpointInvalid, match="another key"):
        parse_export(document, Ed25519PrivateKey.generate().public_key())
    with pytest.raises(CheckpointInvalid, match="not a readable"):
        parse_export({"format": document["format"]}, KEY.public_key())


async def test_the_database_refuses_to_change_a_checkpoint(session: AsyncSession) -> None:
    checkpoint = await write_checkpoint(session, KEY)
    with pytest.raises(DBAPIError, match="append-only"):
        async with session.begin_nested():
            await session.execute(
                text("UPDATE audit_checkpoint SET chains = 0 WHERE id = :id"),
                {"id": checkpoint.id},
            )
    assert await session.get(AuditCheckpoint, checkpoint.id) is not None


def test_merkle_root_depends_on_every_head_and_on_nothing_else() -> None:
    heads = [Head(f"log:{i}", i + 1, bytes([i]) * 32) for i in range(5)]
    root = merkle_root(heads)
    assert merkle_root(reversed(heads)) == root
    assert merkle_root([*heads[:4], Head("log:4", 5, bytes(32))]) != root
    assert merkle_root(heads[:4]) != root
    assert merkle_root([]) != merkle_root(heads[:1])


@pytest.fixture(scope="module")
def trail_of_two_logs() -> Iterator[str]:
    """A database of its own with committed chains of two logs (three events each)."""
    with fresh_database("relaylog_checkpoint") as url:
        upgrade(url)

        async def seed() -> None:
            engine = create_async_engine(async_url(url), poolclass=NullPool)
            try:
                async with AsyncSession(engine) as session:
                    for log_id in (uuid.uuid4(), uuid.uuid4()):
                        await _reads(session, log_id, 3)
                    await session.commit()
            finally:
                await engine.dispose()

        asyncio.run(seed())
        yield url


@pytest.mark.slow
def test_audit_checkpoint_export_then_verify_against_it_finds_a_rewritten_chain(
    trail_of_two_logs: str, tmp_path: Path
) -> None:
    url = trail_of_two_logs
    exported = tmp_path / "checkpoint.json"
    made = relaylog(
        "audit", "checkpoint", "--export", str(exported), data_dir=tmp_path, database_url=url
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("checkpoint 1: 2 chains, 6 events, root ")
    assert json.loads(exported.read_text())["chains"] == 2
    public = relaylog("audit", "public-key", data_dir=tmp_path, database_url=url)
    (tmp_path / "public.pem").write_text(public.stdout)

    intact = relaylog(
        "audit",
        "verify",
        "--against",
        str(exported),
        "--public-key",
        str(tmp_path / "public.pem"),
        data_dir=tmp_path,
        database_url=url,
    )
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout == (
        "audit trail intact: 6 events in 2 chains; none of the 2 checkpointed chains was "
        "rewritten\n"
    )

    async def rewrite() -> str:
        engine = create_async_engine(async_url(url), poolclass=NullPool)
        try:
            async with AsyncSession(engine) as session:
                chain = str(await session.scalar(select(AuditEvent.chain).limit(1)))
                await rewrite_chain(session, chain)
                await session.commit()
                return chain
        finally:
            await engine.dispose()

    chain = asyncio.run(rewrite())
    alone = relaylog("audit", "verify", data_dir=tmp_path, database_url=url)
    assert alone.returncode == 0  # a consistent rewrite: only a checkpoint can tell
    caught = relaylog(
        "audit", "verify", "--against", str(exported), data_dir=tmp_path, database_url=url
    )
    assert caught.returncode == 1
    assert caught.stdout == (
        "audit trail BROKEN in 1 of 2 chains (6 events):\n"
        f"  {chain}: event {caught.stdout.split('event ')[1].split(':')[0]}: chain was "
        "rewritten after the checkpoint\n"
    )
    assert "Traceback" not in caught.stderr


def test_production_signs_no_checkpoint_without_its_ed25519_key(
    settings: Settings, tmp_path: Path
) -> None:
    """Production never generates the key (a generated one would sign for whoever can
    write the data folder), and takes no other kind of key."""
    production = settings.model_copy(update={"mode": "production"})
    with pytest.raises(ConfigurationError, match="RELAYLOG_AUDIT_SIGNING_KEY_FILE must be set"):
        signing_key(production)
    assert not (production.dev_key_dir / "audit-signing.pem").exists()

    not_ed25519 = tmp_path / "ec.pem"
    not_ed25519.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
    )
    with pytest.raises(ConfigurationError, match="must be an Ed25519 key"):
        signing_key(production.model_copy(update={"audit_signing_key_file": not_ed25519}))


@pytest.mark.slow
def test_audit_checkpoint_in_production_without_its_key_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAYLOG_MODE", "production")
    missing = relaylog("audit", "checkpoint", data_dir=tmp_path, database_url=DATABASE_DOWN)
    assert "RELAYLOG_AUDIT_SIGNING_KEY_FILE must be set in production" in assert_one_line_error(
        missing
    )

    rsa_key = tmp_path / "rsa.pem"
    rsa_key.write_bytes(
        rsa.generate_private_key(65537, 2048).private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
    )
    monkeypatch.setenv("RELAYLOG_AUDIT_SIGNING_KEY_FILE", str(rsa_key))
    wrong = relaylog("audit", "checkpoint", data_dir=tmp_path, database_url=DATABASE_DOWN)
    assert "must be an Ed25519 key" in assert_one_line_error(wrong)


@pytest.mark.slow
def test_verify_against_an_unreadable_or_edited_checkpoint_is_one_line(
    trail_of_two_logs: str, tmp_path: Path
) -> None:
    url = trail_of_two_logs

    def verify_against(path: Path) -> str:
        return assert_one_line_error(
            relaylog("audit", "verify", "--against", str(path), data_dir=tmp_path, database_url=url)
        )

    assert "cannot read the checkpoint file (FileNotFoundError)" in verify_against(
        tmp_path / "no-such-checkpoint.json"
    )
    assert "cannot read the checkpoint file (IsADirectoryError)" in verify_against(tmp_path)
    (tmp_path / "not-json.json").write_text("{ this is not json")
    assert "cannot read the checkpoint file (JSONDecodeError)" in verify_against(
        tmp_path / "not-json.json"
    )

    exported = tmp_path / "checkpoint.json"
    made = relaylog(
        "audit", "checkpoint", "--export", str(exported), data_dir=tmp_path, database_url=url
    )
    assert made.returncode == 0, made.stderr
    document = json.loads(exported.read_text())
    document["heads"][0][1] += 1  # a head moved on after signing
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document))
    assert "the checkpoint's heads are not the ones it signed" in verify_against(edited)


@pytest.mark.slow
def test_the_checkpoint_the_worker_signed_is_exported_by_its_id(
    trail_of_two_logs: str, tmp_path: Path
) -> None:
    url = trail_of_two_logs
    signed = relaylog(
        "worker", "--run", "sign_audit_checkpoint", data_dir=tmp_path, database_url=url
    )
    assert signed.returncode == 0, signed.stderr

    async def newest() -> tuple[int, int]:
        engine = create_async_engine(async_url(url), poolclass=NullPool)
        try:
            async with AsyncSession(engine) as session:
                row = (
                    await session.execute(
                        select(AuditCheckpoint.id, AuditCheckpoint.chains).order_by(
                            AuditCheckpoint.id.desc()
                        )
                    )
                ).first()
                assert row is not None
                return row.id, row.chains
        finally:
            await engine.dispose()

    checkpoint_id, chains = asyncio.run(newest())
    exported = tmp_path / "nightly.json"
    made = relaylog(
        "audit",
        "checkpoint",
        "--id",
        str(checkpoint_id),
        "--export",
        str(exported),
        data_dir=tmp_path,
        database_url=url,
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"checkpoint {checkpoint_id}: {chains} chains, ")
    assert asyncio.run(newest())[0] == checkpoint_id  # exported, not signed again
    document = json.loads(exported.read_text())
    assert document["id"] == checkpoint_id
    key = signing_key(Settings(mode="dev", data_dir=tmp_path))
    assert len(parse_export(document, key.public_key())) == chains

    verified = relaylog(
        "audit", "verify", "--against", str(exported), data_dir=tmp_path, database_url=url
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"none of the {chains} checkpointed chains was rewritten" in verified.stdout

    unknown = relaylog("audit", "checkpoint", "--id", "999999", data_dir=tmp_path, database_url=url)
    assert "no audit checkpoint has the id 999999" in assert_one_line_error(unknown)
