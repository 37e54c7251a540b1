"""The spec_from_data command reads table files, prints what it found and writes a spec."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from datagen_lti.synth import load_spec_file
from tests.authoring.test_reference import shop_tables


def test_command_writes_a_spec_and_reports_quality(tmp_path, settings) -> None:
    settings.DATAGEN_SEED_SECRET = "test-secret"
    tables = shop_tables()
    tables["customers"].to_csv(tmp_path / "customers.csv", index=False)
    tables["orders"].to_parquet(tmp_path / "orders.parquet", index=False)
    out = StringIO()
    call_command(
        "spec_from_data",
        str(tmp_path / "customers.csv"),
        str(tmp_path / "orders.parquet"),
        "--title",
        "Shop",
        "--personal",
        "customers.tel",
        "--out",
        str(tmp_path / "shop.yaml"),
        stdout=out,
    )
    text = out.getvalue()
    assert "customers: 600 rows, primary key customer_id" in text
    assert "tel (categorical [personal]): personal data, replaced by generated phone" in text
    assert "orders.customer_id -> customers.customer_id" in text
    assert "yearly_spend linear in income" in text
    score = float(text.split("Quality of learner 1's variant: ")[1].split()[0])
    assert 0.8 < score <= 1
    spec = load_spec_file(tmp_path / "shop.yaml")
    assert spec.title == "Shop"
    assert spec.table("orders").column("customer_id").per_parent is not None
    assert spec.table("customers").column("tel").type == "text"


def test_command_errors_name_the_problem(tmp_path) -> None:
    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(CommandError, match="broken.xlsx: not a readable Excel"):
        call_command("spec_from_data", str(tmp_path / "broken.xlsx"), "--out", str(tmp_path / "x"))
    (tmp_path / "t.csv").write_text("a,b\n1,2\n")
    with pytest.raises(CommandError, match="write it as table.column"):
        call_command(
            "spec_from_data", str(tmp_path / "t.csv"), "--personal", "a", "--out", "x.yaml"
        )
    assert not (tmp_path / "x").exists()
