"""A realistic municipality (or a country) of relay logs, built fast with PostgreSQL COPY.

``build_dataset`` creates and migrates its own database, then streams rows with asyncpg's
``copy_records_to_table`` (binary COPY; no ORM). Per log: 1-4 points of attention with 1-6
measures each and 0-4 evaluations per measure, 0-10 meetings with participants, notes,
sparkles, 2-8 actors across organisations, 1-2 guardians, consents and level history.
Levels are distributed like real use: mostly 1, fewer 2, few 3 (and a few level-0 drafts).

National ids are synthetic (month + 80) and stored as the app stores them: Fernet ciphertext
plus keyed hash (``models.secrets``). Every person gets a unique id and hash; encrypting a
million ids costs minutes, so people nobody logs in as share ciphertexts from a small pool,
while the benchmark's login users (the ``Manifest``) get their own real ciphertext.

The rows of a batch of logs are shuffled before COPY, so the rows of one log end up on
different pages, as they do when a log is written to over months among thousands of others.
Logs are generated in chunks by worker processes (one per core), each with its own COPY
connection; secondary indexes are dropped during the load and built afterwards.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import math
import os
import random
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any

import asyncpg
from asyncpg.pgproto import pgproto

from models import secrets as data_protection

__all__ = [
    "BENCH_SECRET",
    "BenchGuardian",
    "Manifest",
    "build_dataset",
    "connect",
    "drop_database",
    "load_manifest",
    "synthetic_id",
]

BENCH_SECRET = b"relaylog-benchmark-data-protection-secret-0123456789"
CHUNK = 1000  # logs per COPY batch
CIPHER_POOL = 256
MANIFEST_TABLE = "benchmark_manifest"

# ---------------------------------------------------------------------------------------------
# Synthetic national ids: DDMMYYIIIKK with month + 80, both mod-11 check digits valid.
# ---------------------------------------------------------------------------------------------
_K1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_K2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
IDS_PER_DATE = 350  # every birth date has more valid individual numbers than this


def _check(digits: str, weights: tuple[int, ...]) -> int | None:
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return 0 if remainder == 0 else None if remainder == 1 else 11 - remainder


_valid_cache: dict[date, tuple[list[str], list[int]]] = {}


def _nth_valid_id(born: date, n: int) -> str:
    """The ``n``-th valid synthetic id of a birth date (individual numbers ascending)."""
    first = 500 if born.year >= 2000 else 0
    found, cursor = _valid_cache.setdefault(born, ([], [first]))
    prefix = f"{born.day:02d}{born.month + 80:02d}{born.year % 100:02d}"
    while len(found) <= n:
        individual = cursor[0]
        if individual >= first + 500:
            raise ValueError("id space exhausted")
        cursor[0] += 1
        nine = f"{prefix}{individual:03d}"
        k1 = _check(nine, _K1)
        if k1 is None:
            continue
        k2 = _check(nine + str(k1), _K2)
        if k2 is not None:
            found.append(f"{nine}{k1}{k2}")
    return found[n]


@dataclass(frozen=True)
class IdSpace:
    """Index ``i`` → a unique synthetic id born between ``first`` and ``last``."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def multiplier(self) -> int:
        m = 7919
        while math.gcd(m, self.days) != 1:
            m += 2
        return m

    def at(self, index: int) -> tuple[str, date]:
        days = self.days
        born = self.first + timedelta(days=(index * self.multiplier()) % days)
        j = index // days
        if j >= IDS_PER_DATE:
            raise ValueError("id space exhausted")
        return _nth_valid_id(born, j), born


CHILDREN = IdSpace(date(2008, 1, 1), date(2025, 12, 31))
GUARDIANS = IdSpace(date(1965, 1, 1), date(1994, 12, 31))
STAFF = IdSpace(date(1955, 1, 1), date(1964, 12, 31))


def synthetic_id(space: IdSpace, index: int) -> str:
    return space.at(index)[0]


# ---------------------------------------------------------------------------------------------
# The plan: organisations, staff and the benchmark's login users (shared with the workers).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchGuardian:
    guardian_index: int
    national_id: str
    children: int


@dataclass
class Manifest:
    """Who the load driver logs in as, and what they look at."""

    logs: int
    seed: int
    today: str
    unit_id: str  # the unit whose manager runs the passive report
    unit_logs: int
    manager_national_id: str
    holders: list[dict[str, Any]] = field(default_factory=list)  # national_id, log_ids
    externals: list[dict[str, Any]] = field(default_factory=list)  # national_id, log_ids
    guardians: list[dict[str, Any]] = field(default_factory=list)  # national_id, log_ids
    counts: dict[str, int] = field(default_factory=dict)
    build_seconds: float = 0.0


@dataclass
class Unit:
    org_id: Any
    municipality: int
    staff: list[Any]  # staff ids
    kind: str


