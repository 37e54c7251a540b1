"""Same inputs, same bytes: across two runs and across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.export.determinism import export_checksums

ROOT = Path(__file__).resolve().parents[2]


def test_same_bytes_in_another_process(tmp_path):
    here = export_checksums(tmp_path / "here")
    env = {**os.environ, "PYTHONHASHSEED": "12345", "TZ": "Pacific/Auckland"}
    result = subprocess.run(
        [sys.executable, "-m", "tests.export.determinism", str(tmp_path / "there")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    there = json.loads(result.stdout)
    assert set(here) == set(there)
    different = {name for name in here if here[name] != there[name]}
    assert not different
    suffixes = {Path(name).suffix for name in here}
    assert {".csv", ".zip", ".parquet", ".sql", ".sqlite", ".xlsx"} <= suffixes
