"""`flask --app deliberation minutes …`: the minutes from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

minutes_group = AppGroup("minutes", help="Consensus minutes (会议纪要).")


@minutes_group.command("export")
@click.argument("consultation_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["pdf", "docx", "md", "html", "csv", "xlsx"]), default="pdf",
              show_default=True, help="File format.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=True, writable=True), default=None,
              help="File (or folder) to write; default: the Chinese file name in the current folder.")
@click.option("--version", "version", type=int, default=None, help="A published version (default: the latest).")
@click.option("--draft", is_flag=True, help="The draft as it would read if published now.")
def export_command(consultation_id: int, fmt: str, output: str | None, version: int | None, draft: bool) -> None:
    """Export the minutes of consultation ID (the latest published version; the draft if none is)."""
    from deliberation.consultations.models import Consultation
    from deliberation.errors import DomainError
    from deliberation.extensions import db
    from deliberation.minutes import services

    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise click.ClickException(f"找不到议事 {consultation_id}")
    try:
        data, name, _mimetype = services.export(db.session, None, consultation, fmt, version=version, draft=draft)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    path = Path(output) if output else Path(name)
    if path.is_dir():
        path = path / name
    path.write_bytes(data)
    click.echo(f"{path}（{len(data):,} 字节）")
