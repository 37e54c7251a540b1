"""Turn a schema's CREATE TABLE statements into a spec; notes become comments atop the YAML."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from datagen_lti.authoring.ddl import DdlError, ddl_import_yaml, spec_from_ddl
from datagen_lti.authoring.ddl_parse import DIALECTS


class Command(BaseCommand):
    help = (
        "Read CREATE TABLE statements (PostgreSQL, MySQL, SQLite or SQL Server) and write a "
        "spec whose top comments list what was approximated or left out."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("schema", help="SQL file with the schema's CREATE TABLE statements.")
        parser.add_argument(
            "--dialect",
            choices=list(DIALECTS),
            default=None,
            help="The SQL dialect of the file (guessed from its syntax when left out).",
        )
        parser.add_argument("--title", default=None, help="The spec's title.")
        parser.add_argument("--out", required=True, help="Where to write the spec (YAML).")

    def handle(self, *args, schema: str, dialect: str | None, title: str | None, out: str, **kw):
        path = Path(schema)
        try:
            sql = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.") from None
        except UnicodeDecodeError:
            raise CommandError(
                f"{path} is not UTF-8 text; save it as UTF-8 and try again."
            ) from None
        try:
            result = spec_from_ddl(sql, dialect=dialect, title=title or path.stem)
        except DdlError as exc:
            raise CommandError(f"{path}: {exc.message}") from None
        target = Path(out)
        if not target.parent.is_dir():
            raise CommandError(f"Cannot write {target}: the folder {target.parent} does not exist.")
        _write_atomically(target, ddl_import_yaml(result, source=path.name))
        tables = len(result.spec.tables)
        self.stdout.write(
            f"Wrote {target}: {tables} table{'s' if tables != 1 else ''} read as {result.dialect}, "
            f"{len(result.notes)} note{'s' if len(result.notes) != 1 else ''}."
        )
        for note in result.notes:
            self.stdout.write(f"  - {note}")


def _write_atomically(target: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
