"""``relaylog``: run the service, the demo, migrations, mint development tokens, import the
staff list, the accountability commands (audit verify, passive report, purge) and archive
verify."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from auth.policy import Audience
from relaylog.accountability_cli import audit_app, purge, report_app
from relaylog.archive_cli import archive_app
from relaylog.settings import ConfigurationError, Settings, get_settings

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help=__doc__, pretty_exceptions_enable=False
)


def _settings(**overrides: object) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})


def _database_url(settings: Settings) -> str:
    from relaylog.db import resolve_database_url

    return resolve_database_url(settings)


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
                {"id": d.id, "name": d.name, "type": "query", "body": d.text}
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
def serve(host: str | None = None, port: int | None = None) -> None:
    """Serve the API (the database must be migrated)."""
    settings = _settings(host=host, port=port)
    _run(settings, _database_url(settings), demo=False)


@app.command()
def demo(
    reset: Annotated[bool, typer.Option("--reset", help="start over with fresh demo data")] = False,
    host: str | None = None,
    port: int | None = None,
) -> None:
    """Run the service with the demo municipality on the embedded PostgreSQL."""
    settings = _settings(host=host, port=port, mode="demo")
    url = _database_url(settings)
    from relaylog import migrations

    if reset:
        migrations.downgrade(url, "base")
    migrations.upgrade(url)
    asyncio.run(_load_demo(settings, url))
    _print_tokens(settings)
    _run(settings, url, demo=True)


async def _load_demo(settings: Settings, url: str) -> None:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from relaylog.app import oslo_today
    from relaylog.db import create_engine, session_scope
    from relaylog.demo import load_demo
    from relaylog.services import configure_archive_signing, configure_data_protection

    configure_data_protection(settings)
    configure_archive_signing(settings)
    engine = create_engine(url)
    try:
        async with session_scope(async_sessionmaker(engine)) as session:
            created = await load_demo(session, oslo_today())
    finally:
        await engine.dispose()
    typer.echo("demo data loaded" if created else "demo data already present (use --reset)")


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


def _run(settings: Settings, url: str, *, demo: bool) -> None:
    import uvicorn

    from relaylog.logging import configure_logging
    from relaylog.services import build_app, open_services

    services = asyncio.run(open_services(settings, url))
    configure_logging(settings.log_level)
    # The engine was created on the check's loop; uvicorn runs its own, so start a fresh one.
    asyncio.run(services.engine.dispose())
    uvicorn.run(
        build_app(services),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,  # it records query strings: relaylog.access_log replaces it
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


def main() -> None:
    try:
        app()
    except ConfigurationError as exc:
        typer.echo(f"relaylog: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
