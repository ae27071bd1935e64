"""``relaylog import staff FILE.csv``: the staff list as a spreadsheet writes it, upserted by
national id; any wrong line is reported with its number and nothing is written."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from models import AuditEvent, StaffAccount
from models.national_id import synthetic_national_id
from relaylog.staff_import import ImportRejected, LineError, import_staff
from tests.conftest import fresh_database
from tests.factories import TODAY, World
from tests.test_cli import relaylog

HEADER = "national_id;name;position;organisation;office_phone;mobile;email"
NID_A = synthetic_national_id(date(1985, 1, 15), 21)
NID_B = synthetic_national_id(date(1986, 2, 16), 22)


def _file(*lines: str, bom: bool = False, header: str = HEADER) -> bytes:
    return (("\ufeff" if bom else "") + "\r\n".join([header, *lines]) + "\r\n").encode()


async def _staff_count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(StaffAccount)) or 0


async def _imported(session: AsyncSession) -> int:
    return (
        await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.actor_kind == "SYSTEM", AuditEvent.action == "REGISTER_STAFF")
        )
        or 0
    )


async def test_a_semicolon_file_with_a_bom_creates_the_accounts_and_a_second_import_changes_nothing(
    world: World, session: AsyncSession
) -> None:
    content = _file(
        f"{NID_A};Åse Ny;Lærer;Bakken skole;22 00 11 22;+47 912 00 001;ase@kommune.no",
        f"{NID_B};Bjørn Ny;Helsesykepleier;helsestasjonen;;;",
        bom=True,
    )
    first = await import_staff(session, world.municipality.id, content, TODAY)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    ase = await session.scalar(select(StaffAccount).where(StaffAccount.name == "Åse Ny"))
    assert ase is not None
    assert (ase.organisation_id, ase.mobile, ase.email) == (
        world.school.id,
        "+47 912 00 001",
        "ase@kommune.no",
    )
    again = await import_staff(session, world.municipality.id, content, TODAY)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert await _imported(session) == 2


async def test_a_comma_file_updates_a_known_account_by_national_id_and_moves_it(
    world: World, session: AsyncSession
) -> None:
    content = _file(
        f"{world.actor.national_id},Anders Aktør,Spesialpedagog,Helsestasjonen,,,",
        header=HEADER.replace(";", ","),
    )
    report = await import_staff(session, world.municipality.id, content, TODAY)
    assert (report.created, report.updated) == (0, 1)
    await session.refresh(world.actor)
    assert (world.actor.position, world.actor.organisation_id, world.actor.mobile) == (
        "Spesialpedagog",
        world.health.id,
        None,
    )


async def test_a_dry_run_counts_and_writes_nothing(world: World, session: AsyncSession) -> None:
    before = await _staff_count(session)
    content = _file(f"{NID_A};Åse Ny;Lærer;Bakken skole;;;")
    report = await import_staff(session, world.municipality.id, content, TODAY, dry_run=True)
    assert (report.created, report.dry_run) == (1, True)
    assert await _staff_count(session) == before
    assert await _imported(session) == 0


async def test_every_wrong_line_is_reported_with_its_number_and_nothing_is_written(
    world: World, session: AsyncSession
) -> None:
    before = await _staff_count(session)
    content = _file(
        f"{NID_A};Åse Ny;Lærer;Bakken skole;;;",  # line 2 is right
        "12345678901;Feil Nummer;Lærer;Bakken skole;;;",
        f"{NID_B},Komma Feil,Lærer,Bakken skole,,,",
        "",
        f"{NID_B};Ukjent Enhet;Lærer;Månen skole;;;",
        f"{NID_A};Samme Person;Lærer;Bakken skole;;;",
        f"{synthetic_national_id(date(1990, 3, 3), 5)};Tlf Feil;Lærer;Bakken skole;123;;",
        f"{world.admin.national_id};Epost Feil;;Bakken skole;;;x@y",
    )
    with pytest.raises(ImportRejected) as rejected:
        await import_staff(session, world.municipality.id, content, TODAY)
    errors = rejected.value.errors
    assert [(e.line, e.column) for e in errors] == [
        (3, "national_id"),
        (4, None),
        (6, "organisation"),
        (7, "national_id"),
        (8, "office_phone"),
        (9, "email"),
    ]
    assert str(errors[1]) == (
        "line 4: expected 7 fields separated by ';', found 1 (is it separated by ','? "
        "the header uses ';')"
    )
    assert str(errors[3]) == "line 7, national_id: the same person as on line 2"
    assert str(errors[4]).startswith("line 8, office_phone: office_phone is not a Norwegian")
    assert all("12345678901" not in str(e) for e in errors)
    assert await _staff_count(session) == before


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("fnr;navn;enhet", id="unknown-columns"),
        pytest.param("national_id;name", id="no-organisation"),
        pytest.param("national_id;name,organisation", id="mixed-separators"),
    ],
)
async def test_a_wrong_header_is_refused_on_line_1(
    world: World, session: AsyncSession, header: str
) -> None:
    with pytest.raises(ImportRejected) as rejected:
        await import_staff(session, world.municipality.id, _file(header=header), TODAY)
    [error] = rejected.value.errors
    assert error.line == 1
    assert "header" in error.message


async def test_a_file_that_is_not_utf8_names_the_line(world: World, session: AsyncSession) -> None:
    content = (HEADER + "\n" + f"{NID_A};Åse;Lærer;Bakken skole;;;\n").encode("latin-1")
    with pytest.raises(ImportRejected) as rejected:
        await import_staff(session, world.municipality.id, content, TODAY)
    assert rejected.value.errors == [LineError(2, None, "the file is not UTF-8")]


async def _seed_unit(url: str) -> None:
    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://"))
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO municipality (id, number, name, subject_consent_age, retention_days,"
                " passive_after_days, created_at, updated_at) VALUES (gen_random_uuid(), '9999',"
                " 'Cli kommune', 15, 730, 60, now(), now())"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO organisation (id, municipality_id, name, kind, created_at, "
                "updated_at) SELECT gen_random_uuid(), id, 'Cli skole', 'SCHOOL', now(), now() "
                "FROM municipality"
            )
        )
    await engine.dispose()


@pytest.mark.slow
def test_the_command_imports_a_file_and_reports_wrong_lines_on_stderr(tmp_path: Path) -> None:
    good = tmp_path / "ansatte.csv"
    good.write_bytes(_file(f"{NID_A};Åse Ny;Lærer;Cli skole;;;", bom=True))
    bad = tmp_path / "feil.csv"
    bad.write_bytes(_file("12345678901;Feil;Lærer;Cli skole;;;"))
    with fresh_database("relaylog_import") as url:
        data = tmp_path / "data"

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return relaylog(*args, data_dir=data, database_url=url)

        assert run("migrate").returncode == 0
        asyncio.run(_seed_unit(url))
        dry = run("import", "staff", str(good), "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert "1 would be created" in dry.stdout
        done = run("import", "staff", str(good))
        assert "1 were created" in done.stdout
        again = run("import", "staff", str(good))
        assert "1 unchanged" in again.stdout
        wrong = run("import", "staff", str(bad))
        assert wrong.returncode == 1
        assert "Traceback" not in wrong.stderr
        assert wrong.stderr.splitlines()[0].startswith("feil.csv: line 2, national_id:")