@dataclass
class Plan:
    logs: int
    seed: int
    today: date
    municipalities: list[Any]
    units: list[Unit]  # holding units (schools, kindergartens); units[0] is the big unit
    units_by_municipality: list[list[int]]
    others: list[list[tuple[Any, Any]]]  # per municipality: (staff id, org id), not specialist
    specialists: list[list[tuple[Any, Any]]]  # per municipality: specialist health staff
    big_unit_logs: int
    bench_holders: list[Any]  # staff ids
    holder_logs: int  # logs held by each bench holder
    bench_externals: list[Any]  # staff ids (health station of municipality 0)
    external_org: Any
    external_logs: int  # level-2 logs each bench external is an actor in
    bench_guardians: list[BenchGuardian]
    bench_guardian_first_log: int
    guardian_base: int  # guardian id-space index where bench guardians start
    guardian_logs: dict[int, tuple[int, int]]  # log index -> (bench guardian, nth child)
    other_orgs: list[tuple[int, Any, str, list[Any]]]  # municipality, org id, kind, staff ids
    cipher_pool: list[bytes]
    address_pool: list[bytes]
    hash_key: bytes

    def bench_guardian_of(self, log_index: int) -> int | None:
        found = self.guardian_logs.get(log_index)
        return None if found is None else found[0]

    def workers(self, unit: Unit) -> list[Any]:
        """Staff who hold and work in logs (the unit's manager, its last member, does not)."""
        return unit.staff[:-1]


def _uuids(rng: random.Random, n: int) -> list[Any]:
    raw = rng.randbytes(16 * n)
    return [pgproto.UUID(raw[i : i + 16]) for i in range(0, 16 * n, 16)]


