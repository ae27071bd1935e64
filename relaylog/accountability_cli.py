"""The accountability commands of ``relaylog``: ``audit verify``, ``report passive``, ``purge``.

Registered on the main app by ``relaylog.cli``. Refusals are ``ConfigurationError``s (one
line on stderr, exit 2); a broken audit chain is a finding, not an error: it is printed and
the command exits 1.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer

from relaylog.settings import Settings, get_settings

__all__ = ["audit_app", "purge", "report_app"]

audit_app = typer.Typer(no_args_is_help=True, help="The append-only, hash-chained audit trail.")
report_app = typer.Typer(no_args_is_help=True, help="Control reports for unit managers.")


def _url(settings: Settings) -> str:
    from relaylog.db import resolve_database_url

    return resolve_database_url(settings)


@audit_app.command("verify")
def verify() -> None:
    """Walk the audit chain from the first event; report the first broken link (exit 1)."""
    from relaylog.accountability import run_verify

    report = asyncio.run(run_verify(_url(get_settings())))
    if report.broken is not None:
        typer.echo(
            f"audit trail BROKEN at event {report.broken.event_id}: {report.broken.reason} "
            f"({report.checked} events before it are intact)"
        )
        raise typer.Exit(1)
    head = report.head.hex() if report.head else "none"
    typer.echo(f"audit trail intact: {report.checked} events, head hash {head}")


class ReportFormat(StrEnum):
    CSV = "csv"
    TABLE = "table"


@report_app.command("passive")
def passive(
    unit: Annotated[str, typer.Option(help="the unit's id, or its name")],
    format: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.TABLE,
    inactive_days: Annotated[
        int | None,
        typer.Option(help="days without activity (default: the municipality's setting, 60)"),
    ] = None,
) -> None:
    """Open logs held in a unit that need attention: counts and the holder, never content."""
    from relaylog.accountability import passive_csv, run_passive_report
    from relaylog.app import oslo_today

    report = asyncio.run(
        run_passive_report(_url(get_settings()), unit, oslo_today(), inactive_days)
    )
    if format is ReportFormat.CSV:
        typer.echo(passive_csv(report), nl=False)
        return
    typer.echo(
        f"{report.organisation}: {len(report.logs)} logs need attention on {report.as_of} "
        f"(inactive for {report.inactive_days}+ days, overdue measures, unrecorded meetings, "
        "expired consents, late activity plans)"
    )
    for log in report.logs:
        typer.echo(
            f"  {log.log_id}  {log.status.value:<6} level {log.level}  holder {log.holder_name}"
            f"  inactive {log.days_inactive}d  overdue measures {log.overdue_measures}"
            f"  unrecorded meetings {log.unrecorded_meetings}"
            f"  expired consents {log.expired_consents}"
            f"  activity plan late {'yes' if log.activity_plan_overdue else 'no'}"
        )


def purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="list what would be purged; change nothing")
    ] = False,
    retention_days: Annotated[
        int | None,
        typer.Option(help="override every municipality's retention period (days)"),
    ] = None,
) -> None:
    """Purge closed logs past their retention; keep de-identified statistics, audit it."""
    from relaylog.accountability import run_purge

    settings = get_settings()
    report = asyncio.run(
        run_purge(
            _url(settings),
            datetime.now(UTC),
            minimum_days=settings.retention_minimum_days,
            retention_days=retention_days,
            dry_run=dry_run,
        )
    )
    verb = "would be purged" if dry_run else "purged"
    for c in report.candidates:
        typer.echo(
            f"  {c.log_id}  {c.municipality}  {c.status.value:<8} closed {c.closed_on}"
            f"  retention {c.retention_days}d  archived copies {c.archived_copies}"
            + (
                f"  HELD BACK: {c.unreceived_copies} not received by the archive"
                if c.held_back
                else ""
            )
        )
    held = sum(1 for c in report.candidates if c.held_back)
    typer.echo(f"{len(report.candidates) - held} logs {verb}")
    if held:
        typer.echo(
            f"{held} logs held back: their archive copies have not been received by the "
            "archive (the unit files them and marks them received first)"
        )
    if report.result is not None:
        r = report.result
        typer.echo(
            f"removed {r.children} children and {r.guardians} guardians no other log needs; "
            f"kept {r.statistics_rows} statistics rows"
        )
