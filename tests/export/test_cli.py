"""The generate command writes the learner's bundle with --format (and --unzipped)."""

from __future__ import annotations

import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

SPEC = Path(__file__).resolve().parents[2] / "examples" / "specs" / "retail.yaml"
pytestmark = pytest.mark.skipif(not SPEC.exists(), reason="examples/specs/retail.yaml is missing")


def _generate(*options: str) -> list[str]:
    out = StringIO()
    call_command(
        "generate", str(SPEC), "--learner", "l1", "--assignment", "a1", *options, stdout=out
    )
    return [line for line in out.getvalue().splitlines() if line.startswith("/")]


def test_format_writes_the_bundle(tmp_path, settings):
    settings.DATAGEN_SEED_SECRET = "test-secret"
    (path,) = _generate("--format", "csv,sql:postgres,sqlite", "--out", str(tmp_path))
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert "datapackage.json" in names and "README.md" in names
    assert any(n.startswith("csv/") for n in names)
    assert any(n.endswith(".postgres.sql") for n in names)


def test_unzipped_writes_loose_files(tmp_path, settings):
    settings.DATAGEN_SEED_SECRET = "test-secret"
    paths = _generate("--format", "parquet,xlsx", "--unzipped", "--out", str(tmp_path))
    assert any(p.endswith(".xlsx") for p in paths)
    assert all(Path(p).is_file() for p in paths)
    assert not list(tmp_path.glob("*.zip"))


def test_unknown_format_lists_the_valid_ones(tmp_path, settings):
    settings.DATAGEN_SEED_SECRET = "test-secret"
    with pytest.raises(CommandError, match="sql:postgres, sql:mysql, sql:sqlite"):
        _generate("--format", "csv,json", "--out", str(tmp_path))
    assert list(tmp_path.iterdir()) == []
