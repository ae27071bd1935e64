"""Benchmark: time per PDF export of a realistic ~7-page relay log, and peak memory for a
~50-page one.

    .venv/bin/python -m benchmarks.pdf_export [--runs N] [--quick]

The log is built in memory as the read model the renderer takes (``exports.printed.LogView``),
so this measures what an export spends on the CPU: template, xhtml2pdf layout, PDF/A rewrite.
Loading the view costs a constant 13–17 SQL statements on top (see
``tests/exports/test_export.py``). Target: ≤ 200 ms median for the 7-page log.

An archive copy costs more than an export, and that is reported separately: the PAdES
signature (``exports.signing``, with a demo CA made in a temporary folder), the PDF/A-2b
validation of the signed file and the signature check whose results the metadata claims.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import time
import tracemalloc
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from functools import partial
from typing import TypeVar

from exports.labels import Language
from exports.pdf import RenderedPdf, render_log_pdf
from exports.printed import (
    ActivityLine,
    ActorLine,
    ChildLine,
    ConsentLine,
    EvaluationLine,
    GuardianLine,
    LevelLine,
    LogView,
    MeasureLine,
    MeetingLine,
    NoteLine,
    ParticipantLine,
    PointBlock,
    SparkleLine,
)
from models.enums import (
    ActorStatus,
    AuthorKind,
    ConsentEvidence,
    ConsentScope,
    EvaluationOutcome,
    MeasureStatus,
    MeasureType,
    MeetingStatus,
    ParticipantKind,
    PointCategory,
    PointStatus,
    RelayLogStatus,
    StatusAfterEvaluation,
)

__all__ = ["Shape", "main", "realistic_view"]

T = TypeVar("T")

SENTENCES = [
    "Ylva har hatt en god uke og deltar mer i fellesskapet i friminuttene.",
    "Vi har snakket med foresatte om søvn og morgenrutiner, og de opplever bedring hjemme.",
    "Læreren observerer at konsentrasjonen varer lenger når oppgavene deles opp i mindre deler.",
    "Helsesykepleier følger opp samtalene annenhver uke og melder at trivselen er stabil.",
    "Det er avtalt at kontaktlærer gir en kort tilbakemelding til hjemmet hver fredag.",
    "Hun ga selv uttrykk for at pausene hjelper, særlig i matematikk og norsk.",
    "PPT har gjennomført kartlegging; rapporten drøftes på neste loggmøte.",
    "Foresatte ønsker at tiltakene videreføres også etter jul, med en ny evaluering i februar.",
    "Aktivitetene i hjemmet fungerer best når de er korte og faste, ti minutter om kvelden.",
    "Vi ser tydelige framskritt i samspillet med medelever i gruppearbeid.",
]
NAMES = [
    "Hanne Holder",
    "Anders Aktør",
    "Eva Ekstern",
    "Siri Sæther",
    "Øystein Ødegård",
    "Åse Ålgård",
]
ORGS = ["Bakken skole", "Bakken skole", "Helsestasjonen", "PPT Midt", "Bakken skole", "BUP Øst"]


@dataclass(frozen=True, slots=True)
class Shape:
    """How much is in the log. ``Shape.pages(7)`` is what an ordinary 7-page log holds."""

    points: int
    measures_per_point: int
    evaluations_per_measure: int
    meetings: int
    notes: int
    note_sentences: int
    sparkles: int

    @classmethod
    def pages(cls, pages: int) -> Shape:
        # Calibrated on this template: the header sections take the same room however long
        # the log is, so content grows faster than pages/7.
        scale = max(0.15, 1 + (pages - 7) * 0.19)

        def n(base: int) -> int:
            return max(1, round(base * scale))

        return cls(
            points=n(3),
            measures_per_point=4,
            evaluations_per_measure=2,
            meetings=n(8),
            notes=n(8),
            note_sentences=5,
            sparkles=n(8),
        )


def realistic_view(shape: Shape, *, seed: int = 7) -> LogView:
    """A log as its holder sees it at level 2, with every section filled."""
    rnd = random.Random(seed)
    start = date(2026, 1, 5)

    def text(n: int) -> str:
        return " ".join(rnd.choice(SENTENCES) for _ in range(n))

    def stamp(day: int) -> datetime:
        return datetime.combine(start + timedelta(days=day), clock(13, 30), tzinfo=UTC)

    actors = tuple(
        ActorLine(
            name=name,
            position="Kontaktlærer" if i == 0 else "Rådgiver",
            organisation=ORGS[i],
            office_phone="+47 22 00 00 0" + str(i),
            email=f"{name.split()[0].lower()}@bakken.kommune.no",
            mobile=f"+47 900 00 00{i}",
            is_holder=i == 0,
            status=ActorStatus.ACTIVE,
        )
        for i, name in enumerate(NAMES)
    )
    points = []
    for p in range(shape.points):
        measures = []
        for m in range(shape.measures_per_point):
            initiated = start + timedelta(days=7 * (p + m))
            measures.append(
                MeasureLine(
                    type=list(MeasureType)[(p + m) % len(MeasureType)],
                    description=text(2),
                    responsible=(NAMES[m % len(NAMES)],),
                    responsible_guardians=m % 2 == 0,
                    responsible_child=m % 3 == 0,
                    initiated_on=initiated,
                    finished_by=initiated + timedelta(days=42),
                    status=MeasureStatus.OPEN if m % 2 else MeasureStatus.ENDED,
                    days_to_deadline=12 - m,
                    evaluations=tuple(
                        EvaluationLine(
                            outcome=list(EvaluationOutcome)[(m + e) % 3],
                            status_after=list(StatusAfterEvaluation)[(m + e) % 4],
                            comment=text(1),
                            evaluated_at=stamp(7 * (p + m) + 21 * (e + 1)),
                            author=NAMES[(m + e) % len(NAMES)],
                        )
                        for e in range(shape.evaluations_per_measure)
                    ),
                )
            )
        points.append(
            PointBlock(
                category=list(PointCategory)[p % len(PointCategory)],
                description="Konsentrasjon og utholdenhet i teoretiske fag"[:100],
                goal=text(1),
                informed_manager=True,
                informed_guardian=True,
                informed_child=p % 2 == 0,
                assessed_level=2,
                status=PointStatus.ONGOING,
                measures=tuple(measures),
            )
        )
    meetings = tuple(
        MeetingLine(
            held_on=start + timedelta(days=14 * i),
            starts_at=clock(14, 0),
            ends_at=clock(15, 0),
            place="Møterom 2",
            organisation="Bakken skole",
            status=MeetingStatus.COMPLETED,
            comments=text(2),
            participants=(
                ParticipantLine(ParticipantKind.ACTOR, NAMES[0], True, True),
                ParticipantLine(ParticipantKind.ACTOR, NAMES[1 + i % 4], True, True),
                ParticipantLine(ParticipantKind.GUARDIAN, "Gunnar Foresatt", True, True),
                ParticipantLine(ParticipantKind.GUARDIAN, "Marit Foresatt", True, i % 2 == 0),
                ParticipantLine(ParticipantKind.CHILD, "Ylva Ungdom", True, i % 3 == 0),
            ),
        )
        for i in range(shape.meetings)
    )
    notes = tuple(
        NoteLine(
            created_at=stamp(5 * i),
            text="\n".join(text(shape.note_sentences // 2 + 1) for _ in range(2)),
            adults_only=i % 7 == 3,
            is_summary=False,
            author_kind=AuthorKind.STAFF if i % 3 else AuthorKind.GUARDIAN,
            author=NAMES[i % len(NAMES)] if i % 3 else "Gunnar Foresatt",
            about_point=None,
            about_meeting=start + timedelta(days=14 * (i // 2)) if i % 2 else None,
        )
        for i in range(shape.notes)
    )
    sparkles = tuple(
        SparkleLine(start + timedelta(days=9 * i), text(1), AuthorKind.STAFF, NAMES[i % 3])
        for i in range(shape.sparkles)
    )
    return LogView(
        log_id=uuid.UUID(int=seed),
        level=2,
        status=RelayLogStatus.ACTIVE,
        close_reason=None,
        paused_reason=None,
        created_at=stamp(0),
        child=ChildLine("Ylva Ungdom", date(2010, 3, 1), "01831051325", "Storgata 1, 0155 Oslo"),
        level_history=(
            LevelLine(stamp(0), None, 1, "Opprettet etter oppmerksomhetssamtale"),
            LevelLine(stamp(30), 1, 2, "Samtykke til deling med helsestasjonen og PPT"),
        ),
        holder=actors[0],
        guardians=(
            GuardianLine("Gunnar Foresatt", "+47 911 11 111", "gunnar@example.no", "09838501033"),
            GuardianLine("Marit Foresatt", "+47 922 22 222", "marit@example.no", "09838501114"),
        ),
        consents=tuple(
            ConsentLine(
                scope=scope,
                given_by_kind=AuthorKind.GUARDIAN,
                given_by=guardian,
                evidence=ConsentEvidence.UPLOADED_FORM,
                given_on=start + timedelta(days=30 * i),
                valid_until=None,
                withdrawn_at=None,
                form="PDF, 180 kB",
            )
            for i, scope in enumerate([ConsentScope.CREATE, ConsentScope.SHARE])
            for guardian in ("Gunnar Foresatt", "Marit Foresatt")
        ),
        actors=actors,
        points=tuple(points),
        meetings=meetings,
        notes=notes,
        sparkles=sparkles,
        activity=ActivityLine(stamp(120), None, None),
        printed_by="Hanne Holder",
        printed_at=datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
        show_child_identity=True,
        show_guardian_national_id=True,
        show_actor_mobile=True,
        show_measures=True,
    )


def time_exports(view: LogView, runs: int) -> tuple[list[float], list[float], RenderedPdf]:
    """Wall-clock and CPU milliseconds of ``runs`` exports, after one to warm up."""
    pdf = render_log_pdf(view, Language.NB)  # warm: fonts, template, ICC profile
    wall, cpu = [], []
    for _ in range(runs):
        gc.collect()
        started, started_cpu = time.perf_counter(), time.process_time()
        pdf = render_log_pdf(view, Language.NB)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu, pdf


def time_archive_steps(
    pdf: RenderedPdf, runs: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall-clock and CPU milliseconds of what an archive copy adds to the render: sign,
    validate, verify."""
    import tempfile
    from pathlib import Path

    from exports import signing
    from exports.pdfa import confirms_pdfa_2b
    from relaylog.services import archive_signing
    from relaylog.settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        identity = archive_signing(Settings(mode="dev", data_dir=Path(folder)))
    signed = signing.sign_pdf(pdf.content, identity, reason="benchmark")  # warm
    names = ("sign", "validate PDF/A-2b", "verify signature")
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}

    def timed(name: str, step: Callable[..., T], *args: object) -> T:
        started, started_cpu = time.perf_counter(), time.process_time()
        result = step(*args)
        wall[name].append((time.perf_counter() - started) * 1000)
        cpu[name].append((time.process_time() - started_cpu) * 1000)
        return result

    for _ in range(runs):
        gc.collect()
        signed = timed("sign", partial(signing.sign_pdf, reason="benchmark"), pdf.content, identity)
        assert timed("validate PDF/A-2b", confirms_pdfa_2b, signed)
        assert timed("verify signature", signing.verify_pdf, signed, identity.trust_roots).valid
    return wall, cpu


