"""Starting a spec from reference data: upload, metadata correction, fitting job, quality."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from courses.models import JobRun, ReferenceImport, SpecVersion
from tests import factories
from tests.authoring.test_reference import shop_tables
from tests.views.launch import launch_as

# Real commits, so that jobs queued on commit run (inline) as they would in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def assignment():
    return factories.assignment(title="Shop analytics")


@pytest.fixture
def instructor_client(assignment) -> Client:
    client = Client()
    instructor = factories.learner(registration=assignment.course.registration, name="Ines")
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    return client


def csv_file(name: str, frame) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, frame.to_csv(index=False).encode(), content_type="text/csv")


def parquet_file(name: str, frame) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/octet-stream")


def page(assignment) -> str:
    return reverse("courses:instructor_import_data", args=[assignment.uuid])


def test_anonymous_and_learners_are_refused(assignment, client) -> None:
    assert client.get(page(assignment)).status_code == 401
    assert client.post(page(assignment)).status_code == 401
    learner = factories.learner(registration=assignment.course.registration)
    launch_as(client, learner=learner, assignment=assignment, role="learner")
    assert client.get(page(assignment)).status_code == 403
    tables = shop_tables()
    response = client.post(page(assignment), {"files": [csv_file("orders.csv", tables["orders"])]})
    assert response.status_code == 403
    assert not ReferenceImport.objects.exists()


def test_instructor_uploads_corrects_fits_and_sees_the_quality(assignment, instructor_client):
    client = instructor_client
    response = client.get(page(assignment))
    assert response.status_code == 200
    assert b"at most 10 files, 20 MB each" in response.content  # the limits are stated
    tables = shop_tables()
    response = client.post(
        page(assignment),
        {
            "files": [
                csv_file("customers.csv", tables["customers"]),
                parquet_file("orders.parquet", tables["orders"]),
            ]
        },
    )
    assert response.status_code == 302
    upload = ReferenceImport.objects.get(assignment=assignment)
    assert upload.status == ReferenceImport.Status.UPLOADED
    paths = [f["path"] for f in upload.files]
    assert all(p.startswith(f"reference/{assignment.uuid}/") for p in paths)
    assert all(default_storage.exists(p) for p in paths)
    detected = client.get(response["Location"])
    text = detected.content.decode()
    assert 'name="sdtype:customers:income"' in text
    assert 'name="fk:orders:customer_id"' in text
    assert ["customers", "email"] in upload.personal  # detected as personal
    assert ["customers", "tel"] not in upload.personal  # SDV does not know it

    form = {
        "pk:customers": "customer_id",
        "pk:orders": "order_id",
        "fk:orders:customer_id": "customers",
        "sdtype:customers:segment": "categorical",
        "personal": [f"customers:{c}" for c in ("first_name", "last_name", "email", "tel")],
    }
    url = reverse("courses:instructor_import_data_confirm", args=[assignment.uuid, upload.pk])
    response = client.post(url, form)
    assert response.status_code == 302
    upload.refresh_from_db()
    assert upload.status == ReferenceImport.Status.FITTED, upload.error
    job = JobRun.objects.get(kind="reference_fit")
    assert job.status == JobRun.Status.SUCCEEDED
    version = upload.spec_version
    assert version.source == SpecVersion.Source.REFERENCE
    assert version.status == SpecVersion.Status.DRAFT
    columns = {c["name"]: c for c in version.document["tables"][0]["columns"]}
    assert columns["tel"]["type"] == "text" and columns["tel"]["kind"] == "phone"
    document = str(version.document)
    assert not any(number in document for number in tables["customers"]["tel"])
    assert not any(default_storage.exists(p) for p in paths)  # files deleted once fitted
    # The draft's checks were queued (and ran inline).
    assert JobRun.objects.filter(
        kind="spec_check", arguments={"spec_version_id": version.pk}
    ).exists()
    result = client.get(response["Location"])
    html = result.content.decode()
    assert result.status_code == 200
    assert f"Saved as draft version {version.number}" in html
    assert "Column shapes" in html and "<meter" in html
    assert 0.7 < upload.report["quality"]["score"] <= 1
    status = client.get(
        reverse("courses:instructor_import_data_status", args=[assignment.uuid, upload.pk])
    )
    assert status.json()["status"] == "succeeded"
    # Fitted once: the form is gone and a second confirmation is refused.
    assert 'name="sdtype:customers:income"' not in html
    assert client.post(url, form).status_code == 400


def test_over_limit_upload_is_refused_before_reading(assignment, instructor_client, settings):
    tables = shop_tables()
    customers = csv_file("customers.csv", tables["customers"])
    assert customers.size > 60_000
    # A body announced larger than the limit: its files are not even parsed.
    settings.DATAGEN_REFERENCE_LIMITS = {"max_total_bytes": 10_000}
    response = instructor_client.post(page(assignment), {"files": [customers]})
    assert response.status_code == 413
    assert b"over the limit of 0.01 MB in all" in response.content
    # A file that grows past its limit while it streams in is dropped there.
    settings.DATAGEN_REFERENCE_LIMITS = {"max_file_bytes": 10_000}
    customers.seek(0)
    response = instructor_client.post(page(assignment), {"files": [customers]})
    assert response.status_code == 413
    assert b"customers.csv: over the limit of 0.01 MB per file" in response.content
    # Rows are counted while the table is read.
    settings.DATAGEN_REFERENCE_LIMITS = {"max_rows": 100}
    response = instructor_client.post(
        page(assignment), {"files": [csv_file("orders.csv", tables["orders"])]}
    )
    assert response.status_code == 400
    assert b"more than 100 rows, the limit per table" in response.content
    assert not ReferenceImport.objects.exists()
    folder = f"reference/{assignment.uuid}"
    assert not default_storage.exists(folder) or default_storage.listdir(folder) == ([], [])


def test_upload_needs_the_csrf_token(assignment) -> None:
    client = Client(enforce_csrf_checks=True)
    instructor = factories.learner(registration=assignment.course.registration)
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    tables = shop_tables()
    response = client.post(page(assignment), {"files": [csv_file("orders.csv", tables["orders"])]})
    assert response.status_code == 403
    assert not ReferenceImport.objects.exists()


def test_unreadable_upload_and_bad_corrections_are_explained(assignment, instructor_client):
    broken = SimpleUploadedFile("orders.xlsx", b"not a workbook")
    response = instructor_client.post(page(assignment), {"files": [broken]})
    assert response.status_code == 400
    assert b"not a readable Excel (.xlsx) workbook" in response.content
    assert not ReferenceImport.objects.exists()
    tables = shop_tables()
    instructor_client.post(
        page(assignment),
        {
            "files": [
                csv_file("customers.csv", tables["customers"]),
                csv_file("orders.csv", tables["orders"]),
            ]
        },
    )
    upload = ReferenceImport.objects.get()
    url = reverse("courses:instructor_import_data_confirm", args=[assignment.uuid, upload.pk])
    response = instructor_client.post(
        url, {"pk:customers": "segment", "fk:orders:customer_id": "customers"}
    )
    assert response.status_code == 400
    assert b"repeats values, so it cannot be the primary key" in response.content
    upload.refresh_from_db()
    assert upload.status == ReferenceImport.Status.UPLOADED
    assert not JobRun.objects.filter(kind="reference_fit").exists()
