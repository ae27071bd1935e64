"""``relaylog``: run the service, the worker, the demo, migrations, mint development tokens,
import the staff list, the accountability commands (audit verify, passive report, purge) and
archive verify."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from auth.policy import Audience
from relaylog.accountability_cli import audit_app, purge, report_app
from relaylog.archive_cli import archive_app
from relaylog.settings import ConfigurationError, Settings, get_settings

if TYPE_CHECKING:
    import uvicorn

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help=__doc__, pretty_exceptions_enable=False
)


def _settings(**overrides: object) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})


def _check_port_free(settings: Settings) -> None:
    """Find a used port before anything is printed or started (not after the banner)."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    probe = socket.socket(family, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        probe.bind((settings.host, settings.port))
    except OSError as exc:
        raise ConfigurationError(
            f"cannot listen on {settings.host}:{settings.port} ({exc.strerror or exc}); "
            "is another server running there? Set RELAYLOG_PORT or --port"
        ) from None
    finally:
        probe.close()


def _database_url(settings: Settings, *, probe: bool = True) -> str:
    """Every command that uses the database asks here: the URL, probed once (one line, not a
    traceback, when the database is down, missing or refuses the role). ``probe=False``: the
    caller's ``preflight`` checks it, after the keys and secrets."""
    from relaylog.db import resolve_database_url, usable_database_url

    return usable_database_url(settings) if probe else resolve_database_url(settings)


@app.command()
def migrate(revision: str = "head") -> None:
    """Apply the Alembic migrations (to ``head`` by default)."""
    from relaylog.migrations import upgrade

    upgrade(_database_url(_settings()), revision)
    typer.echo(f"database migrated to {revision}")


@app.command()
def downgrade(revision: str = "base") -> None:
    """Undo migrations (to ``base`` by default: an empty database)."""
    from relaylog.migrations import downgrade as run_downgrade

    run_downgrade(_database_url(_settings()), revision)
    typer.echo(f"database downgraded to {revision}")


@app.command()
def token(
    as_: Annotated[
        str,
        typer.Option(
            "--as",
            help="demo user: "
            + ", ".join(
                [
                    "holder",
                    "actor",
                    "external",
                    "guardian",
                    "youth",
                    "manager",
                    "teacher",
                    "doctor",
                    "admin",
                    "reporter",
                ]
            ),
        ),
    ],
    hours: int = 12,
) -> None:
    """Mint a development bearer token for a demo user."""
    from relaylog.demo import DEMO_USERS
    from relaylog.services import dev_keys

    settings = _settings()
    user = DEMO_USERS.get(as_)
    if user is None:
        raise ConfigurationError(
            f"unknown demo user {as_!r}; choose one of {', '.join(DEMO_USERS)}"
        )
    keys = dev_keys(settings)
    typer.echo(
        keys.mint(
            user.national_id,
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            lifetime=timedelta(hours=hours),
        )
    )


@app.command()
def sdl(
    write: Annotated[bool, typer.Option("--write", help="rewrite the committed files")] = False,
) -> None:
    """Print (or rewrite) the per-audience schema SDL files."""
    from schema.build import printed_schema, sdl_path

    for audience in Audience:
        text = printed_schema(audience)
        if write:
            sdl_path(audience).parent.mkdir(parents=True, exist_ok=True)
            sdl_path(audience).write_text(text)
            typer.echo(f"wrote {sdl_path(audience)}")
        else:
            typer.echo(f"# {audience.value}\n{text}")


