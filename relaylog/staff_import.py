"""``relaylog import staff FILE.csv [--dry-run]``: the municipality's staff list, upserted.

The file is what a spreadsheet program writes: UTF-8 with or without a byte-order mark, the
fields separated by commas or by semicolons (Norwegian Excel), one header line naming the
columns ``COLUMNS`` in any order. Each line is one staff account, matched by national id: a
new id creates an account (role ``STAFF``) in the named unit, a known one is updated, an
unchanged one is left alone, so importing the same file twice changes nothing the second
time. Every line is validated with the API's own rules first; if any line is wrong, every
wrong line is reported with its line number and column and nothing is written. Each account
created or changed is audited (``REGISTER_STAFF`` by ``SYSTEM``); the report names no one.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth.policy import RegisterAction
from models import Municipality, Organisation, StaffAccount, audit
from models.errors import InvalidInput
from models.operations import administration as ops
from models.retention import SYSTEM_ACTOR
from models.secrets import lookup_hashes
from relaylog.settings import ConfigurationError, Settings

__all__ = [
    "COLUMNS",
    "ImportRejected",
    "ImportReport",
    "LineError",
    "import_staff",
    "run_import",
]

COLUMNS = ("national_id", "name", "position", "organisation", "office_phone", "mobile", "email")
REQUIRED = frozenset({"national_id", "name", "organisation"})
SEPARATORS = (";", ",")
# The API's field names in the operations' errors, as the file's columns.
_COLUMN_OF = {
    "nationalId": "national_id",
    "officePhone": "office_phone",
    "name": "name",
    "position": "position",
    "mobile": "mobile",
    "email": "email",
    "organisationId": "organisation",
}


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class ImportRejected(Exception):
    """Some lines are wrong: nothing was written."""

    def __init__(self, errors: list[LineError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    lines: int = 0
    ids: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    data: ops.StaffData
    nid_hash: bytes
    unit: Organisation


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise ImportRejected([LineError(line, None, "the file is not UTF-8")]) from None


def _separator(header: str) -> str:
    """The separator the header line uses: the one that splits it into known columns."""
    for sep in SEPARATORS:
        names = [name.strip().lower() for name in header.split(sep)]
        known, unique = set(names) <= set(COLUMNS), len(set(names)) == len(names)
        if known and unique and set(names) >= REQUIRED:
            return sep
    raise ImportRejected(
        [
            LineError(
                1,
                None,
                "the header must name the columns " + ", ".join(COLUMNS) + " (national_id, "
                "name and organisation required), separated by ';' or ','",
            )
        ]
    )


def _rows(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]], list[LineError]]:
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise ImportRejected([LineError(1, None, "the file is empty (a header line is needed)")])
    sep = _separator(lines[0])
    other = next(s for s in SEPARATORS if s != sep)
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    header = [name.strip().lower() for name in next(reader)]
    rows, errors = [], []
    start = reader.line_num
    for values in reader:
        number = start + 1
        start = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            hint = (
                f" (is it separated by '{other}'? the header uses '{sep}')"
                if other in ("".join(values))
                else ""
            )
            errors.append(
                LineError(
                    number,
                    None,
                    f"expected {len(header)} fields separated by '{sep}', found "
                    f"{len(values)}{hint}",
                )
            )
            continue
        rows.append((number, dict(zip(header, (v.strip() for v in values), strict=True))))
    return header, rows, errors


async def _units(
    session: AsyncSession, municipality_id: uuid.UUID
) -> dict[str, list[Organisation]]:
    units: dict[str, list[Organisation]] = {}
    for unit in await session.scalars(
        select(Organisation).where(Organisation.municipality_id == municipality_id)
    ):
        units.setdefault(unit.name.strip().lower(), []).append(unit)
    return units


async def _validate(
    session: AsyncSession, municipality_id: uuid.UUID, text: str, today: date
) -> list[_Line]:
    _, rows, errors = _rows(text)
    units = await _units(session, municipality_id)
    parsed: list[_Line] = []
    seen: dict[bytes, int] = {}
    for number, row in rows:
        data = ops.StaffData(
            name=row.get("name", ""),
            national_id=row.get("national_id", ""),
            position=row.get("position", ""),
            office_phone=row.get("office_phone") or None,
            mobile=row.get("mobile") or None,
            email=row.get("email") or None,
        )
        try:
            clean, nid_hash = ops.clean_staff(data, today)
        except InvalidInput as exc:
            column = _COLUMN_OF.get(exc.field or "", exc.field)
            message = exc.message.replace(exc.field or "", column or "", 1)
            errors.append(LineError(number, column, message))
            continue
        found = [u for u in units.get(row.get("organisation", "").strip().lower(), []) if u.active]
        if len(found) != 1:
            problem = "no active unit has this name" if not found else "several units have it"
            errors.append(LineError(number, "organisation", problem))
            continue
        if nid_hash in seen:
            errors.append(
                LineError(number, "national_id", f"the same person as on line {seen[nid_hash]}")
            )
            continue
        seen[nid_hash] = number
        parsed.append(_Line(number, clean, nid_hash, found[0]))
    accounts = await _existing(session, parsed)
    for line in parsed:
        existing = accounts.get(line.nid_hash)
        if existing is not None and existing[1] != municipality_id:
            errors.append(
                LineError(line.number, "national_id", "registered in another municipality")
            )
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.line))
    return parsed


async def _existing(
    session: AsyncSession, lines: list[_Line]
) -> dict[bytes, tuple[StaffAccount, uuid.UUID]]:
    """The accounts of these lines' people, by each line's (current) hash; an account not yet
    rotated to the current data secret is found by its older hash too."""
    current = {
        other: line.nid_hash for line in lines for other in lookup_hashes(line.data.national_id)
    }
    if not current:
        return {}
    rows = await session.execute(
        select(StaffAccount, Organisation.municipality_id)
        .join(Organisation, Organisation.id == StaffAccount.organisation_id)
        .where(StaffAccount.national_id_hash.in_(list(current)))
    )
    return {
        current[account.national_id_hash]: (account, municipality) for account, municipality in rows
    }


def _changes(account: StaffAccount, data: ops.StaffData) -> dict[str, str | None]:
    wanted: dict[str, str | None] = {
        "name": data.name,
        "position": data.position,
        "office_phone": data.office_phone,
        "mobile": data.mobile,
        "email": data.email,
    }
    return {key: value for key, value in wanted.items() if getattr(account, key) != value}


async def import_staff(
    session: AsyncSession,
    municipality_id: uuid.UUID,
    content: bytes,
    today: date,
    *,
    dry_run: bool = False,
    request_id: str | None = None,
) -> ImportReport:
    """Validate every line, then (unless ``dry_run``) create or update each account.

    Raises ``ImportRejected`` with every wrong line before anything is written.
    """
    lines = await _validate(session, municipality_id, _decode(content), today)
    report = ImportReport(dry_run=dry_run, lines=len(lines))
    accounts = await _existing(session, lines)
    entries = []
    for line in lines:
        existing = accounts.get(line.nid_hash)
        if existing is None:
            report.created += 1
            if not dry_run:
                account = await ops.create_staff(session, line.unit, line.data, today)
                report.ids.append(account.id)
                entries.append(account.id)
            continue
        account = existing[0]
        changes = _changes(account, line.data)
        moved = account.organisation_id != line.unit.id
        if not changes and not moved:
            report.unchanged += 1
            continue
        report.updated += 1
        if not dry_run:
            await ops.edit_staff(session, account, dict(changes), unit=line.unit)
            report.ids.append(account.id)
            entries.append(account.id)
    if entries:
        request = request_id or f"import-{uuid.uuid4().hex}"
        await audit.append(
            session,
            [
                audit.AuditEntry(
                    actor_kind=SYSTEM_ACTOR,
                    action=RegisterAction.REGISTER_STAFF.value,
                    object_type="StaffAccount",
                    object_id=account_id,
                    request_id=request,
                    municipality_id=municipality_id,
                )
                for account_id in entries
            ],
        )
    return report


async def find_municipality(session: AsyncSession, name_or_number: str | None) -> Municipality:
    """The municipality by number or name; without one, the only municipality there is."""
    stmt = select(Municipality)
    if name_or_number is not None:
        wanted = name_or_number.strip().lower()
        stmt = stmt.where(
            (Municipality.number == wanted) | (func.lower(Municipality.name) == wanted)
        )
    found = list(await session.scalars(stmt.limit(2)))
    if len(found) == 1:
        return found[0]
    if not found:
        raise ConfigurationError(f"no municipality has the number or name {name_or_number!r}")
    raise ConfigurationError("several municipalities: name one with --municipality")


@asynccontextmanager
async def _session(url: str) -> AsyncIterator[AsyncSession]:
    from relaylog.db import check_database, create_engine, session_scope

    engine = create_engine(url)
    try:
        await check_database(engine)
        async with session_scope(async_sessionmaker(engine, expire_on_commit=False)) as session:
            yield session
    finally:
        await engine.dispose()


async def run_import(
    settings: Settings,
    url: str,
    content: bytes,
    today: date,
    *,
    municipality: str | None,
    dry_run: bool,
) -> ImportReport:
    """One transaction: committed only when every line is right and it is not a dry run."""
    from relaylog.services import configure_data_protection

    configure_data_protection(settings)
    async with _session(url) as session:
        found = await find_municipality(session, municipality)
        report = await import_staff(session, found.id, content, today, dry_run=dry_run)
        if dry_run:
            await session.rollback()
        return report
