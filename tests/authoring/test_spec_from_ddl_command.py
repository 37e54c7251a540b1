"""The spec_from_ddl command writes a spec headed by its notes, or exits with a clear error."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from datagen_lti.synth import derive_seed, generate, load_spec_file
from datagen_lti.synth.integrity import integrity_problems

SCHEMAS = Path(__file__).parent / "schemas"
ROOT = Path(__file__).resolve().parents[2]


def test_command_writes_the_spec_with_notes_as_comments(tmp_path) -> None:
    out = StringIO()
    target = tmp_path / "rental.yaml"
    call_command(
        "spec_from_ddl",
        str(SCHEMAS / "rental_shop.postgres.sql"),
        "--dialect",
        "postgres",
        "--title",
        "Video rental",
        "--out",
        str(target),
        stdout=out,
    )
    assert out.getvalue().startswith(f"Wrote {target}: 15 tables read as postgres,")
    assert "  - Skipped triggers: film_touch." in out.getvalue()
    text = target.read_text()
    assert text.startswith("# Imported from rental_shop.postgres.sql (postgres).\n# Notes:\n")
    assert "# - Skipped views: customer_list." in text
    spec = load_spec_file(target)
    assert spec.title == "Video rental"
    seed = derive_seed(secret=b"cmd", assignment="a", learner="l", variant=0)
    data = generate(spec, seed=seed, scale=1.0, dataset_id="cmd")
    assert integrity_problems(data.schema, data.tables) == []


def test_command_guesses_the_dialect_and_titles_after_the_file(tmp_path) -> None:
    target = tmp_path / "music.yaml"
    call_command(
        "spec_from_ddl", str(SCHEMAS / "music_store.mysql.sql"), "--out", str(target),
        stdout=StringIO(),
    )  # fmt: skip
    assert "read as mysql (guessed" in target.read_text()
    assert load_spec_file(target).title == "music_store.mysql"


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda d: None, "Cannot read"),
        (lambda d: (d / "s.sql").write_bytes(b"\xff\xfe\x00bad"), "is not UTF-8 text"),
        (
            lambda d: (d / "s.sql").write_text(
                "CREATE TABLE a (id INT);\nCREATE TABLE b (x INT y z);"
            ),
            "s.sql: Statement 2 (line 2, CREATE TABLE b (x INT y z)) could not be read",
        ),
        (lambda d: (d / "s.sql").write_text("CREATE VIEW v AS SELECT 1;"), "no CREATE TABLE"),
    ],
)
def test_command_errors_are_plain(tmp_path, setup, expected) -> None:
    setup(tmp_path)
    with pytest.raises(CommandError) as caught:
        call_command("spec_from_ddl", str(tmp_path / "s.sql"), "--out", str(tmp_path / "o.yaml"))
    assert expected in str(caught.value)
    assert not (tmp_path / "o.yaml").exists()


def test_command_refuses_a_missing_output_folder(tmp_path) -> None:
    with pytest.raises(CommandError, match="the folder .* does not exist"):
        call_command(
            "spec_from_ddl",
            str(SCHEMAS / "trading.postgres.sql"),
            "--out",
            str(tmp_path / "missing" / "o.yaml"),
        )


def test_command_exits_non_zero_from_the_shell(tmp_path) -> None:
    bad = tmp_path / "bad.sql"
    bad.write_text("CREATE TABLE a (id INT REFERENCES nowhere(id));")
    result = subprocess.run(
        [sys.executable, "manage.py", "spec_from_ddl", str(bad), "--dialect", "sqlite",
         "--out", str(tmp_path / "o.yaml")],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "tests.settings"},
    )  # fmt: skip
    assert result.returncode != 0
    assert "references table 'nowhere', which the script does not create" in result.stderr