FIRST_NAMES = [
    "Anna",
    "Ole",
    "Ingrid",
    "Lars",
    "Sofie",
    "Emil",
    "Nora",
    "Jakob",
    "Emma",
    "Henrik",
    "Ida",
    "Filip",
    "Sara",
    "Magnus",
    "Maja",
    "Kristian",
    "Thea",
    "Sindre",
    "Hedda",
    "Tobias",
    "Leah",
    "Aksel",
    "Ella",
    "Mathias",
    "Vilde",
    "Sander",
    "Frida",
    "Jonas",
]
LAST_NAMES = [
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Johnsen",
    "Pettersen",
    "Eriksen",
    "Berg",
    "Haugen",
    "Hagen",
    "Johannessen",
    "Andreassen",
    "Jacobsen",
    "Dahl",
]
POSITIONS = ("Lærer", "Kontaktlærer", "Barnehagelærer", "Spesialpedagog", "Assistent")
EXTERNAL_POSITIONS = ("Helsesykepleier", "PP-rådgiver", "Saksbehandler", "Fysioterapeut")


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def make_plan(logs: int, seed: int, today: date) -> Plan:
    rng = random.Random(seed)
    municipalities = _uuids(rng, max(1, math.ceil(logs / 50_000)))
    big = min(2000, max(1, logs // 2))
    holder_logs = min(60, max(2, big // 16))
    bench_holders_n = min(16, max(1, big // holder_logs))
    external_logs = min(20, max(1, holder_logs // 3))
    guardian_children = [1 + g % 3 for g in range(32 if logs >= 1000 else 3)]
    first_guardian_log = big if logs - big >= sum(guardian_children) else 0
    units_per_municipality = max(2, logs // len(municipalities) // 150)
    per_unit = max(1, (logs - big) // max(1, units_per_municipality * len(municipalities) - 1))

    units: list[Unit] = []
    by_municipality: list[list[int]] = [[] for _ in municipalities]
    for m in range(len(municipalities)):
        for u in range(units_per_municipality):
            held = big if not units else per_unit
            kind = "SCHOOL" if u % 2 == 0 else "KINDERGARTEN"
            staff_n = held // 4 + 4 if units else max(held // 4 + 4, bench_holders_n + 4)
            units.append(Unit(_uuids(rng, 1)[0], m, _uuids(rng, staff_n), kind))
            if units[-1] is not units[0]:
                by_municipality[m].append(len(units) - 1)
    others: list[list[tuple[Any, Any]]] = []
    specialists: list[list[tuple[Any, Any]]] = []
    other_orgs: list[tuple[int, Any, str, list[Any]]] = []
    for m in range(len(municipalities)):
        pool: list[tuple[Any, Any]] = []
        special: list[tuple[Any, Any]] = []
        kinds = ["HEALTH"] * max(1, units_per_municipality // 10) + [
            "PPT",
            "CHILD_WELFARE",
            "SPECIALIST_HEALTH",
        ]
        for kind in kinds:
            org = _uuids(rng, 1)[0]
            staff = _uuids(rng, max(20, logs // len(municipalities) // 40 // len(kinds)))
            other_orgs.append((m, org, kind, staff))
            (special if kind == "SPECIALIST_HEALTH" else pool).extend((s, org) for s in staff)
        others.append(pool)
        specialists.append(special)
    external_org = other_orgs[0][1]
    bench_externals = other_orgs[0][3][:bench_holders_n]

    guardian_base = 2 * logs + 8
    bench_guardians = [
        BenchGuardian(guardian_base + g, synthetic_id(GUARDIANS, guardian_base + g), n)
        for g, n in enumerate(guardian_children)
    ]
    data_protection.configure(BENCH_SECRET)
    keys = data_protection._require()
    cipher_pool = [
        keys.fernet.encrypt(synthetic_id(CHILDREN, 3_000_000 // 2 + i).encode())
        for i in range(CIPHER_POOL)
    ]
    address_pool = [
        keys.fernet.encrypt(
            f"{rng.choice(LAST_NAMES)}veien {i + 1}, 0{i % 900 + 100} Oslo".encode()
        )
        for i in range(CIPHER_POOL)
    ]
    guardian_logs: dict[int, tuple[int, int]] = {}
    at = first_guardian_log
    for g, n in enumerate(guardian_children):
        for k in range(n):
            guardian_logs[at] = (g, k)
            at += 1
    return Plan(
        logs=logs,
        seed=seed,
        today=today,
        municipalities=municipalities,
        units=units,
        units_by_municipality=by_municipality,
        others=others,
        specialists=specialists,
        big_unit_logs=big,
        bench_holders=units[0].staff[:bench_holders_n],
        holder_logs=holder_logs,
        bench_externals=bench_externals,
        external_org=external_org,
        external_logs=external_logs,
        bench_guardians=bench_guardians,
        bench_guardian_first_log=first_guardian_log,
        guardian_base=guardian_base,
        cipher_pool=cipher_pool,
        address_pool=address_pool,
        hash_key=keys.hash_key,
        guardian_logs=guardian_logs,
        other_orgs=other_orgs,
    )


# ---------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------

COLUMNS: dict[str, list[str]] = {
    "municipality": [
        "id",
        "created_at",
        "updated_at",
        "number",
        "name",
        "subject_consent_age",
        "retention_days",
        "passive_after_days",
    ],
    "organisation": ["id", "created_at", "updated_at", "municipality_id", "name", "kind"],
    "staff_account": [
        "id",
        "created_at",
        "updated_at",
        "organisation_id",
        "national_id",
        "national_id_hash",
        "name",
        "position",
        "office_phone",
        "mobile",
        "email",
        "is_manager",
        "role",
        "active",
    ],
    "child": [
        "id",
        "created_at",
        "updated_at",
        "municipality_id",
        "name",
        "national_id",
        "national_id_hash",
        "birth_date",
        "address",
    ],
    "guardian": (
        [
            "id",
            "created_at",
            "updated_at",
            "name",
            "national_id",
            "national_id_hash",
            "phone",
            "email",
        ]
    ),
    "child_guardian": ["child_id", "guardian_id", "parental_responsibility"],
    "relay_log": [
        "id",
        "created_at",
        "updated_at",
        "version",
        "municipality_id",
        "child_id",
        "status",
        "level",
        "activity_plan_reported_on",
        "paused_reason",
        "close_reason",
        "closed_at",
        "last_activity_at",
    ],
    "level_change": [
        "id",
        "log_id",
        "from_level",
        "to_level",
        "reason",
        "changed_by_id",
        "changed_at",
    ],
    "actor_membership": [
        "id",
        "created_at",
        "updated_at",
        "log_id",
        "staff_id",
        "organisation_id",
        "is_holder",
        "status",
        "shares_mobile",
        "deactivated_at",
        "deactivated_reason",
    ],
    "consent_document": [
        "id",
        "created_at",
        "updated_at",
        "log_id",
        "content_type",
        "size_bytes",
        "sha256",
        "content",
    ],
    "consent": [
        "id",
        "created_at",
        "updated_at",
        "log_id",
        "scope",
        "given_by_kind",
        "given_by_guardian_id",
        "evidence",
        "document_id",
        "given_on",
        "valid_until",
        "withdrawn_at",
        "withdrawn_reason",
    ],
    "point_of_attention": [
        "id",
        "created_at",
        "updated_at",
        "version",
        "log_id",
        "category",
        "description",
        "goal",
        "informed_manager",
        "informed_guardian",
        "informed_child",
        "assessed_level",
        "status",
    ],
    "measure": [
        "id",
        "created_at",
        "updated_at",
        "version",
        "log_id",
        "point_id",
        "type",
        "description",
        "responsible_guardians",
        "responsible_child",
        "initiated_on",
        "finished_by",
        "status",
        "created_by_id",
    ],
    "measure_responsible": ["measure_id", "staff_id"],
    "evaluation": [
        "id",
        "author_kind",
        "author_staff_id",
        "author_guardian_id",
        "log_id",
        "measure_id",
        "outcome",
        "status_after",
        "comment",
        "evaluated_at",
    ],
    "meeting": [
        "id",
        "created_at",
        "updated_at",
        "version",
        "log_id",
        "held_on",
        "starts_at",
        "ends_at",
        "place",
        "organisation_id",
        "status",
        "comments",
    ],
    "meeting_participant": [
        "id",
        "meeting_id",
        "kind",
        "staff_id",
        "guardian_id",
        "invited",
        "present",
    ],
    "note": [
        "id",
        "created_at",
        "updated_at",
        "version",
        "author_kind",
        "author_staff_id",
        "author_guardian_id",
        "log_id",
        "text",
        "adults_only",
        "is_summary",
        "point_id",
        "meeting_id",
    ],
    "sparkle": [
        "id",
        "created_at",
        "updated_at",
        "author_kind",
        "author_staff_id",
        "author_guardian_id",
        "log_id",
        "occurred_on",
        "text",
    ],
}
LOG_TABLES = [t for t in COLUMNS if t not in {"municipality", "organisation", "staff_account"}]

CATEGORIES = [
    "LEARNING",
    "CONCENTRATION_ATTENTION",
    "MOTOR_SKILL",
    "SOCIAL_INTERACTION",
    "COMMUNICATION",
    "WELLBEING",
    "LEISURE",
    "HEALTH",
    "OTHER",
]
MEASURE_TYPES = "GROUP ONE_ON_ONE MAPPING HOME_ACTIVITIES OBSERVATION CLOSE_MONITORING TRAINING"
OUTCOMES = ("NOT_REACHED", "SOME_EFFECT", "REACHED")
AFTER = ("ENDED_DEFINE_NEW", "WILL_BE_ADJUSTED", "ENDED_CONTINUE_DAILY", "ENDED")
POINT_TEXTS = (
    "Konsentrasjon i timene",
    "Samspill med andre barn i friminuttene",
    "Språkutvikling og ordforråd",
    "Trives ikke på skolen om morgenen",
    "Finmotorikk: blyantgrep og klipping",
    "Uro og sinne ved overganger",
    "Mye fravær siste måned",
    "Lesing: avkoding og leseflyt",
)
GOALS = (
    "Vi ser at hun holder fokus en hel økt",
    "Vi ser at han leker med flere barn uten konflikt",
    "Vi ser at barnet bruker hele setninger i samlingsstund",
    "Vi ser at hun kommer glad på skolen fire av fem dager",
)
MEASURE_TEXTS = (
    "Faste pauser hver 20. minutt",
    "Ukentlig samtale med kontaktlærer",
    "Lesekurs i liten gruppe to ganger i uka",
    "Visuell dagsplan på pulten",
    "Daglig tilbakemelding hjem i kontaktboka",
    "Observasjon i friminutt av miljøarbeider",
)
COMMENTS = ("Bedre etter to uker", "Ingen endring ennå", "Tydelig framgang", "")
NOTE_TEXTS = tuple(
    (s + " ") * k
    for s in (
        "Referat fra loggmøte: alle parter til stede, vi gikk gjennom tiltakene.",
        "Foresatte forteller at det går bedre hjemme med leggetidene.",
        "Observasjon: deltok aktivt i gruppearbeid i dag, tok initiativ.",
    )
    for k in (1, 3, 6)
)
SPARKLES = (
    "Hun rakk opp hånda i matte i dag!",
    "Lekte med tre nye venner i friminuttet",
    "Leste en hel side høyt for klassen",
    "Kom glad i barnehagen hele uka",
)


@dataclass
class Rows:
    tables: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {t: [] for t in LOG_TABLES}
    )

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.tables[table].append(row)


class LogWriter:
    """Generates every row of the logs of one chunk."""

    def __init__(self, plan: Plan, chunk: int) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed * 1_000_003 + chunk)
        self.now = datetime.combine(plan.today, clock(12, 0), UTC)
        self.ids = self._id_stream()
        self.mac = hmac.new(plan.hash_key, digestmod=hashlib.sha256)

    def _id_stream(self) -> Iterator[Any]:
        while True:
            yield from _uuids(self.rng, 4096)

    def id(self) -> Any:
        return next(self.ids)

    def ts(self, days_back_max: float, days_back_min: float = 0.0) -> datetime:
        back = self.rng.uniform(days_back_min, days_back_max)
        stamp = self.now - timedelta(days=back)
        # never a trailing zero in the fraction: JSON from PostgreSQL and Python then agree
        return stamp.replace(microsecond=self.rng.randrange(100_000) * 10 + 1)

    def person(self, space: IdSpace, index: int, real: bool) -> tuple[bytes, bytes, date]:
        nid, born = space.at(index)
        mac = self.mac.copy()
        mac.update(nid.encode())
        digest = mac.digest()
        if real:
            cipher = data_protection._require().fernet.encrypt(nid.encode())
        else:
            cipher = self.plan.cipher_pool[index % CIPHER_POOL]
        return cipher, digest, born

    def level(self, i: int) -> int:
        plan = self.plan
        if i < len(plan.bench_holders) * plan.holder_logs:
            k = i % plan.holder_logs
            if k < plan.external_logs:
                return 2
        if plan.bench_guardian_of(i) is not None:
            return 1 + (i % 2)
        r = self.rng.random()
        return 0 if r < 0.05 else 1 if r < 0.70 else 2 if r < 0.95 else 3

    def holder(self, i: int) -> tuple[int, Any]:
        plan = self.plan
        bench = len(plan.bench_holders) * plan.holder_logs
        if i < bench:
            return 0, plan.bench_holders[i // plan.holder_logs]
        if i < plan.big_unit_logs:
            rest = plan.workers(plan.units[0])[len(plan.bench_holders) :]
            return 0, self.rng.choice(rest or plan.bench_holders)
        m = i % len(plan.municipalities)
        u = self.rng.choice(plan.units_by_municipality[m] or [0])
        return u, self.rng.choice(plan.workers(plan.units[u]))

    def write(self, i: int, rows: Rows, manifest: dict[str, list[tuple[int, Any]]]) -> None:
        plan, rng, now = self.plan, self.rng, self.now
        level = self.level(i)
        unit_index, holder = self.holder(i)
        unit = plan.units[unit_index]
        m = unit.municipality
        municipality = plan.municipalities[m]
        log_id = self.id()
        created = self.ts(3 * 365, 20)
        age_days = (now - created).days
        last_activity = self.ts(age_days)
        bench_guardian = plan.bench_guardian_of(i)
        is_bench_holder_log = i < len(plan.bench_holders) * plan.holder_logs
        if level == 0:
            status, close_reason, closed_at, paused = "DRAFT", None, None, None
        elif bench_guardian is not None or is_bench_holder_log:
            status, close_reason, closed_at, paused = "ACTIVE", None, None, None
        else:
            r = rng.random()
            if r < 0.85:
                status, close_reason, closed_at, paused = "ACTIVE", None, None, None
            elif r < 0.90:
                status, close_reason, closed_at, paused = "PAUSED", None, None, "Etter avtale"
            else:
                status, close_reason, closed_at, paused = (
                    "CLOSED",
                    "GOAL_REACHED",
                    last_activity,
                    None,
                )
        plan_reported = (
            (plan.today - timedelta(days=rng.randrange(1, 60))) if rng.random() < 0.03 else None
        )

        # child and guardians
        child_id = self.id()
        cipher, digest, born = self.person(CHILDREN, i, False)
        rows.add(
            "child",
            (
                child_id,
                created,
                created,
                municipality,
                _name(rng),
                cipher,
                digest,
                born,
                plan.address_pool[i % CIPHER_POOL],
            ),
        )
        guardians: list[Any] = []
        if bench_guardian is not None:
            bench = plan.bench_guardians[bench_guardian]
            offset = plan.guardian_logs[i][1]
            gid = _bench_guardian_uuid(plan, bench_guardian)
            if offset == 0:
                cipher, digest, _ = self.person(GUARDIANS, bench.guardian_index, True)
                rows.add(
                    "guardian",
                    (
                        gid,
                        created,
                        created,
                        _name(rng),
                        cipher,
                        digest,
                        "+47 911 11 111",
                        "foresatt@example.no",
                    ),
                )
            guardians.append(gid)
            manifest.setdefault(f"guardian:{bench_guardian}", []).append((i, log_id))
        else:
            for k in range(1 if rng.random() < 0.3 else 2):
                gid = self.id()
                cipher, digest, _ = self.person(GUARDIANS, 2 * i + k, False)
                rows.add(
                    "guardian",
                    (
                        gid,
                        created,
                        created,
                        _name(rng),
                        cipher,
                        digest,
                        f"+47 9{rng.randrange(10**7):07d}",
                        "foresatt@example.no",
                    ),
                )
                guardians.append(gid)
        for gid in guardians:
            rows.add("child_guardian", (child_id, gid, True))

        rows.add(
            "relay_log",
            (
                log_id,
                created,
                last_activity,
                1 + rng.randrange(5),
                municipality,
                child_id,
                status,
                level,
                plan_reported,
                paused,
                close_reason,
                closed_at,
                last_activity,
            ),
        )
        rows.add(
            "level_change", (self.id(), log_id, None, min(level, 1), "Opprettet", holder, created)
        )
        for to in range(2, level + 1):
            rows.add(
                "level_change",
                (self.id(), log_id, to - 1, to, "Samtykke til deling", holder, self.ts(age_days)),
            )

        # consents: each guardian for every scope the level needs
        scopes = ("CREATE", "SHARE", "BROAD")[: max(0, level)]
        for gid in guardians:
            for scope in scopes:
                document = None
                if rng.random() < 0.2:
                    document = self.id()
                    rows.add(
                        "consent_document",
                        (
                            document,
                            created,
                            created,
                            log_id,
                            "application/pdf",
                            44,
                            "0" * 64,
                            b"%PDF-1.4\n",
                        ),
                    )
                rows.add(
                    "consent",
                    (
                        self.id(),
                        created,
                        created,
                        log_id,
                        scope,
                        "GUARDIAN",
                        gid,
                        "UPLOADED_FORM" if document else "IN_APP",
                        document,
                        created.date(),
                        None,
                        None,
                        None,
                    ),
                )

        # actors: the holder, colleagues, other services from level 2, specialists at level 3
        actors: list[tuple[Any, Any]] = [(holder, unit.org_id)]
        wanted = rng.randint(2, 8)
        staff_pool = plan.workers(unit)
        colleagues = [
            s for s in rng.sample(staff_pool, min(len(staff_pool), wanted)) if s != holder
        ]
        if is_bench_holder_log and i % plan.holder_logs < plan.external_logs:
            actors.append((plan.bench_externals[i // plan.holder_logs], plan.external_org))
            manifest.setdefault(f"external:{i // plan.holder_logs}", []).append((i, log_id))
        while len(actors) < wanted and colleagues:
            if level >= 2 and rng.random() < 0.4 and plan.others[m]:
                actors.append(rng.choice(plan.others[m]))
            elif level >= 3 and rng.random() < 0.3 and plan.specialists[m]:
                actors.append(rng.choice(plan.specialists[m]))
            else:
                actors.append((colleagues.pop(), unit.org_id))
        seen: set[Any] = set()
        actor_staff: list[Any] = []
        for k, (staff, org) in enumerate(actors):
            if staff in seen:
                continue
            seen.add(staff)
            actor_staff.append(staff)
            deactivated = k > 1 and rng.random() < 0.05
            rows.add(
                "actor_membership",
                (
                    self.id(),
                    created,
                    created,
                    log_id,
                    staff,
                    org,
                    k == 0,
                    "DEACTIVATED" if deactivated else "ACTIVE",
                    rng.random() < 0.5,
                    last_activity if deactivated else None,
                    "Nivå senket" if deactivated else None,
                ),
            )
        if is_bench_holder_log:
            manifest.setdefault(f"holder:{i // plan.holder_logs}", []).append((i, log_id))

        # points, measures, evaluations
        point_ids: list[Any] = []
        for _ in range(rng.randint(1, 4)):
            point_id = self.id()
            point_ids.append(point_id)
            stamp = self.ts(age_days)
            rows.add(
                "point_of_attention",
                (
                    point_id,
                    stamp,
                    stamp,
                    1,
                    log_id,
                    rng.choice(CATEGORIES),
                    rng.choice(POINT_TEXTS),
                    rng.choice(GOALS),
                    rng.random() < 0.5,
                    rng.random() < 0.8,
                    rng.random() < 0.3,
                    max(level, 0),
                    "ONGOING" if rng.random() < 0.8 else "ENDED",
                ),
            )
            for _ in range(rng.randint(1, 6)):
                measure_id = self.id()
                start = plan.today - timedelta(days=rng.randrange(0, max(1, age_days)))
                stamp = datetime.combine(start, clock(9), UTC)
                rows.add(
                    "measure",
                    (
                        measure_id,
                        stamp,
                        stamp,
                        1,
                        log_id,
                        point_id,
                        rng.choice(MEASURE_TYPES.split()),
                        rng.choice(MEASURE_TEXTS),
                        rng.random() < 0.3,
                        rng.random() < 0.2,
                        start,
                        start + timedelta(days=rng.randrange(14, 120)),
                        "OPEN" if rng.random() < 0.6 else "ENDED",
                        holder,
                    ),
                )
                for staff in rng.sample(actor_staff, min(len(actor_staff), rng.randint(1, 2))):
                    rows.add("measure_responsible", (measure_id, staff))
                for _ in range(rng.randint(0, 4)):
                    rows.add(
                        "evaluation",
                        (
                            self.id(),
                            "STAFF",
                            rng.choice(actor_staff),
                            None,
                            log_id,
                            measure_id,
                            rng.choice(OUTCOMES),
                            rng.choice(AFTER),
                            rng.choice(COMMENTS),
                            self.ts(age_days),
                        ),
                    )

        # meetings and participants
        meeting_ids: list[Any] = []
        for _ in range(rng.randint(0, 10)):
            meeting_id = self.id()
            meeting_ids.append(meeting_id)
            held = plan.today + timedelta(days=rng.randrange(-age_days - 1, 30))
            if held >= plan.today:
                mstatus = "PLANNED"
            else:
                r = rng.random()
                mstatus = "COMPLETED" if r < 0.8 else "CANCELLED" if r < 0.85 else "PLANNED"
            stamp = self.ts(age_days)
            rows.add(
                "meeting",
                (
                    meeting_id,
                    stamp,
                    stamp,
                    1,
                    log_id,
                    held,
                    clock(14),
                    clock(15),
                    "Møterom 2",
                    unit.org_id,
                    mstatus,
                    "",
                ),
            )
            done = True if mstatus == "COMPLETED" else None
            for staff in actor_staff[: rng.randint(1, 3)]:
                rows.add(
                    "meeting_participant", (self.id(), meeting_id, "ACTOR", staff, None, True, done)
                )
            for gid in guardians[: rng.randint(0, len(guardians))]:
                rows.add(
                    "meeting_participant",
                    (self.id(), meeting_id, "GUARDIAN", None, gid, True, done),
                )
            if rng.random() < 0.3:
                rows.add(
                    "meeting_participant", (self.id(), meeting_id, "CHILD", None, None, True, done)
                )

        # notes and sparkles
        for k in range(rng.randint(0, 8)):
            by_guardian = rng.random() < 0.2
            stamp = self.ts(age_days)
            rows.add(
                "note",
                (
                    self.id(),
                    stamp,
                    stamp,
                    1,
                    "GUARDIAN" if by_guardian else "STAFF",
                    None if by_guardian else rng.choice(actor_staff),
                    rng.choice(guardians) if by_guardian else None,
                    log_id,
                    rng.choice(NOTE_TEXTS),
                    rng.random() < 0.1,
                    False,
                    rng.choice(point_ids) if rng.random() < 0.3 else None,
                    rng.choice(meeting_ids) if meeting_ids and k == 0 else None,
                ),
            )
        if status == "CLOSED":
            rows.add(
                "note",
                (
                    self.id(),
                    last_activity,
                    last_activity,
                    1,
                    "STAFF",
                    holder,
                    None,
                    log_id,
                    "Oppsummering: målene er nådd.",
                    False,
                    True,
                    None,
                    None,
                ),
            )
        for _ in range(rng.randint(0, 6)):
            by_guardian = rng.random() < 0.3
            stamp = self.ts(age_days)
            rows.add(
                "sparkle",
                (
                    self.id(),
                    stamp,
                    stamp,
                    "GUARDIAN" if by_guardian else "STAFF",
                    None if by_guardian else rng.choice(actor_staff),
                    rng.choice(guardians) if by_guardian else None,
                    log_id,
                    stamp.date(),
                    rng.choice(SPARKLES),
                ),
            )


def _bench_guardian_uuid(plan: Plan, g: int) -> Any:
    return pgproto.UUID(random.Random(plan.seed * 7 + g + 1).randbytes(16))


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


async def connect(url: str) -> Any:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return await asyncpg.connect(
        user=parsed.username or "postgres",
        password=parsed.password,
        host=parsed.query.get("host") or parsed.host,
        port=parsed.port,
        database=parsed.database,
    )


async def _copy(conn: Any, table: str, records: Sequence[tuple[Any, ...]]) -> None:
    if records:
        await conn.copy_records_to_table(table, records=records, columns=COLUMNS[table])


async def _load_chunks(url: str, plan: Plan, chunks: list[int]) -> dict[str, Any]:
    conn = await connect(url)
    counts: dict[str, int] = {t: 0 for t in LOG_TABLES}
    manifest: dict[str, list[tuple[int, Any]]] = {}
    try:
        await conn.execute("SET session_replication_role = replica; SET synchronous_commit = off")
        for chunk in chunks:
            writer = LogWriter(plan, chunk)
            rows = Rows()
            for i in range(chunk * CHUNK, min(plan.logs, (chunk + 1) * CHUNK)):
                writer.write(i, rows, manifest)
            async with conn.transaction():
                for table, records in rows.tables.items():
                    writer.rng.shuffle(records)
                    await _copy(conn, table, records)
                    counts[table] += len(records)
    finally:
        await conn.close()
    return {
        "counts": counts,
        "manifest": {k: [(i, str(log_id)) for i, log_id in v] for k, v in manifest.items()},
    }


def _worker(url: str, plan: Plan, chunks: list[int]) -> dict[str, Any]:
    data_protection.configure(BENCH_SECRET)
    return asyncio.run(_load_chunks(url, plan, chunks))


async def _load_people(conn: Any, plan: Plan, manifest: Manifest) -> dict[str, int]:
    """Municipalities, organisations and staff (the bench users with real ciphertexts)."""
    rng = random.Random(plan.seed + 99)
    now = datetime.combine(plan.today, clock(8), UTC)
    keys = data_protection._require()
    await _copy(
        conn,
        "municipality",
        [
            (mid, now, now, f"{9000 + k:04d}", f"Benchmark kommune {k + 1}", 15, 730, 60)
            for k, mid in enumerate(plan.municipalities)
        ],
    )
    orgs = [
        (
            u.org_id,
            now,
            now,
            plan.municipalities[u.municipality],
            f"{'Skole' if u.kind == 'SCHOOL' else 'Barnehage'} {k + 1}",
            u.kind,
        )
        for k, u in enumerate(plan.units)
    ] + [
        (org, now, now, plan.municipalities[m], f"{kind.title()} {k + 1}", kind)
        for k, (m, org, kind, _) in enumerate(plan.other_orgs)
    ]
    await _copy(conn, "organisation", orgs)
    bench_holders = set(plan.bench_holders)
    bench_externals = set(plan.bench_externals)
    manager_id = plan.units[0].staff[-1]
    managers = {u.staff[-1] for u in plan.units}
    staff_rows: list[tuple[Any, ...]] = []
    members: list[tuple[Any, Any, bool]] = [
        (s, u.org_id, False) for u in plan.units for s in u.staff
    ] + [(s, org, True) for (_, org, _, staff) in plan.other_orgs for s in staff]
    for index, (staff_id, org, external) in enumerate(members):
        nid, _ = STAFF.at(index)
        login = staff_id in bench_holders or staff_id in bench_externals or staff_id == manager_id
        cipher = (
            keys.fernet.encrypt(nid.encode()) if login else plan.cipher_pool[index % CIPHER_POOL]
        )
        staff_rows.append(
            (
                staff_id,
                now,
                now,
                org,
                cipher,
                data_protection.keyed_hash(nid),
                _name(rng),
                rng.choice(EXTERNAL_POSITIONS if external else POSITIONS),
                "+47 22 00 00 00",
                f"+47 4{rng.randrange(10**7):07d}",
                "ansatt@benchmark.kommune.no",
                staff_id in managers,
                "STAFF",
                True,
            )
        )
        if staff_id in bench_holders:
            manifest.holders.append({"national_id": nid, "staff_index": index, "log_ids": []})
        elif staff_id in bench_externals:
            manifest.externals.append({"national_id": nid, "staff_index": index, "log_ids": []})
        elif staff_id == manager_id:
            manifest.manager_national_id = nid
    await _copy(conn, "staff_account", staff_rows)
    return {
        "municipality": len(plan.municipalities),
        "organisation": len(orgs),
        "staff_account": len(staff_rows),
    }


async def _indexes(conn: Any, tables: Sequence[str]) -> list[tuple[str, str]]:
    """Secondary (non-constraint) indexes of ``tables``: name and definition."""
    rows = await conn.fetch(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        list(tables),
    )
    return [(r["indexname"], r["indexdef"]) for r in rows]


async def _create_database(server_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    admin = make_url(server_url).set(database="postgres")
    conn = await connect(admin.render_as_string(hide_password=False))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return (
        make_url(server_url)
        .set(database=name, drivername="postgresql")
        .render_as_string(hide_password=False)
    )


async def drop_database(server_url: str, name: str) -> None:
    from sqlalchemy.engine import make_url

    conn = await connect(
        make_url(server_url).set(database="postgres").render_as_string(hide_password=False)
    )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def build_dataset(
    server_url: str,
    name: str,
    logs: int,
    *,
    seed: int = 8,
    workers: int | None = None,
    today: date | None = None,
    progress: Any = print,
) -> tuple[str, Manifest]:
    """Create database ``name`` on the server, migrate it, and fill it with ``logs`` logs."""
    from relaylog.migrations import upgrade

    started = time.perf_counter()
    url = asyncio.run(_create_database(server_url, name))
    upgrade(url)
    data_protection.configure(BENCH_SECRET)
    today = today or date.today()
    plan = make_plan(logs, seed, today)
    manifest = Manifest(
        logs=logs,
        seed=seed,
        today=today.isoformat(),
        unit_id=str(plan.units[0].org_id),
        unit_logs=plan.big_unit_logs,
        manager_national_id="",
    )

    async def prepare() -> tuple[dict[str, int], list[tuple[str, str]]]:
        conn = await connect(url)
        try:
            await conn.execute("SET session_replication_role = replica")
            people = await _load_people(conn, plan, manifest)
            indexes = await _indexes(conn, LOG_TABLES)
            for index_name, _ in indexes:
                await conn.execute(f'DROP INDEX "{index_name}"')
            return people, indexes
        finally:
            await conn.close()

    people, indexes = asyncio.run(prepare())
    chunks = list(range(math.ceil(logs / CHUNK)))
    workers = workers or min(os.cpu_count() or 1, len(chunks))
    parts = [chunks[k::workers] for k in range(workers)]
    results: list[dict[str, Any]] = []
    if workers == 1:
        results.append(_worker(url, plan, chunks))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_worker, url, plan, part) for part in parts]
            results = [f.result() for f in futures]
    counts = dict(people)
    collected: dict[str, list[tuple[int, str]]] = {}
    for result in results:
        for table, n in result["counts"].items():
            counts[table] = counts.get(table, 0) + n
        for key, values in result["manifest"].items():
            collected.setdefault(key, []).extend(values)
    loaded = time.perf_counter()
    progress(f"  rows loaded in {loaded - started:.1f} s; building {len(indexes)} indexes")

    async def finish() -> None:
        conn = await connect(url)
        try:
            await conn.execute("SET maintenance_work_mem = '512MB'")
            for _, definition in indexes:
                await conn.execute(definition)
            await conn.execute("ANALYZE")
            await conn.execute(
                f"CREATE TABLE {MANIFEST_TABLE} (id int PRIMARY KEY, body jsonb NOT NULL)"
            )
            await conn.execute(
                f"INSERT INTO {MANIFEST_TABLE} VALUES (1, $1::jsonb)", json.dumps(asdict(manifest))
            )
        finally:
            await conn.close()

    for h, holder in enumerate(manifest.holders):
        holder["log_ids"] = [log for _, log in sorted(collected.get(f"holder:{h}", []))]
    for e, external in enumerate(manifest.externals):
        external["log_ids"] = [log for _, log in sorted(collected.get(f"external:{e}", []))]
    for g, bench in enumerate(plan.bench_guardians):
        manifest.guardians.append(
            {
                "national_id": bench.national_id,
                "log_ids": [log for _, log in sorted(collected.get(f"guardian:{g}", []))],
            }
        )
    manifest.counts = counts
    manifest.build_seconds = round(time.perf_counter() - started, 1)
    asyncio.run(finish())
    manifest.build_seconds = round(time.perf_counter() - started, 1)
    asyncio.run(_save_manifest(url, manifest))
    progress(f"  indexes built in {time.perf_counter() - loaded:.1f} s")
    return url, manifest


async def _save_manifest(url: str, manifest: Manifest) -> None:
    conn = await connect(url)
    try:
        await conn.execute(
            f"UPDATE {MANIFEST_TABLE} SET body = $1::jsonb WHERE id = 1",
            json.dumps(asdict(manifest)),
        )
    finally:
        await conn.close()


async def load_manifest(url: str) -> Manifest | None:
    """The dataset's manifest, or None where there is no dataset (not even the database)."""
    try:
        conn = await connect(url)
    except asyncpg.InvalidCatalogNameError:
        return None
    try:
        exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", MANIFEST_TABLE)
        if not exists:
            return None
        body = await conn.fetchval(f"SELECT body FROM {MANIFEST_TABLE} WHERE id = 1")
    finally:
        await conn.close()
    return Manifest(**json.loads(body)) if body else None
