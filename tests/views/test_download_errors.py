"""Downloads: formula escaping as the assignment says, verified files, and error pages, not 500s."""

from __future__ import annotations

import csv
import hashlib
import io
import sqlite3
import zipfile

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from courses.forms import AssignmentSettingsForm
from courses.models import IssuedDataset, JobRun, SpecVersion
from courses.services import datasets as datasets_service
from courses.services.specs import spec_version_approve, spec_version_check, spec_version_save
from datagen_lti.export import ExportError
from tests import factories
from tests.views.launch import launch_as

pytestmark = pytest.mark.django_db(transaction=True)

LEDGER = """
spec_version: 1
title: Ledger
tables:
  entries:
    rows: 40
    columns:
      entry_id: {type: id}
      memo: {type: category, values: ["=1+1", "-refund", "+bonus", "@mention", "plain"]}
      delta: {type: integer, distribution: {kind: uniform, low: -50, high: -1}}
"""
ESCAPED_MEMOS = {"'=1+1", "'-refund", "'+bonus", "'@mention", "plain"}
RAW_MEMOS = {"=1+1", "-refund", "+bonus", "@mention", "plain"}


@pytest.fixture
def assignment():
    return factories.assignment(offered_formats=["xlsx", "csv", "sqlite", "sql:postgres"])


@pytest.fixture
def instructor(assignment):
    return factories.learner(registration=assignment.course.registration, name="Ines")


@pytest.fixture
def approved(assignment, instructor):
    version = spec_version_save(assignment=assignment, text=LEDGER, created_by=instructor)
    spec_version_check(spec_version=version)
    return spec_version_approve(spec_version=version, approver=instructor)


@pytest.fixture
def learner_client(assignment, approved):
    client = Client()
    learner = factories.learner(registration=assignment.course.registration, name="Ada")
    launch_as(client, learner=learner, assignment=assignment, role="learner")
    client.get(reverse("courses:learner_assignment", args=[assignment.uuid]))
    return client


def download(client, assignment, fmt: str):
    return client.get(reverse("courses:learner_download", args=[assignment.uuid, fmt]))


def body(response) -> bytes:
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


def issued_dataset() -> IssuedDataset:
    return IssuedDataset.objects.get(is_current=True)


def stored_name(issued: IssuedDataset, fmt: str) -> str:
    return issued.file_checksums[fmt]["path"]


def lose_stored_tables(issued: IssuedDataset) -> None:
    """Delete the tables kept for grading: a repair must then generate the data again."""
    for table in issued.tables_files.values():
        default_storage.delete(table["name"])


def csv_column(data: bytes, name: str) -> list[str]:
    return [row[name] for row in csv.DictReader(io.StringIO(data.decode("utf-8")))]


def xlsx_rows(data: bytes) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(data))["entries"]
    return list(sheet.iter_rows(min_row=2, values_only=True))


# --- formula escaping ------------------------------------------------------------------------


def test_the_settings_form_offers_formula_escaping(assignment, instructor, approved):
    assert "escape_formulas" in AssignmentSettingsForm(instance=assignment).fields
    client = Client()
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    page = client.get(reverse("courses:instructor_assignment", args=[assignment.uuid]))
    assert b'name="escape_formulas"' in page.content


def test_csv_and_xlsx_downloads_escape_formulas_by_default(assignment, learner_client):
    csv_bytes = body(download(learner_client, assignment, "csv"))
    assert set(csv_column(csv_bytes, "memo")) <= ESCAPED_MEMOS
    assert "'=1+1" in csv_column(csv_bytes, "memo")
    assert all(int(v) < 0 for v in csv_column(csv_bytes, "delta"))  # numbers stay numbers
    rows = xlsx_rows(body(download(learner_client, assignment, "xlsx")))
    assert {r[1] for r in rows} <= ESCAPED_MEMOS
    assert all(isinstance(r[2], int) and r[2] < 0 for r in rows)
    checksums = issued_dataset().file_checksums
    assert checksums["csv"]["escape_formulas"] is True
    assert checksums["xlsx"]["escape_formulas"] is True


def test_the_bundle_says_escaping_was_applied(assignment, learner_client):
    archive = zipfile.ZipFile(io.BytesIO(body(download(learner_client, assignment, "bundle"))))
    assert "looks like a formula" in archive.read("README.md").decode()


def test_an_instructor_can_turn_escaping_off(assignment, approved):
    assignment.escape_formulas = False
    assignment.save(update_fields=["escape_formulas"])
    client = Client()
    learner = factories.learner(registration=assignment.course.registration, name="Ada")
    launch_as(client, learner=learner, assignment=assignment, role="learner")
    client.get(reverse("courses:learner_assignment", args=[assignment.uuid]))
    memos = set(csv_column(body(download(client, assignment, "csv")), "memo"))
    assert memos <= RAW_MEMOS and "=1+1" in memos
    assert issued_dataset().file_checksums["csv"]["escape_formulas"] is False