def peak_memory(view: LogView) -> tuple[float, float, RenderedPdf]:
    """Peak Python memory of one export (``tracemalloc``), and the process's peak resident
    set after it (``ru_maxrss``: everything, C allocations of reportlab and zlib too)."""
    gc.collect()
    tracemalloc.start()
    try:
        pdf = render_log_pdf(view, Language.NB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return peak / (1024 * 1024), rss_kib / 1024, pdf


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="exports to time (median)")
    parser.add_argument("--quick", action="store_true", help="smoke size: 3 runs, small logs")
    args = parser.parse_args(argv)
    runs = 3 if args.quick else args.runs
    small, large = (
        (Shape.pages(1), Shape.pages(7)) if args.quick else (Shape.pages(7), Shape.pages(50))
    )

    wall, cpu, pdf = time_exports(realistic_view(small), runs)
    median, median_cpu = statistics.median(wall), statistics.median(cpu)
    print(
        f"export, {pdf.pages} pages ({pdf.size_bytes / 1024:.0f} KiB): median {median:.0f} ms "
        f"(min {min(wall):.0f}, max {max(wall):.0f}; CPU median {median_cpu:.0f} ms) "
        f"over {runs} runs; target ≤ 200 ms for 7 pages"
    )
    steps, steps_cpu = time_archive_steps(pdf, runs)
    medians = {step: statistics.median(ms) for step, ms in steps.items()}
    medians_cpu = {step: statistics.median(ms) for step, ms in steps_cpu.items()}
    print(
        "archive copy, on top of the render: "
        + ", ".join(
            f"{step} median {ms:.0f} ms (CPU {medians_cpu[step]:.0f})"
            for step, ms in medians.items()
        )
        + f" (together {sum(medians.values()):.0f} ms, CPU {sum(medians_cpu.values()):.0f})"
    )
    big_view = realistic_view(large)
    started, started_cpu = time.perf_counter(), time.process_time()
    render_log_pdf(big_view, Language.NB)
    large_ms = (time.perf_counter() - started) * 1000
    large_cpu_ms = (time.process_time() - started_cpu) * 1000
    peak_mib, rss_mib, big = peak_memory(big_view)
    print(
        f"export, {big.pages} pages ({big.size_bytes / 1024:.0f} KiB): {large_ms:.0f} ms "
        f"(CPU {large_cpu_ms:.0f} ms), peak traced memory {peak_mib:.1f} MiB (tracemalloc), "
        f"process peak RSS {rss_mib:.0f} MiB (ru_maxrss)"
    )
    return {
        "pages": pdf.pages,
        "median_ms": median,
        "median_cpu_ms": median_cpu,
        "sign_ms": medians["sign"],
        "sign_cpu_ms": medians_cpu["sign"],
        "validate_ms": medians["validate PDF/A-2b"],
        "verify_ms": medians["verify signature"],
        "large_pages": big.pages,
        "large_ms": large_ms,
        "large_cpu_ms": large_cpu_ms,
        "large_peak_mib": peak_mib,
        "large_rss_mib": rss_mib,
    }


if __name__ == "__main__":
    main()