@app.command()
def operations(
    compiled: Annotated[
        bool, typer.Option("--compiled", help="also say whether each is compiled to SQL")
    ] = False,
    apollo: Annotated[
        bool,
        typer.Option("--apollo", help="Apollo's persisted-query manifest format instead"),
    ] = False,
) -> None:
    """Print the trusted-document manifest (JSON): id, name, endpoints, for front-end builds."""
    import json

    from relaylog.app import ENDPOINTS
    from schema.build import build_schema
    from schema.trusted import trusted_documents
    from schema.trusted_operations import TrustedOperations

    if apollo:
        apollo_manifest = {
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [
                {"id": d.id, "name": d.name, "type": d.operation_type, "body": d.text}
                for d in trusted_documents()
            ],
        }
        typer.echo(json.dumps(apollo_manifest, indent=2))
        return
    manifest = []
    plans = {audience: TrustedOperations(build_schema(audience), audience) for audience in Audience}
    for document in trusted_documents():
        entry: dict[str, object] = {
            "id": document.document_id,
            "name": document.name,
            "endpoints": [ENDPOINTS[a] for a in Audience if a in document.audiences],
        }
        if compiled:
            entry["compiled"] = {
                a.value: plans[a].operations[document.id].compiled
                for a in Audience
                if a in document.audiences
            }
        manifest.append(entry)
    typer.echo(json.dumps({"documents": manifest}, indent=2))


@app.command()
def serve(
    host: str | None = None,
    port: int | None = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="API worker processes (default RELAYLOG_WORKERS, 1)"),
    ] = None,
) -> None:
    """Serve the API (the database must be migrated)."""
    settings = _settings(host=host, port=port, workers=workers)
    _check_port_free(settings)
    _run(settings, _database_url(settings, probe=False))  # preflight: keys, then the database


@app.command()
def demo(
    reset: Annotated[bool, typer.Option("--reset", help="start over with fresh demo data")] = False,
    host: str | None = None,
    port: int | None = None,
) -> None:
    """Run the service with the demo municipality on the embedded PostgreSQL."""
    settings = _settings(host=host, port=port, mode="demo", workers=1)
    _check_port_free(settings)
    from relaylog.services import configure_data_protection, make_verifier

    configure_data_protection(settings)  # a wrong secret or key file before the database
    make_verifier(settings)
    url = _database_url(settings)
    from relaylog import migrations

    if reset:
        migrations.reset(url)  # not the downgrades: they may refuse real data
    migrations.upgrade(url)
    asyncio.run(_load_demo(settings, url))
    from relaylog.services import preflight

    asyncio.run(preflight(settings, url))  # before the tokens, so a mistake is the only line
    _print_tokens(settings)
    _run(settings, url, checked=True, demo=True)


async def _load_demo(settings: Settings, url: str) -> None:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from relaylog.accountability import checkpoint
    from relaylog.app import oslo_today
    from relaylog.audit_keys import signing_key
    from relaylog.db import create_engine, session_scope
    from relaylog.demo import load_demo
    from relaylog.services import configure_archive_signing, configure_data_protection

    configure_data_protection(settings)
    configure_archive_signing(settings)
    key = signing_key(settings)  # generated in the data folder's keys/ on first use
    engine = create_engine(url)
    try:
        async with session_scope(async_sessionmaker(engine)) as session:
            created = await load_demo(session, oslo_today())
        signed = await checkpoint(async_sessionmaker(engine, expire_on_commit=False), key)
    finally:
        await engine.dispose()
    typer.echo("demo data loaded" if created else "demo data already present (use --reset)")
    typer.echo(
        f"audit checkpoint {signed['id']} signed: {signed['chains']} chains, root "
        f"{signed['root'][:16]}… (relaylog audit checkpoint --export FILE keeps one elsewhere)"
    )


def _print_tokens(settings: Settings) -> None:
    from relaylog.demo import DEMO_USERS
    from relaylog.services import dev_keys

    keys = dev_keys(settings)
    base = f"http://{settings.host}:{settings.port}"
    typer.echo(
        f"\nRelay Log demo — GraphiQL at {base}/graphql (family: /graphql/family, "
        "reporting: /graphql/reporting)"
    )
    typer.echo('Paste a token in GraphiQL\'s headers: {"Authorization": "Bearer <token>"}\n')
    for user in DEMO_USERS.values():
        token_ = keys.mint(
            user.national_id,
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            lifetime=timedelta(hours=12),
        )
        typer.echo(f"{user.key:9} {user.name} — {base}{user.audience_path}\n          {token_}\n")


