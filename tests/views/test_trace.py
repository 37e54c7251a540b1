"""Tracing a file found elsewhere to the learner it was issued to, through the instructor page."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from courses.models import IssuedDataset
from courses.services.specs import spec_version_approve, spec_version_check, spec_version_save
from courses.views import trace as trace_view
from datagen_lti.grading.uploads import MB
from tests import factories
from tests.views.launch import launch_as

# Real commits, so that jobs queued on commit run (inline) as they would in production.
pytestmark = pytest.mark.django_db(transaction=True)

RETAIL = (Path(__file__).resolve().parents[2] / "examples" / "specs" / "retail.yaml").read_text()
FORMATS = ["csv", "xlsx", "parquet", "sqlite"]
DOWNLOADS = [*FORMATS, "bundle"]


@pytest.fixture
def assignment():
    return factories.assignment(offered_formats=FORMATS)


@pytest.fixture
def instructor(assignment):
    return factories.learner(registration=assignment.course.registration, name="Ines Instructor")


@pytest.fixture
def teacher(assignment, instructor) -> Client:
    client = Client()
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    return client


@pytest.fixture
def approved(assignment, instructor):
    version = spec_version_save(assignment=assignment, text=RETAIL, created_by=instructor)
    spec_version_check(spec_version=version)
    return spec_version_approve(spec_version=version, approver=instructor)


def body(response) -> bytes:
    """The whole streamed body; closes the file behind it."""
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


@pytest.fixture
def downloads(assignment, approved) -> dict[str, dict[str, bytes]]:
    """Three learners, each with every format downloaded through their own download link."""
    files: dict[str, dict[str, bytes]] = {}
    for name in ("Ada", "Bob", "Cy"):
        client = Client()
        learner = factories.learner(registration=assignment.course.registration, name=name)
        launch_as(client, learner=learner, assignment=assignment, role="learner")
        assert (
            client.get(reverse("courses:learner_assignment", args=[assignment.uuid])).status_code
            == 200
        )
        files[name] = {}
        for fmt in DOWNLOADS:
            response = client.get(reverse("courses:learner_download", args=[assignment.uuid, fmt]))
            assert response.status_code == 200, (name, fmt)
            files[name][fmt] = body(response)
    return files


def trace_url(assignment) -> str:
    return reverse("courses:instructor_trace", args=[assignment.uuid])


def upload(client: Client, assignment, data: bytes, name: str):
    return client.post(trace_url(assignment), {"file": SimpleUploadedFile(name, data)})


def member(archive: bytes, suffix: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        (name,) = [n for n in opened.namelist() if n.endswith(suffix)]
        return opened.read(name)


def shares(result) -> dict[str, float]:
    return {m.learner.name: m.share for m in result.matches}


def test_the_page_shows_the_upload_form_and_its_limit(assignment, teacher) -> None:
    response = teacher.get(trace_url(assignment))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert "up to 50 MB" in page
    back = reverse("courses:instructor_assignment", args=[assignment.uuid])
    assert f'href="{back}#grades"' in page


def test_every_unchanged_download_is_traced_by_checksum(assignment, teacher, downloads) -> None:
    bob = IssuedDataset.objects.get(assignment=assignment, learner__name="Bob")
    for fmt in DOWNLOADS:
        response = upload(teacher, assignment, downloads["Bob"][fmt], f"found.{fmt}")
        assert response.status_code == 200, (fmt, response.content[:500])
        result = response.context["result"]
        assert [(m.learner.name, m.fmt) for m in result.exact] == [("Bob", fmt)]
        assert result.exact[0].issued == bob
        page = response.content.decode()
        assert "unchanged copy of a file the tool issued" in page
        assert bob.seed_fingerprint in page

    # A download zipped up with other things: the member is recognised.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "my homework")
        archive.writestr("data/shop.sqlite", downloads["Cy"]["sqlite"])
    result = upload(teacher, assignment, buffer.getvalue(), "stuff.zip").context["result"]
    assert [(m.learner.name, m.fmt, m.member) for m in result.exact] == [
        ("Cy", "sqlite", "data/shop.sqlite")
    ]


def edited_orders(csv_zip: bytes) -> bytes:
    """orders.csv with a few cells changed, a few rows deleted and the rows shuffled."""
    rows = list(csv.reader(io.StringIO(member(csv_zip, "orders.csv").decode())))
    header, data = rows[0], rows[1:]
    rng = random.Random(7)
    for row in rng.sample(data, 4):
        row[header.index("channel")] = "phone"
    del data[10:16]
    rng.shuffle(data)
    out = io.StringIO()
    csv.writer(out).writerows([header, *data])
    return out.getvalue().encode()


def test_an_edited_csv_is_traced_by_its_rows(assignment, teacher, downloads) -> None:
    edited = edited_orders(downloads["Bob"]["csv"])
    for name in ("orders.csv", "leaked.csv"):  # by table name, or against every table
        response = upload(teacher, assignment, edited, name)
        assert response.status_code == 200
        result = response.context["result"]
        assert not result.exact and result.found
        assert result.best.learner.name == "Bob"
        assert result.best.share > 0.95
        assert result.best.exclusive_rows > 0.95 * result.best.uploaded_rows
        assert result.best.tables[0].issued_table == "orders"
        assert all(share < 0.05 for who, share in shares(result).items() if who != "Bob")
        page = response.content.decode()
        assert "Most likely from <strong>Bob</strong>" in page


def test_a_resaved_workbook_is_traced_by_its_rows(assignment, teacher, downloads) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(downloads["Ada"]["xlsx"]))
    workbook["orders"].delete_rows(5, 3)
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert buffer.getvalue() != downloads["Ada"]["xlsx"]

    result = upload(teacher, assignment, buffer.getvalue(), "copy.xlsx").context["result"]
    assert not result.exact
    assert {t.name for t in result.tables} == {"customers", "products", "orders", "order_items"}
    assert result.best.learner.name == "Ada"
    assert result.best.share > 0.99
    assert all(share < 0.05 for who, share in shares(result).items() if who != "Ada")


def test_a_bundle_member_alone_is_traced_by_its_rows(assignment, teacher, downloads) -> None:
    parquet = member(downloads["Cy"]["bundle"], "order_items.parquet")
    result = upload(teacher, assignment, parquet, "x.parquet").context["result"]
    assert result.best.learner.name == "Cy" and result.best.share == 1.0


def test_unrelated_data_matches_nobody(assignment, teacher, downloads) -> None:
    # Same columns as the orders table, other values: compared, and found in nobody's data.
    lines = ["order_id,customer_id,order_date,channel"]
    lines += [f"{1000 + n},{n % 7 + 1},2019-0{n % 9 + 1}-1{n % 10},web" for n in range(60)]
    response = upload(teacher, assignment, "\n".join(lines).encode(), "orders.csv")
    assert response.status_code == 200
    result = response.context["result"]
    assert not result.found and not result.exact
    assert result.datasets_compared == 3
    assert result.matches == ()
    assert "No match" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
            "report.pdf",
            "not a CSV, Excel (.xlsx), Parquet",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "orders.csv", "not a CSV, Excel (.xlsx), Parquet"),
        (b"PK\x03\x04 not really a zip", "orders.xlsx", "cannot be opened"),
        (b"SQLite format 3\x00" + b"\x00" * 200, "shop.sqlite", "SQLite"),
        (b"", "empty.csv", "empty"),
    ],
)
def test_a_file_that_is_not_data_gets_a_clear_400(assignment, teacher, data, name, words) -> None:
    response = upload(teacher, assignment, data, name)
    assert response.status_code == 400
    assert words in response.content.decode()
    assert response.context["result"] is None


def test_a_missing_or_oversized_upload_gets_a_400(assignment, teacher, monkeypatch) -> None:
    response = teacher.post(trace_url(assignment), {})
    assert response.status_code == 400
    assert "Choose a file to trace" in response.content.decode()

    limits = replace(trace_view.TRACE_LIMITS, max_bytes=MB)
    monkeypatch.setattr(trace_view, "TRACE_LIMITS", limits)
    rows = b"1,2\n" * (MB // 4)
    response = upload(teacher, assignment, b"a,b\n" + rows, "big.csv")
    assert response.status_code == 400
    assert "files up to 1 MB can be traced" in response.content.decode()
    # Far over the limit: refused from the declared length, before the body is read.
    response = upload(teacher, assignment, b"a,b\n" + rows * 2, "huge.csv")
    assert response.status_code == 400
    assert "larger than the 1 MB that can be traced" in response.content.decode()


def test_uploads_need_the_csrf_token(assignment, instructor) -> None:
    client = Client(enforce_csrf_checks=True)
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    response = upload(client, assignment, b"a,b\n1,2\n", "x.csv")
    assert response.status_code == 403


def test_only_the_courses_instructors_may_trace(assignment, instructor, client) -> None:
    url = trace_url(assignment)
    assert client.get(url).status_code == 401
    assert upload(client, assignment, b"a,b\n1,2\n", "x.csv").status_code == 401

    learner = Client()
    launch_as(
        learner,
        learner=factories.learner(registration=assignment.course.registration),
        assignment=assignment,
        role="learner",
    )
    assert learner.get(url).status_code == 403
    assert upload(learner, assignment, b"a,b\n1,2\n", "x.csv").status_code == 403

    elsewhere = factories.assignment()
    stranger = Client()
    launch_as(
        stranger,
        learner=factories.learner(registration=elsewhere.course.registration),
        assignment=elsewhere,
        role="instructor",
    )
    assert (
        stranger.get(reverse("courses:instructor_trace", args=[elsewhere.uuid])).status_code == 200
    )
    response = stranger.get(url)
    assert response.status_code == 401
    assert b"Trace a file" not in response.content
    assert upload(stranger, assignment, b"a,b\n1,2\n", "x.csv").status_code == 401
