"""``relaylog archive …``: commands about filed archive packages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from relaylog.settings import ConfigurationError, get_settings

__all__ = ["archive_app"]

archive_app = typer.Typer(no_args_is_help=True, help="Archive packages (signed PDF/A + Noark 5).")


@archive_app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="an archive package (.zip) or its PDF")],
    trust_roots: Annotated[
        Path | None,
        typer.Option(help="PEM file of trusted roots (default: RELAYLOG_SIGNING_TRUST_ROOTS)"),
    ] = None,
) -> None:
    """Check the signature, its certificate chain and the SHA-256 in the metadata (exit 1 if
    anything fails)."""
    from exports.signing import load_certificates
    from exports.verify import verify_package

    try:
        content = file.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read {file}: {exc.strerror}") from None
    if trust_roots is not None:
        try:
            roots = load_certificates([trust_roots])
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot read the trust roots in {trust_roots}") from exc
    else:
        from relaylog.services import archive_signing

        roots = archive_signing(get_settings()).trust_roots
    report = verify_package(content, roots)
    for check in report.checks:
        typer.echo(f"{'ok  ' if check.ok else 'FAIL'} {check.what}: {check.detail}")
    typer.echo(f"{file.name}: {'valid' if report.ok else 'NOT valid'}")
    if not report.ok:
        raise typer.Exit(1)
