"""Starting a spec from reference data: upload, metadata correction, fitting job, quality."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

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
    assert upload.status == ReferenceImport.Status.UPLOADED  # detected by the (inline) job
    detect = JobRun.objects.get(kind="reference_detect")
    assert detect.status == JobRun.Status.SUCCEEDED, detect.error
    assert detect.arguments == {"reference_import_id": upload.pk}
    assert detect.result == {"tables": 2, "relationships": 1}
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
    # Comparison charts, drawn from the counts the job stored (the uploads are gone).
    charts = {(c["table"], c["column"]): c for c in upload.report["charts"]}
    assert charts[("customers", "income")]["kind"] == "histogram"
    assert charts[("customers", "segment")]["kind"] == "bars"
    assert charts[("customers", "signup_date")]["kind"] == "timeline"
    assert ("customers", "email") not in charts  # personal: generated, not compared
    assert ("orders", "order_id") not in charts  # keys are not compared
    income = charts[("customers", "income")]
    assert sum(income["reference"]) == tables["customers"]["income"].notna().sum()
    assert sum(income["generated"]) == income["rows"][1] - income["nulls"][1]
    assert html.count('<svg class="chart compare"') == len(charts)
    assert "income: distribution, reference and learner 1</title>" in html
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


def _upload_shop(client, assignment):
    tables = shop_tables()
    return client.post(
        page(assignment),
        {
            "files": [
                csv_file("customers.csv", tables["customers"]),
                csv_file("orders.csv", tables["orders"]),
            ]
        },
    )


def test_detection_is_a_queued_job_the_page_waits_for(
    assignment, instructor_client, settings, monkeypatch
):
    """With a queue, the upload returns before SDV runs; the page polls, then shows the form."""
    from courses.jobs import run_job, runner

    queued: list[int] = []
    settings.JOBS_INLINE = False
    monkeypatch.setattr(runner, "_dispatch", queued.append)  # the queue, without Redis
    response = _upload_shop(instructor_client, assignment)
    assert response.status_code == 302
    upload = ReferenceImport.objects.get()
    assert upload.status == ReferenceImport.Status.DETECTING
    assert upload.metadata == {}
    [job_id] = queued
    job = JobRun.objects.get(pk=job_id)
    assert (job.kind, job.status) == ("reference_detect", JobRun.Status.REQUESTED)

    waiting = instructor_client.get(response["Location"]).content.decode()
    status_url = reverse("courses:instructor_import_data_status", args=[assignment.uuid, upload.pk])
    assert f'data-status-url="{status_url}"' in waiting
    assert "Detecting types, keys and relationships" in waiting
    assert 'name="sdtype:customers:income"' not in waiting  # no form before detection
    assert instructor_client.get(status_url).json()["status"] == "requested"
    confirm = reverse("courses:instructor_import_data_confirm", args=[assignment.uuid, upload.pk])
    early = instructor_client.post(confirm, {"pk:customers": "customer_id"})
    assert early.status_code == 400
    assert b"still being detected" in early.content

    run_job(job_id)  # what the worker does
    assert instructor_client.get(status_url).json()["status"] == "succeeded"
    upload.refresh_from_db()
    assert upload.status == ReferenceImport.Status.UPLOADED
    detected = instructor_client.get(response["Location"]).content.decode()
    assert 'name="sdtype:customers:income"' in detected
    assert 'name="fk:orders:customer_id"' in detected
    run_job(job_id)  # delivered twice: nothing changes
    assert JobRun.objects.get(pk=job_id).status == JobRun.Status.SUCCEEDED


def test_failed_detection_says_why_and_asks_for_the_files_again(
    assignment, instructor_client, monkeypatch
):
    def refuse(tables):
        raise ValueError("The provided data contains columns SDV cannot type")

    monkeypatch.setattr("courses.services.reference.detect_metadata", refuse)
    response = _upload_shop(instructor_client, assignment)
    assert response.status_code == 302
    upload = ReferenceImport.objects.get()
    assert upload.status == ReferenceImport.Status.DETECT_FAILED
    job = JobRun.objects.get(kind="reference_detect")
    assert job.status == JobRun.Status.FAILED
    html = instructor_client.get(response["Location"]).content.decode()
    assert "The tables' types and keys could not be detected:" in html
    assert "SDV could not detect the tables&#x27; types and keys" in html
    assert "The provided data contains columns SDV cannot type" in html
    assert "upload the tables again" in html
    assert 'name="sdtype:customers:income"' not in html  # no form on missing metadata
    assert "Fitted spec and its quality" not in html
    assert all(f["path"] == "" for f in upload.files)
    assert not default_storage.listdir(f"reference/{assignment.uuid}")[1]


def test_detection_of_files_lost_from_storage_fails_with_a_clear_message(
    assignment, instructor_client, settings, monkeypatch
):
    from courses.jobs import run_job, runner

    queued: list[int] = []
    settings.JOBS_INLINE = False
    monkeypatch.setattr(runner, "_dispatch", queued.append)
    response = _upload_shop(instructor_client, assignment)
    upload = ReferenceImport.objects.get()
    for item in upload.files:  # e.g. a storage clean-up between the upload and the worker
        default_storage.delete(item["path"])
    run_job(queued[0])
    upload.refresh_from_db()
    assert upload.status == ReferenceImport.Status.DETECT_FAILED
    assert "the uploaded file is no longer stored" in upload.error
    html = instructor_client.get(response["Location"]).content.decode()
    assert "the uploaded file is no longer stored" in html
    status_url = reverse("courses:instructor_import_data_status", args=[assignment.uuid, upload.pk])
    assert instructor_client.get(status_url).json()["status"] == "failed"


def test_comparisons_hold_binned_counts_on_shared_bins_and_draw_accessibly():
    import numpy as np
    import pandas as pd

    from courses.services.quality_charts import comparison_figures, comparison_svg
    from datagen_lti.authoring.reference_quality import column_comparisons

    rng = np.random.default_rng(3)
    reference = pd.DataFrame(
        {
            "id": np.arange(200),
            "amount": np.r_[rng.normal(50, 5, 199), np.nan],
            "channel": rng.choice(["web", "shop", "phone"], 200, p=[0.6, 0.3, 0.1]),
            "paid": rng.random(200) < 0.8,
            "placed": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, 200), "D"),
        }
    )
    generated = pd.DataFrame(
        {
            "id": np.arange(150),
            "amount": rng.normal(80, 5, 150),  # shifted: its bins lie above the reference's
            "channel": rng.choice(["web", "shop", "fax"], 150),
            "paid": rng.random(150) < 0.5,
            "placed": pd.Timestamp("2024-02-01") + pd.to_timedelta(rng.integers(0, 90, 150), "D"),
        }
    )
    metadata = {
        "tables": {
            "orders": {
                "primary_key": "id",
                "columns": {
                    "id": {"sdtype": "id"},
                    "amount": {"sdtype": "numerical"},
                    "channel": {"sdtype": "categorical"},
                    "paid": {"sdtype": "boolean"},
                    "placed": {"sdtype": "datetime"},
                },
            }
        }
    }
    charts = {
        c["column"]: c
        for c in column_comparisons({"orders": reference}, {"orders": generated}, metadata)
    }
    assert set(charts) == {"amount", "channel", "paid", "placed"}
    amount = charts["amount"]
    assert amount["rows"] == [200, 150] and amount["nulls"] == [1, 0]
    assert sum(amount["reference"]) == 199 and sum(amount["generated"]) == 150
    assert len(amount["edges"]) == len(amount["reference"]) + 1 == 13
    assert amount["edges"][0] == round(reference["amount"].min(), 4) and amount["edges"][-1] >= 80
    assert amount["reference"][-1] == 0 and amount["generated"][0] == 0  # apart on shared bins
    channel = charts["channel"]
    assert channel["labels"][:3] == ["web", "shop", "phone"]  # the reference's commonest first
    assert channel["labels"][-1] == "1 other values"  # "fax" only in the variant
    assert (
        channel["reference"][-1] == 0
        and channel["generated"][-1] == (generated["channel"] == "fax").sum()
    )
    assert charts["paid"]["labels"] == ["true", "false"]
    assert sum(charts["paid"]["reference"]) == 200
    placed = charts["placed"]
    assert placed["unit"] == "month" and placed["labels"][0] == "2024-01"
    assert placed["labels"][-1] == "2024-04" and placed["generated"][0] == 0
    assert len(str(charts)) < 5_000  # counts, not rows

    for chart in charts.values():
        svg = str(comparison_svg({"table": "orders", **chart}))
        assert svg.startswith('<svg class="chart compare"') and 'role="img"' in svg
        assert '<title id="cmp-orders-' in svg and "<desc id=" in svg
        assert "reference" in svg and "learner 1" in svg
    desc = str(comparison_svg({"table": "orders", **charts["channel"]}))
    ref_web = channel["reference"][0] / sum(channel["reference"])
    gen_web = channel["generated"][0] / sum(channel["generated"])
    assert f"web {ref_web:.0%} against {gen_web:.0%}" in desc  # shares, not raw counts
    hostile = {
        **charts["channel"],
        "table": "t",
        "labels": ["<script>x</script>", *channel["labels"][1:]],
    }
    assert "<script>" not in str(comparison_svg(hostile))
    assert str(comparison_svg({"kind": "bars", "reference": [1], "generated": [1, 2]})) == ""
    groups = comparison_figures(
        [{"table": "orders", **charts["amount"]}],
        quality={
            "column_shapes": [
                {"table": "orders", "column": "amount", "metric": "KSComplement", "score": 0.1}
            ]
        },
    )
    assert groups[0]["table"] == "orders" and groups[0]["figures"][0]["score"] == 0.1


def test_unfitted_uploads_are_deleted_with_their_files_after_a_week(assignment):
    def stored(name: str, status: str, age_days: float) -> ReferenceImport:
        path = default_storage.save(
            f"reference/{assignment.uuid}/{name}.csv", io.BytesIO(b"a\n1\n")
        )
        made = ReferenceImport.objects.create(
            assignment=assignment, status=status, files=[{"table": name, "path": path}]
        )
        ReferenceImport.objects.filter(pk=made.pk).update(
            created_at=timezone.now() - timedelta(days=age_days)
        )
        return made

    old = stored("old", ReferenceImport.Status.UPLOADED, 8)
    recent = stored("recent", ReferenceImport.Status.UPLOADED, 2)
    fitted = ReferenceImport.objects.create(
        assignment=assignment, status=ReferenceImport.Status.FITTED, files=[]
    )
    ReferenceImport.objects.filter(pk=fitted.pk).update(
        created_at=timezone.now() - timedelta(days=30)
    )
    out = io.StringIO()
    call_command("reference_cleanup", stdout=out)
    assert "Deleted 1 unfitted reference upload" in out.getvalue()
    assert not ReferenceImport.objects.filter(pk=old.pk).exists()
    assert not default_storage.exists(old.files[0]["path"])
    assert ReferenceImport.objects.filter(pk=recent.pk).exists()
    assert default_storage.exists(recent.files[0]["path"])
    assert ReferenceImport.objects.filter(pk=fitted.pk).exists()  # its report is kept