def test_an_issued_file_keeps_the_escaping_it_was_made_with(assignment, learner_client):
    first = body(download(learner_client, assignment, "csv"))
    assignment.escape_formulas = False
    assignment.save(update_fields=["escape_formulas"])
    issued = issued_dataset()
    default_storage.delete(stored_name(issued, "csv"))  # files are a cache
    again = download(learner_client, assignment, "csv")
    assert again.status_code == 200
    assert body(again) == first


def test_files_recorded_before_escaping_existed_are_remade_without_it(assignment, learner_client):
    escaped = body(download(learner_client, assignment, "csv"))
    assert "'=1+1" in csv_column(escaped, "memo")
    # A record of an older release: no escape_formulas key, and unescaped bytes.
    issued = issued_dataset()
    entry = dict(issued.file_checksums["csv"])
    unescaped = escaped.replace(b"'=", b"=").replace(b"'-", b"-").replace(b"'+", b"+")
    unescaped = unescaped.replace(b"'@", b"@")
    entry.pop("escape_formulas")
    entry["sha256"] = hashlib.sha256(unescaped).hexdigest()
    entry["size"] = len(unescaped)
    IssuedDataset.objects.filter(pk=issued.pk).update(
        file_checksums={**issued.file_checksums, "csv": entry}
    )
    default_storage.delete(stored_name(issued, "csv"))
    response = download(learner_client, assignment, "csv")
    assert response.status_code == 200
    assert body(response) == unescaped


# --- verified files --------------------------------------------------------------------------


def corrupt(name: str) -> bytes:
    """Flip one byte of a stored file, keeping its size; return the altered bytes."""
    with default_storage.open(name, "rb") as handle:
        data = bytearray(handle.read())
    data[len(data) // 2] ^= 0xFF
    default_storage.delete(name)
    default_storage.save(name, ContentFile(bytes(data)))
    return bytes(data)


@pytest.mark.parametrize("fmt", ["sqlite", "csv"])
def test_a_corrupted_cached_file_is_remade_not_served(assignment, learner_client, fmt):
    original = body(download(learner_client, assignment, fmt))
    issued = issued_dataset()
    altered = corrupt(stored_name(issued, fmt))
    response = download(learner_client, assignment, fmt)
    assert response.status_code == 200
    served = body(response)
    assert served != altered
    assert served == original
    assert hashlib.sha256(served).hexdigest() == issued.file_checksums[fmt]["sha256"]
    with default_storage.open(stored_name(issued, fmt), "rb") as handle:
        assert handle.read() == original  # the cache is repaired


def test_a_corrupted_file_that_cannot_be_remade_is_refused(assignment, learner_client):
    body(download(learner_client, assignment, "sqlite"))
    issued = issued_dataset()
    lose_stored_tables(issued)
    altered = corrupt(stored_name(issued, "sqlite"))
    entry = {**issued.file_checksums["sqlite"], "sha256": hashlib.sha256(altered).hexdigest()[::-1]}
    IssuedDataset.objects.filter(pk=issued.pk).update(
        file_checksums={**issued.file_checksums, "sqlite": entry}
    )
    response = learner_client.get(
        reverse("courses:learner_download", args=[assignment.uuid, "sqlite"])
    )
    assert response.status_code == 409
    assert b"do not match the checksums recorded" in response.content
    assert b"Try again" in response.content
    assert altered not in response.content
    # The failure is reported, not retried on every visit, until the learner asks again.
    download(learner_client, assignment, "sqlite")
    assert JobRun.objects.filter(kind="dataset_files").count() == 1
    learner_client.get(
        reverse("courses:learner_download", args=[assignment.uuid, "sqlite"]) + "?retry=1"
    )
    assert JobRun.objects.filter(kind="dataset_files").count() == 2


# --- formats an issued dataset cannot have ---------------------------------------------------


def test_xlsx_past_the_excel_row_limit_is_refused_with_the_other_formats(
    assignment, learner_client, monkeypatch
):
    issued = issued_dataset()
    IssuedDataset.objects.filter(pk=issued.pk).update(row_counts={"entries": 1_048_576})

    def no_generation(*args, **kwargs):
        raise AssertionError("the limit is known from the recorded row counts")

    monkeypatch.setattr(datasets_service, "regenerate", no_generation)
    response = download(learner_client, assignment, "xlsx")
    assert response.status_code == 422
    assert b"1,048,576 rows" in response.content
    assert b"1,048,575" in response.content
    assert b"CSV" in response.content and b"SQLite database file" in response.content
    issued.refresh_from_db()
    assert datasets_service.downloadable_formats(issued=issued) == [
        "csv",
        "sqlite",
        "sql:postgres",
    ]


def test_the_bundle_leaves_out_an_xlsx_past_the_limit(assignment, learner_client):
    issued = issued_dataset()
    IssuedDataset.objects.filter(pk=issued.pk).update(row_counts={"entries": 2_000_000})
    response = download(learner_client, assignment, "bundle")
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(body(response))).namelist()
    assert not [n for n in names if n.endswith(".xlsx")]
    assert any(n.endswith(".sqlite") for n in names)