def _run(settings: Settings, url: str, *, checked: bool = False, demo: bool = False) -> None:
    """Check once, then let uvicorn run ``relaylog.asgi:create_app`` in each worker.

    uvloop and httptools are used where installed (uvicorn's ``auto``). On SIGTERM or Ctrl-C
    uvicorn stops accepting, lets running requests finish (``RELAYLOG_SHUTDOWN_GRACE_SECONDS``)
    and closes the pools; the embedded PostgreSQL stops when this process exits. The demo
    runs one API worker in this process, beside the job worker and a local SMTP sink."""
    import uvicorn

    from relaylog.logging import configure_logging
    from relaylog.services import preflight

    if not checked:
        asyncio.run(preflight(settings, url))
    # What the workers need and did not read from the environment themselves.
    os.environ["DATABASE_URL"] = url
    os.environ["RELAYLOG_MODE"] = settings.mode
    configure_logging(settings.log_level)
    options: dict[str, Any] = {
        "factory": True,
        "host": settings.host,
        "port": settings.port,
        "workers": settings.workers,
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
        "log_config": None,
        "access_log": False,  # it records query strings: relaylog.access_log replaces it
    }
    if not demo:
        from relaylog.metrics import multiprocess_dir

        with multiprocess_dir(settings.workers):  # one /metrics for all workers
            uvicorn.run("relaylog.asgi:create_app", **options)
        return
    server = uvicorn.Server(uvicorn.Config("relaylog.asgi:create_app", **options))
    asyncio.run(_serve_with_worker(settings, url, server))


async def _serve_with_worker(settings: Settings, url: str, server: uvicorn.Server) -> None:
    """The demo: the API, the worker in the same process, and a local SMTP sink that writes
    every mail the worker sends to ``.data/mail/`` — what guardians and staff would get."""
    import contextlib

    from relaylog.mail_sink import MailSink
    from relaylog.worker import run_worker

    mail_dir = settings.data_dir / "mail"
    sink = MailSink(mail_dir).start()
    worker_settings = settings.model_copy(
        update={
            "smtp_host": sink.host,
            "smtp_port": sink.port,
            "smtp_starttls": False,
            "smtp_username": None,
            "smtp_password": None,
            "public_url": f"http://{settings.host}:{settings.port}",
        }
    )
    typer.echo(
        f"Mail: the worker runs in this process; every mail it sends is written to "
        f"{mail_dir}/ (a local SMTP server on {sink.host}:{sink.port})\n"
    )
    worker = asyncio.create_task(
        run_worker(worker_settings, url, concurrency=2, install_signal_handlers=False)
    )
    try:
        await server.serve()
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
        sink.stop()


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(help="jobs run at once by this worker (default RELAYLOG_WORKER_CONCURRENCY)"),
    ] = None,
    queue: Annotated[
        list[str] | None,
        typer.Option(help="only these queues (events, mail, duties); default all"),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="run the jobs waiting now, then stop")
    ] = False,
    run: Annotated[
        str | None,
        typer.Option(
            help="run one duty now and stop: expire_consents, remind, passive_log_reports, "
            "purge_expired_logs, sign_audit_checkpoint"
        ),
    ] = None,
) -> None:
    """Run the background worker beside `serve`: e-mails and the scheduled duties.

    It works off a job queue in the service's own PostgreSQL (procrastinate),
    so no other broker is needed; run as many workers as you like, on any
    machine that reaches the database. What it does:

    \b
    - events: every change someone should hear of is written to an outbox in
      the same transaction; the worker turns it into e-mails (no personal
      data: "there is news in a relay log you follow", a link, in the
      person's language), at most one per person and log per hour, or a
      morning digest, as each person chose;
    - mail: SMTP through RELAYLOG_SMTP_HOST / _PORT, RELAYLOG_SMTP_STARTTLS,
      RELAYLOG_SMTP_USERNAME / _PASSWORD, from RELAYLOG_MAIL_FROM, links to
      RELAYLOG_PUBLIC_URL; an unreachable server is retried with backoff
      (RELAYLOG_MAIL_RETRY_BASE_SECONDS) and dead-lettered after
      RELAYLOG_MAIL_MAX_ATTEMPTS tries; a malformed address is skipped and
      recorded;
    - duties (UTC cron): consent expiry hourly (so at Oslo midnight),
      reminders 05:00, passive-log reports to unit managers 05:30 on
      RELAYLOG_PASSIVE_REPORT_DATES, retention purge 01:00, the signed audit
      checkpoint 02:00.

    A worker killed mid-job is detected after RELAYLOG_WORKER_STALLED_SECONDS
    and its job runs again elsewhere; a mail already sent is not sent again.
    `relaylog worker-status` shows the outbox, the owed mails and the dead
    letters.
    """
    from relaylog.logging import configure_logging
    from relaylog.services import configure_data_protection
    from relaylog.worker import run_duty_now, run_worker

    settings = _settings(worker_concurrency=concurrency)
    configure_data_protection(settings)  # a wrong secret before the database
    url = _database_url(settings)
    configure_logging(settings.log_level)
    if run is not None:
        changed = asyncio.run(run_duty_now(settings, url, run))
        typer.echo(
            f"{run}: already running elsewhere" if changed is None else f"{run}: {changed} changed"
        )
        return
    asyncio.run(run_worker(settings, url, queues=queue or None, wait=not once))


