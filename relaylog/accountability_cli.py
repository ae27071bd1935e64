"""The accountability commands of ``relaylog``: ``audit verify``, ``report passive``, ``purge``.

Registered on the main app by ``relaylog.cli``. Refusals are ``ConfigurationError``s (one
line on stderr, exit 2); a broken audit chain is a finding, not an error: it is printed and
the command exits 1.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from relaylog.settings import Settings, get_settings

__all__ = ["audit_app", "purge", "report_app"]

audit_app = typer.Typer(no_args_is_help=True, help="The append-only, hash-chained audit trail.")
report_app = typer.Typer(no_args_is_help=True, help="Control reports for unit managers.")


def _url(settings: Settings) -> str:
    from relaylog.db import usable_database_url

    return usable_database_url(settings)  # probed first, as every command's (relaylog.cli)


@audit_app.command("verify")
def verify(
    against: Annotated[
        Path | None,
        typer.Option(help="an exported checkpoint: no chain it covers may have been rewritten"),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option(help="the checkpoint signer's public key (default: the signing key)"),
    ] = None,
) -> None:
    """Walk every audit chain from its genesis; report each broken chain (exit 1)."""
    from relaylog.accountability import read_checkpoint, run_verify
    from relaylog.audit_keys import public_key_from_file, signing_key

    settings = get_settings()
    heads = None
    if against is not None:
        key = (
            public_key_from_file(public_key)
            if public_key is not None
            else signing_key(settings).public_key()
        )
        heads = read_checkpoint(str(against), key)
    report = asyncio.run(run_verify(_url(settings), heads))
    v = report.verification
    if report.breaks:
        chains = {b.chain for b in report.breaks}
        typer.echo(f"audit trail BROKEN in {len(chains)} of {v.chains} chains ({v.events} events):")
        for b in report.breaks[:_SHOWN]:
            where = f"event {b.event_id}" if b.event_id is not None else "head"
            typer.echo(f"  {b.chain}: {where}: {b.reason}")
        if len(report.breaks) > _SHOWN:
            typer.echo(f"  … and {len(report.breaks) - _SHOWN} more")
        raise typer.Exit(1)
    line = f"audit trail intact: {v.events} events in {v.chains} chains"
    if heads is not None:
        line += f"; none of the {len(heads)} checkpointed chains was rewritten"
    typer.echo(line)


_SHOWN = 20


@audit_app.command("checkpoint")
def checkpoint(
    export: Annotated[
        Path | None,
        typer.Option(
            "--export", help="also write the signed checkpoint to this file (- for stdout)"
        ),
    ] = None,
    checkpoint_id: Annotated[
        int | None,
        typer.Option(
            "--id", help="sign nothing: export the stored checkpoint with this id (the worker's)"
        ),
    ] = None,
) -> None:
    """Sign a Merkle root over every chain's head and store it; keep the export elsewhere."""
    from relaylog.accountability import run_checkpoint, stored_checkpoint
    from relaylog.audit_keys import signing_key

    settings = get_settings()
    if checkpoint_id is not None:
        document = asyncio.run(stored_checkpoint(_url(settings), checkpoint_id))
    else:
        key = signing_key(settings)  # a missing or wrong key is told before the database
        document = asyncio.run(run_checkpoint(_url(settings), key))
    text = json.dumps(document, indent=1) + "\n"
    if export is not None and str(export) == "-":
        typer.echo(text, nl=False)
        return
    if export is not None:
        export.write_text(text)
    typer.echo(
        f"checkpoint {document['id']}: {document['chains']} chains, {document['events']} "
        f"events, root {document['root']}, key {document['key_id']}"
    )


@audit_app.command("public-key")
def public_key() -> None:
    """Print the checkpoint signer's public key (PEM), for whoever keeps the checkpoints."""
    from relaylog.audit_keys import public_pem, signing_key

    typer.echo(public_pem(signing_key(get_settings())), nl=False)


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

    settings = get_settings()
    report = asyncio.run(
        run_passive_report(
            _url(settings),
            unit,
            oslo_today(),
            inactive_days,
            replica_url=settings.replica_url,
            max_lag_seconds=settings.replica_max_lag_seconds,
        )
    )
    as_of = f"data as of {report.data_as_of:%Y-%m-%d %H:%M:%S} UTC" if report.data_as_of else ""
    if format is ReportFormat.CSV:
        typer.echo(passive_csv(report), nl=False)
        typer.echo(as_of, err=True)  # stdout stays the CSV
        return
    typer.echo(
        f"{report.organisation}: {len(report.logs)} logs need attention on {report.as_of} "
        f"(inactive for {report.inactive_days}+ days, overdue measures, unrecorded meetings, "
        f"expired consents, late activity plans); {as_of}"
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
