"""The bundle: chosen formats, a valid datapackage.json and a README, nothing else."""

from __future__ import annotations

import json
import zipfile

import frictionless
import pytest

from datagen_lti.export import FORMATS, ExportError, file_checksums, write_bundle
from tests.export.fixtures import one_table_source

STEM = "cafe-shop-orders-l42-v1"


@pytest.fixture(scope="module")
def full_bundle(tmp_path_factory):
    from tests.export.fixtures import shop_source

    out = tmp_path_factory.mktemp("bundle")
    steps = []
    path = write_bundle(
        shop_source(), formats=FORMATS, out_dir=out, progress=lambda s, p: steps.append((s, p))
    )
    return path, steps


def test_zip_layout(full_bundle):
    path, _ = full_bundle
    assert path.name == f"{STEM}.zip"
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert archive.testzip() is None
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert names == sorted(names)
    assert names == [
        "README.md",
        f"{STEM}.sqlite",
        f"{STEM}.xlsx",
        "csv/customers.csv",
        "csv/order.csv",
        "csv/order_line.csv",
        "csv/product.csv",
        "csv/reviews.csv",
        "datapackage.json",
        "parquet/customers.parquet",
        "parquet/order.parquet",
        "parquet/order_line.parquet",
        "parquet/product.parquet",
        "parquet/reviews.parquet",
        f"sql/{STEM}.mysql.sql",
        f"sql/{STEM}.postgres.sql",
        f"sql/{STEM}.sqlite.sql",
        f"sql/{STEM}.sqlserver.sql",
    ]


def test_progress_reaches_100(full_bundle):
    _, steps = full_bundle
    percents = [p for _, p in steps]
    assert percents == sorted(percents) and percents[-1] == 100
    assert [s for s, _ in steps][: len(FORMATS)] == list(FORMATS)


def test_datapackage_is_valid_frictionless(full_bundle, tmp_path):
    path, _ = full_bundle
    with zipfile.ZipFile(path) as archive:
        archive.extractall(tmp_path)
    report = frictionless.validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["type", "note"])[:5]
    descriptor = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in descriptor["resources"]}
    files = {r["path"]: r for r in descriptor["resources"] if r["type"] == "file"}
    assert files[f"sql/{STEM}.sqlserver.sql"]["mediatype"] == "application/sql"
    assert "csv/order.csv" not in files and "parquet/order.parquet" in files
    order = resources["order"]["schema"]
    fields = {f["name"]: f for f in order["fields"]}
    assert fields["amount"]["type"] == "number"
    assert fields["amount"]["constraints"] == {"minimum": 0.0, "maximum": 100000.0}
    assert fields["status"]["constraints"]["enum"][-1] == "it's late"
    assert fields["placed_at"]["type"] == "datetime"
    assert order["primaryKey"] == ["id"]
    assert order["foreignKeys"] == [
        {"fields": ["customer_id"], "reference": {"resource": "customers", "fields": ["id"]}}
    ]
    lines = resources["order_line"]["schema"]
    assert lines["primaryKey"] == ["order_id", "sku"]
    customers = resources["customers"]["schema"]
    assert customers["foreignKeys"][0]["reference"]["resource"] == ""  # self reference
    reviews = resources["reviews"]["schema"]
    assert "foreignKeys" not in reviews and "primaryKey" not in reviews
    assert "not enforced" in reviews["fields"][0]["description"]
    assert descriptor["datagen"]["metadata"]["datagen.spec_hash"] == "0f" * 32
    files = descriptor["datagen"]["files"]
    assert set(files) >= {f"sql/{STEM}.postgres.sql", "csv/order.csv"}
    assert files["csv/order.csv"] == file_checksums([tmp_path / "csv/order.csv"])["order.csv"]