@app.command("worker-status")
def worker_status() -> None:
    """The worker's state for an operator: undispatched events, mails by state, jobs by
    state, and the dead letters (ids, kinds and error classes; never an address)."""
    from relaylog.worker import worker_status as read_status

    status = asyncio.run(read_status(_database_url(_settings())))
    typer.echo(
        f"undispatched events: {status.undispatched_events}"
        + (f" ({status.unknown_events} of an unknown kind)" if status.unknown_events else "")
    )
    typer.echo(
        "mails: "
        + (", ".join(f"{k} {v}" for k, v in sorted(status.notifications.items())) or "none")
    )
    typer.echo("jobs: " + (", ".join(f"{k} {v}" for k, v in sorted(status.jobs.items())) or "none"))
    for notification_id, kind, attempts, problem in status.dead_letters:
        typer.echo(f"  dead letter {notification_id}  {kind}  {attempts} tries  {problem or ''}")


@app.command("worker-requeue")
def worker_requeue(
    notification_ids: Annotated[
        list[str] | None, typer.Argument(help="dead letters' ids (from worker-status)")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="every dead letter")] = False,
) -> None:
    """Owe dead-lettered mails again (after the SMTP server is fixed): their tries start
    over and the next dispatch tick, within a minute, sends them. Audited."""
    import uuid

    from relaylog.worker import requeue_dead_letters

    if every == bool(notification_ids):
        raise ConfigurationError("give the dead letters' ids, or --all (not both)")
    ids: list[uuid.UUID] | None = None
    if notification_ids:
        try:
            ids = [uuid.UUID(n) for n in notification_ids]
        except ValueError:
            raise ConfigurationError(
                "a dead letter's id is a UUID, as worker-status lists it"
            ) from None
    count = asyncio.run(requeue_dead_letters(_database_url(_settings()), ids))
    typer.echo(f"requeued {count} dead letter{'s' if count != 1 else ''}")


@app.command("rotate-data-secret")
def rotate_data_secret(
    batch_size: Annotated[
        int, typer.Option(min=1, help="rows per transaction (each locks only its rows)")
    ] = 500,
) -> None:
    """Re-encrypt national ids under RELAYLOG_DATA_SECRET and recompute their keyed hashes,
    reading the old values with RELAYLOG_DATA_SECRET_ACCEPTED; resumable (docs/operations.md)."""
    from relaylog.rotation import rotate
    from relaylog.services import configure_data_protection

    settings = _settings()
    if settings.data_secret_accepted is None:
        raise ConfigurationError(
            "set RELAYLOG_DATA_SECRET_ACCEPTED to the old secret and RELAYLOG_DATA_SECRET to "
            "the new one (and run the service so) before rotating"
        )
    configure_data_protection(settings)
    url = _database_url(settings)

    def progress(table: str, checked: int, rotated: int) -> None:
        typer.echo(f"{table}: {checked} rows checked, {rotated} re-encrypted")

    report = asyncio.run(rotate(url, batch_size=batch_size, progress=progress))
    typer.echo(
        f"done: {report.total_rotated} rows re-encrypted, {sum(report.checked.values())} "
        "checked; every national id is under RELAYLOG_DATA_SECRET now, so "
        "RELAYLOG_DATA_SECRET_ACCEPTED can be removed"
    )


