"""Draft a spec from learning objectives, as the instructor page does, and write it to a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from datagen_lti.drafting import DraftError, draft_spec

MAX_OBJECTIVES_FILE_BYTES = 64_000


class Command(BaseCommand):
    help = (
        "Draft a dataset spec from learning objectives with the language model when one is "
        "configured (OPENAI_API_KEY), from the example templates otherwise or with --offline. "
        "The rationale is written as comments at the top of the spec."
    )

    def add_arguments(self, parser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--objectives", help="The learning objectives, as text.")
        source.add_argument(
            "--objectives-file", help="A UTF-8 text file with the learning objectives."
        )
        parser.add_argument(
            "--offline",
            action="store_true",
            help="Draft from the example templates even when a language model is configured.",
        )
        parser.add_argument("--title", help="The spec's title (replaces the drafted one).")
        parser.add_argument("--out", required=True, help="Where to write the spec (YAML).")
        parser.add_argument(
            "--questions-out", help="Where to write the drafted questions (YAML), if any."
        )

    def handle(self, *args, **options) -> None:
        objectives = self._objectives(options)
        out = Path(options["out"])
        questions_out = Path(options["questions_out"]) if options.get("questions_out") else None
        for path in (out, questions_out):
            if path is not None and not path.parent.is_dir():
                raise CommandError(f"The folder {path.parent} does not exist; create it first.")
        if questions_out is not None and questions_out.resolve() == out.resolve():
            raise CommandError("--out and --questions-out must be different files.")
        api_key = None if options["offline"] else (settings.OPENAI_API_KEY or None)
        try:
            draft = draft_spec(
                objectives,
                api_key=api_key,
                base_url=settings.OPENAI_BASE_URL,
                model=settings.OPENAI_MODEL,
                title=options.get("title"),
            )
        except DraftError as exc:
            raise CommandError(exc.message) from exc
        _write(out, draft.text)
        how = "the language model" if draft.source == "llm" else "the example templates"
        self.stdout.write(f"Drafted {out} from {how}: {draft.spec.title}")
        count = len(draft.questions.questions)
        if questions_out is not None and count:
            _write(questions_out, draft.questions_text)
            self.stdout.write(
                f"Wrote {count} question{'s' if count != 1 else ''} to {questions_out}"
            )
        elif questions_out is not None:
            self.stdout.write(f"No questions were drafted; {questions_out} was not written.")
        elif count:
            self.stdout.write(
                f"{count} question{'s' if count != 1 else ''} drafted; write them with "
                "--questions-out."
            )
        self.stdout.write(draft.rationale)

    def _objectives(self, options) -> str:
        if options.get("objectives") is not None:
            return options["objectives"]
        path = Path(options["objectives_file"])
        try:
            if path.stat().st_size > MAX_OBJECTIVES_FILE_BYTES:
                raise CommandError(
                    f"{path} is larger than {MAX_OBJECTIVES_FILE_BYTES:,} bytes; the objectives "
                    "are a paragraph or two."
                )
            return path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise CommandError(f"The objectives file {path} does not exist.") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text; save it as UTF-8.") from exc
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc


def _write(path: Path, text: str) -> None:
    """Write atomically: a temporary file beside the target, then a rename."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