def test_frictionless_catches_a_broken_key(full_bundle, tmp_path):
    path, _ = full_bundle
    with zipfile.ZipFile(path) as archive:
        archive.extractall(tmp_path)
    orders = tmp_path / "csv/order.csv"
    lines = orders.read_text(encoding="utf-8").split("\n", 2)
    orders.write_text("\n".join([lines[0], lines[1], lines[1], lines[2]]), encoding="utf-8")
    report = frictionless.validate(tmp_path / "datapackage.json")
    assert not report.valid  # the declared primary key is really checked


def test_readme_is_a_data_dictionary(full_bundle):
    path, _ = full_bundle
    with zipfile.ZipFile(path) as archive:
        readme = archive.read("README.md").decode("utf-8")
    assert readme.startswith("# Café Shop: orders\n")
    assert "Dataset id: `L42-v1`" in readme and "0f" * 32 in readme
    assert "### order line" in readme
    assert "| amount | decimal(10,2) |" in readme
    assert "not enforced" in readme
    assert "`csv/order.csv`" in readme


def test_no_instructor_artefacts(full_bundle):
    path, _ = full_bundle
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            assert not any(w in name.lower() for w in ("flaw", "manifest", "objective", "answer"))
        for name in ("README.md", "datapackage.json"):
            text = archive.read(name).decode().lower()
            assert "flaw" not in text and "objective" not in text


def test_unzipped_writes_loose_files(tmp_path):
    paths = write_bundle(
        one_table_source(), formats=["csv", "sql:sqlite"], out_dir=tmp_path, unzipped=True
    )
    names = sorted(p.relative_to(tmp_path).as_posix() for p in paths)
    assert names == [
        "scores-s1/README.md",
        "scores-s1/csv/scores.csv",
        "scores-s1/datapackage.json",
        "scores-s1/sql/scores-s1.sqlite.sql",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores-s1"]  # no temp leftovers


def test_bundle_without_csv_describes_parquet(tmp_path):
    path = write_bundle(one_table_source(), formats=["parquet"], out_dir=tmp_path)
    with zipfile.ZipFile(path) as archive:
        descriptor = json.loads(archive.read("datapackage.json"))
    assert descriptor["resources"][0]["path"] == "parquet/scores.parquet"
    assert descriptor["resources"][0]["type"] == "table"


def test_bundle_without_table_files_still_describes_itself(tmp_path):
    path = write_bundle(one_table_source(), formats=["xlsx", "sqlite"], out_dir=tmp_path)
    with zipfile.ZipFile(path) as archive:
        archive.extractall(tmp_path / "x")
    report = frictionless.validate(tmp_path / "x" / "datapackage.json")
    assert report.valid, report.flatten(["type", "note"])
    descriptor = json.loads((tmp_path / "x" / "datapackage.json").read_text(encoding="utf-8"))
    assert [(r["path"], r["type"]) for r in descriptor["resources"]] == [
        ("scores-s1.sqlite", "file"),
        ("scores-s1.xlsx", "file"),
    ]
    assert descriptor["datagen"]["tables"]["scores"]["primaryKey"] == ["student"]


def test_bundle_rejects_unknown_format_before_writing(tmp_path):
    with pytest.raises(ExportError, match="Unknown export format: pdf"):
        write_bundle(one_table_source(), formats=["csv", "pdf"], out_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_file_checksums(tmp_path):
    (tmp_path / "b.txt").write_bytes(b"abc")
    (tmp_path / "a.txt").write_bytes(b"")
    assert file_checksums([tmp_path / "b.txt", tmp_path / "a.txt"]) == {
        "a.txt": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "b.txt": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    }


def test_one_format_bundle_has_its_own_name(tmp_path):
    single = write_bundle(one_table_source(), formats=["sql:postgres"], out_dir=tmp_path)
    several = write_bundle(one_table_source(), formats=["csv", "xlsx"], out_dir=tmp_path)
    assert single.name == "scores-s1-sql-postgres.zip"
    assert several.name == "scores-s1.zip"