import_app = typer.Typer(no_args_is_help=True, help="Bulk registers from spreadsheet files.")


@import_app.command("staff")
def import_staff(
    file: Annotated[Path, typer.Argument(help="CSV: UTF-8 (BOM or not), ',' or ';' separated")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="check every line and count; write nothing")
    ] = False,
    municipality: Annotated[
        str | None,
        typer.Option(help="the municipality's number or name (needed when there are several)"),
    ] = None,
) -> None:
    """Create or update staff accounts by national id; nothing is written if a line is wrong."""
    from relaylog.app import oslo_today
    from relaylog.staff_import import COLUMNS, ImportRejected, run_import

    settings = _settings()
    try:
        content = file.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read {file}: {exc.strerror}") from None
    try:
        report = asyncio.run(
            run_import(
                settings,
                _database_url(settings),
                content,
                oslo_today(),
                municipality=municipality,
                dry_run=dry_run,
            )
        )
    except ImportRejected as exc:
        for error in exc.errors:
            typer.echo(f"{file.name}: {error}", err=True)
        typer.echo(
            f"{len(exc.errors)} line(s) wrong; nothing imported (columns: {', '.join(COLUMNS)})",
            err=True,
        )
        raise typer.Exit(1) from None
    verb = "would be" if dry_run else "were"
    typer.echo(
        f"{report.lines} staff lines: {report.created} {verb} created, {report.updated} "
        f"{verb} updated, {report.unchanged} unchanged"
    )


app.add_typer(import_app, name="import")
app.add_typer(audit_app, name="audit")
app.add_typer(report_app, name="report")
app.add_typer(archive_app, name="archive")
app.command("purge")(purge)


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM (systemd, container runtimes) ends the process like Ctrl-C: ``atexit`` hooks
    run, so the embedded PostgreSQL is stopped and its handle list cleaned."""
    raise SystemExit(128 + signum)


def main() -> None:
    """Every mistake is one line and a non-zero exit: a configuration error (exit 2), a
    database that cannot be used (exit 2) and a usage error such as ``--port abc`` (exit 2,
    naming the command's ``--help``) alike — not click's framed box, which a log collector
    splits into six lines. (Typer 0.29 carries its own click; its exception classes are only
    importable from ``typer._click``.)"""
    from typer._click import exceptions as cli_errors

    signal.signal(signal.SIGTERM, _terminated)
    try:
        code = app(standalone_mode=False)
    except ConfigurationError as exc:
        typer.echo(f"relaylog: {exc}", err=True)
        sys.exit(2)
    except cli_errors.NoArgsIsHelpError as exc:
        exc.show()  # `relaylog` alone: the help, as before
        sys.exit(exc.exit_code)
    except cli_errors.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "relaylog"
        message = " ".join(exc.format_message().split())
        typer.echo(f"relaylog: {message} (see '{where} --help')", err=True)
        sys.exit(exc.exit_code)
    except cli_errors.ClickException as exc:
        typer.echo(f"relaylog: {' '.join(exc.format_message().split())}", err=True)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        sys.exit(130)
    except Exception as exc:
        # Every command probes the database before it starts (``_database_url``); one that
        # goes away later, or a pool that gives up, is one line too. Anything else is a bug
        # and keeps its traceback.
        from relaylog.db import connection_problem, database_unusable

        if not database_unusable(exc):
            raise
        typer.echo(f"relaylog: {connection_problem(exc)}", err=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