def test_an_export_error_leaves_that_format_out_with_its_reason(assignment, approved, monkeypatch):
    real = datasets_service.write_issue_files

    def refuse_sqlite(source, *, formats, **options):
        if "sqlite" in formats:
            error = ExportError("The data breaks a constraint of the SQLite schema.")
            error.fmt = "sqlite"
            raise error
        return real(source, formats=formats, **options)

    monkeypatch.setattr(datasets_service, "write_issue_files", refuse_sqlite)
    client = Client()
    learner = factories.learner(registration=assignment.course.registration, name="Ada")
    launch_as(client, learner=learner, assignment=assignment, role="learner")
    page = client.get(reverse("courses:learner_assignment", args=[assignment.uuid]))
    assert b"breaks a constraint" in page.content  # shown beside the unavailable format
    response = download(client, assignment, "sqlite")
    assert response.status_code == 422
    assert b"breaks a constraint" in response.content
    assert b"Excel workbook (.xlsx)" in response.content
    assert b"SQL script for PostgreSQL" in response.content
    checksums = issued_dataset().file_checksums
    assert "sha256" not in checksums["sqlite"]
    assert checksums["bundle"]["formats"] == ["xlsx", "csv", "sql:postgres"]
    csv_download = download(client, assignment, "csv")
    assert csv_download.status_code == 200
    assert "plain" in csv_column(body(csv_download), "memo")


def test_an_unexpected_failure_while_issuing_is_a_message_not_a_500(
    assignment, approved, monkeypatch
):
    def crash(*args, **options):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(datasets_service, "write_issue_files", crash)
    client = Client()
    learner = factories.learner(registration=assignment.course.registration, name="Ada")
    launch_as(client, learner=learner, assignment=assignment, role="learner")
    page = client.get(reverse("courses:learner_assignment", args=[assignment.uuid]))
    assert page.status_code == 200
    assert b"Your dataset could not be generated. disk I/O error" in page.content
    assert not IssuedDataset.objects.exists()
    monkeypatch.undo()
    again = client.get(reverse("courses:learner_assignment", args=[assignment.uuid]) + "?retry=1")
    assert again.status_code == 200
    assert IssuedDataset.objects.count() == 1


def test_an_approved_spec_the_validator_now_refuses_is_a_page(assignment, learner_client):
    # Approved before the validator checked decimal precision: it cannot be generated again.
    issued = issued_dataset()
    lose_stored_tables(issued)
    default_storage.delete(stored_name(issued, "csv"))
    version = SpecVersion.objects.get(status=SpecVersion.Status.APPROVED)
    document = dict(version.document)
    table = dict(document["tables"][0])
    table["columns"] = [
        *table["columns"],
        {"name": "amount", "type": "decimal", "precision": 3, "scale": 2},
    ]
    document["tables"] = [table]
    SpecVersion.objects.filter(pk=version.pk).update(document=document)
    response = download(learner_client, assignment, "csv")
    assert response.status_code == 409
    assert b"cannot be generated again" in response.content
    assert b"tables.entries.columns.amount.precision" in response.content
    # The files that are intact are still served.
    intact = download(learner_client, assignment, "sqlite")
    assert intact.status_code == 200
    assert body(intact).startswith(b"SQLite format 3")


# --- issue 8: the scale is the one issued ----------------------------------------------------


def test_changing_the_scale_after_issue_keeps_the_learners_files(assignment, learner_client):
    issued = issued_dataset()
    assert issued.scale == 1.0 and issued.row_counts == {"entries": 40}
    first_csv = body(download(learner_client, assignment, "csv"))
    assert len(csv_column(first_csv, "entry_id")) == 40

    assignment.scale = 3.0
    assignment.save(update_fields=["scale"])
    issued.refresh_from_db()
    default_storage.delete(stored_name(issued, "csv"))  # remade from the seed at its scale

    again = body(download(learner_client, assignment, "csv"))
    assert again == first_csv
    assert hashlib.sha256(again).hexdigest() == issued.file_checksums["csv"]["sha256"]
    # A format first made after the change still has the issued rows.
    assert len(xlsx_rows(body(download(learner_client, assignment, "xlsx")))) == 40
    database = body(download(learner_client, assignment, "sqlite"))
    path = default_storage.path(stored_name(issued_dataset(), "sqlite"))
    assert database.startswith(b"SQLite format 3")
    count = sqlite3.connect(path).execute("SELECT COUNT(*) FROM entries").fetchone()[0]
    assert count == 40
