"""Issue once, serve stored files: every format written at issuance, nothing generated later.

Covers the class-scale path: deduplicated jobs, preparing a whole class, size limits
stated instead of failing, and files verified and repaired against their records.
"""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from courses.jobs import runner
from courses.models import Enrollment, IssuedDataset, JobRun
from courses.services import datasets as datasets_service
from courses.services import variants
from courses.services.datasets import BUNDLE, dataset_issue
from courses.services.preparation import class_preparation
from courses.services.specs import (
    ApprovalError,
    spec_version_approve,
    spec_version_check,
    spec_version_save,
)
from tests import factories
from tests.views.launch import launch_as

pytestmark = pytest.mark.django_db(transaction=True)

SHOP = """
spec_version: 1
title: Shop
tables:
  customers:
    rows: 30
    columns:
      customer_id: {type: id}
      name: {type: text, kind: first_name}
  orders:
    columns:
      order_id: {type: id}
      customer_id:
        type: foreign_key
        references: customers
        per_parent: {kind: poisson, mean: 2}
      amount: {type: decimal, distribution: {kind: uniform, low: 5, high: 90}}
"""
FORMATS = ["xlsx", "csv", "parquet", "sql:postgres", "sqlite"]


@pytest.fixture
def assignment():
    return factories.assignment(offered_formats=list(FORMATS))


@pytest.fixture
def instructor(assignment):
    return factories.learner(registration=assignment.course.registration, name="Ines")


@pytest.fixture
def approved(assignment, instructor):
    version = spec_version_save(assignment=assignment, text=SHOP, created_by=instructor)
    spec_version_check(spec_version=version)
    return spec_version_approve(spec_version=version, approver=instructor)


def learner_in(assignment, name="Ada"):
    learner = factories.learner(registration=assignment.course.registration, name=name)
    Enrollment.objects.create(course=assignment.course, learner=learner, role="learner")
    return learner


def stored_bytes(record: dict) -> bytes:
    with default_storage.open(record["path"], "rb") as handle:
        return handle.read()


@pytest.fixture
def generations(monkeypatch):
    """Count every generation of a learner's dataset (issuing, repairing, grading)."""
    calls = []
    real = variants.generate_for

    def counting(**kwargs):
        calls.append(kwargs.get("learner_key"))
        return real(**kwargs)

    monkeypatch.setattr(datasets_service, "generate_for", counting)
    return calls


# --- one issuance, every file --------------------------------------------------------------


def test_issuing_writes_every_offered_format_and_the_zip_with_their_checksums(
    assignment, approved, generations
):
    issued = dataset_issue(assignment=assignment, learner=learner_in(assignment))
    assert set(issued.file_checksums) == {*FORMATS, BUNDLE}
    for record in issued.file_checksums.values():
        data = stored_bytes(record)
        assert hashlib.sha256(data).hexdigest() == record["sha256"]
        assert len(data) == record["size"]
    zipped = zipfile.ZipFile(io.BytesIO(stored_bytes(issued.file_checksums[BUNDLE])))
    names = zipped.namelist()
    assert any(n.endswith(".xlsx") for n in names) and "csv/orders.csv" in names
    assert issued.file_checksums[BUNDLE]["formats"] == FORMATS
    assert len(generations) == 1


def test_downloads_never_generate(assignment, approved, generations, monkeypatch):
    learner = learner_in(assignment)
    client = Client()
    launch_as(client, learner=learner, assignment=assignment, role="learner")
    page = client.get(reverse("courses:learner_assignment", args=[assignment.uuid]))
    assert page.status_code == 200
    assert len(generations) == 1

    def refuse(**kwargs):
        raise AssertionError("a download generated the dataset")

    monkeypatch.setattr(datasets_service, "generate_for", refuse)
    issued = IssuedDataset.objects.get(learner=learner)
    for fmt in [*[f.replace(":", "-") for f in FORMATS], BUNDLE]:
        response = client.get(reverse("courses:learner_download", args=[assignment.uuid, fmt]))
        assert response.status_code == 200, fmt
        data = b"".join(response.streaming_content)
        key = fmt.replace("-", ":")
        assert hashlib.sha256(data).hexdigest() == issued.file_checksums[key]["sha256"]
    assert IssuedDataset.objects.get(pk=issued.pk).download_count == len(FORMATS) + 1


def test_a_worker_that_dies_while_writing_files_leaves_nothing_current(
    assignment, approved, monkeypatch
):
    learner = learner_in(assignment)

    def crash(*args, **kwargs):
        raise MemoryError("worker killed")

    monkeypatch.setattr(datasets_service, "_store", crash)
    with pytest.raises(MemoryError):
        dataset_issue(assignment=assignment, learner=learner)
    assert not IssuedDataset.objects.filter(learner=learner).exists()
    monkeypatch.undo()
    issued = dataset_issue(assignment=assignment, learner=learner)
    assert issued.variant == 0 and set(issued.file_checksums) == {*FORMATS, BUNDLE}


def test_the_recorded_sub_seed_regenerates_the_issued_values(assignment, approved):
    issued = dataset_issue(assignment=assignment, learner=learner_in(assignment))
    again = datasets_service.regenerate(issued)
    assert again.sub_seed == issued.sub_seed
    assert again.row_counts == issued.row_counts


# --- verify and repair ---------------------------------------------------------------------


def corrupt(name: str) -> None:
    with default_storage.open(name, "rb") as handle:
        data = bytearray(handle.read())
    data[len(data) // 2] ^= 0xFF
    default_storage.delete(name)
    default_storage.save(name, ContentFile(bytes(data)))


def test_a_missing_file_is_written_again_from_the_stored_tables(assignment, approved, generations):
    issued = dataset_issue(assignment=assignment, learner=learner_in(assignment))
    record = issued.file_checksums["sqlite"]
    original = stored_bytes(record)
    default_storage.delete(record["path"])
    result = datasets_service.dataset_files_repair(issued=issued)
    assert result["repaired"] == ["sqlite"] and result["changed"] == []
    assert stored_bytes(record) == original
    assert len(generations) == 1  # from the stored tables, not generated again


def test_without_stored_tables_the_recorded_seed_reproduces_the_files(
    assignment, approved, generations
):
    issued = dataset_issue(assignment=assignment, learner=learner_in(assignment))
    for table in issued.tables_files.values():
        default_storage.delete(table["name"])
    record = issued.file_checksums["csv"]
    original = stored_bytes(record)
    corrupt(record["path"])
    assert datasets_service.dataset_files_verify(issued) == ["csv"]
    datasets_service.dataset_files_repair(issued=issued)
    assert stored_bytes(record) == original
    assert len(generations) == 2


def test_a_file_the_seed_no_longer_reproduces_is_refused_not_replaced(assignment, approved):
    issued = dataset_issue(assignment=assignment, learner=learner_in(assignment))
    for table in issued.tables_files.values():
        default_storage.delete(table["name"])
    record = dict(issued.file_checksums["sqlite"])
    default_storage.delete(record["path"])
    record["sha256"] = "0" * 64  # what a different engine or seed secret would cause
    IssuedDataset.objects.filter(pk=issued.pk).update(
        file_checksums={**issued.file_checksums, "sqlite": record}
    )
    issued.refresh_from_db()
    with pytest.raises(datasets_service.DatasetIntegrityError, match="do not match"):
        datasets_service.dataset_files_repair(issued=issued)
    assert not default_storage.exists(record["path"])
    assert IssuedDataset.objects.get(pk=issued.pk).file_checksums["sqlite"]["sha256"] == "0" * 64


def test_a_download_of_a_lost_file_waits_for_the_repair_job(assignment, approved):
    learner = learner_in(assignment)
    issued = dataset_issue(assignment=assignment, learner=learner)
    default_storage.delete(issued.file_checksums["sqlite"]["path"])
    client = Client()
    launch_as(client, learner=learner, assignment=assignment, role="learner")
    # Jobs run inline here: the repair runs in this request and the file is served.
    response = client.get(reverse("courses:learner_download", args=[assignment.uuid, "sqlite"]))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == issued.file_checksums["sqlite"]["sha256"]
    assert JobRun.objects.filter(kind="dataset_files", status="succeeded").count() == 1


def test_a_download_shows_progress_while_a_worker_writes_the_file(
    assignment, approved, monkeypatch
):
    learner = learner_in(assignment)
    issued = dataset_issue(assignment=assignment, learner=learner)
    default_storage.delete(issued.file_checksums["csv"]["path"])
    monkeypatch.setattr(runner, "_dispatch", lambda job_run_id: None)  # a worker's queue
    client = Client()
    launch_as(client, learner=learner, assignment=assignment, role="learner")
    url = reverse("courses:learner_download", args=[assignment.uuid, "csv"])
    response = client.get(url)
    assert response.status_code == 202
    assert b"Preparing your file" in response.content
    job = JobRun.objects.get(kind="dataset_files")
    status = client.get(reverse("courses:learner_job_status", args=[assignment.uuid, job.pk]))
    assert status.json()["status"] == "requested"
    assert client.get(url).status_code == 202
    assert JobRun.objects.filter(kind="dataset_files").count() == 1  # asked twice, one job
    runner.run_job(job.pk)
    response = client.get(url)
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    response.close()
    assert hashlib.sha256(data).hexdigest() == issued.file_checksums["csv"]["sha256"]


def test_another_learner_cannot_follow_someone_elses_file_job(assignment, approved, monkeypatch):
    owner = learner_in(assignment)
    issued = dataset_issue(assignment=assignment, learner=owner)
    monkeypatch.setattr(runner, "_dispatch", lambda job_run_id: None)
    job = runner.job_enqueue_once(kind="dataset_files", arguments={"issued_dataset_id": issued.pk})
    other = learner_in(assignment, name="Bo")
    client = Client()
    launch_as(client, learner=other, assignment=assignment, role="learner")
    response = client.get(reverse("courses:learner_job_status", args=[assignment.uuid, job.pk]))
    assert response.status_code == 404


def test_the_verify_command_reports_and_repairs(assignment, approved, capsys):
    issued = dataset_issue(assignment=assignment, learner=learner_in(assignment))
    call_command("datasets_verify", "--all")
    corrupt(issued.file_checksums["xlsx"]["path"])
    with pytest.raises(CommandError, match="--repair"):
        call_command("datasets_verify", "--course", str(assignment.course_id))
    assert "needs xlsx" in capsys.readouterr().out
    call_command("datasets_verify", "--assignment", str(assignment.uuid), "--repair")
    assert "repaired xlsx" in capsys.readouterr().out
    assert datasets_service.dataset_files_verify(issued) == []
    with pytest.raises(CommandError, match="no course"):
        call_command("datasets_verify", "--course", "999999")


def test_formats_offered_after_issuance_are_written_in_the_background(assignment, approved):
    learner = learner_in(assignment)
    issued = dataset_issue(assignment=assignment, learner=learner)
    assignment.offered_formats = [*FORMATS, "sql:mysql"]
    assignment.save(update_fields=["offered_formats"])
    issued = IssuedDataset.objects.get(pk=issued.pk)
    assert datasets_service.files_missing(issued) == ["sql:mysql", BUNDLE]
    stored = datasets_service.dataset_file(issued=issued, fmt="sqlite")  # others still served
    assert stored.sha256 == issued.file_checksums["sqlite"]["sha256"]
    with pytest.raises(datasets_service.DatasetFilePending):
        datasets_service.dataset_file(issued=issued, fmt="sql:mysql")
    issued.refresh_from_db()
    assert "sql:mysql" in issued.file_checksums
    assert issued.file_checksums[BUNDLE]["formats"] == [*FORMATS, "sql:mysql"]


# --- deduplicated jobs ---------------------------------------------------------------------


def test_asking_twice_for_the_same_work_gives_one_job(monkeypatch):
    monkeypatch.setattr(runner, "_dispatch", lambda job_run_id: None)
    first = runner.job_enqueue_once(kind="system_probe", arguments={"a": 1, "b": 2})
    second = runner.job_enqueue_once(kind="system_probe", arguments={"b": 2, "a": 1})
    assert first.pk == second.pk
    other = runner.job_enqueue_once(kind="system_probe", arguments={"a": 2, "b": 2})
    assert other.pk != first.pk
    JobRun.objects.filter(pk=first.pk).update(status=JobRun.Status.SUCCEEDED)
    again = runner.job_enqueue_once(kind="system_probe", arguments={"a": 1, "b": 2})
    assert again.pk != first.pk
    assert runner.job_latest(kind="system_probe", arguments={"a": 1, "b": 2}).pk == again.pk


def test_the_database_refuses_a_second_active_job_for_the_same_work():
    key = runner.job_key("system_probe", {})
    JobRun.objects.create(kind="system_probe", dedup_key=key)
    with pytest.raises(IntegrityError), transaction.atomic():
        JobRun.objects.create(kind="system_probe", dedup_key=key, status="started")
    JobRun.objects.create(kind="system_probe", dedup_key=key, status="failed")


def test_a_request_that_loses_the_race_gets_the_winners_job(monkeypatch):
    monkeypatch.setattr(runner, "_dispatch", lambda job_run_id: None)
    key = runner.job_key("system_probe", {"n": 1})
    winner = None
    seen = []

    def racing_filter(*args, **kwargs):
        nonlocal winner
        queryset = JobRun.objects.all().filter(*args, **kwargs)
        if kwargs.get("dedup_key") == key and not seen:
            seen.append(1)
            # Another request inserts between our read and our insert.
            winner = JobRun.objects.create(kind="system_probe", dedup_key=key)
            return JobRun.objects.none()
        return queryset

    monkeypatch.setattr(JobRun.objects, "filter", racing_filter)
    job = runner.job_enqueue_once(kind="system_probe", arguments={"n": 1})
    assert winner is not None and job.pk == winner.pk


def test_a_retried_failed_run_yields_to_a_newer_active_job(monkeypatch):
    monkeypatch.setattr(runner, "_dispatch", lambda job_run_id: None)
    old = runner.job_enqueue_once(kind="system_probe", arguments={})
    JobRun.objects.filter(pk=old.pk).update(status=JobRun.Status.FAILED)
    new = runner.job_enqueue_once(kind="system_probe", arguments={})
    runner.run_job(old.pk)  # a worker retrying the failed one
    assert JobRun.objects.get(pk=old.pk).status == JobRun.Status.FAILED
    runner.run_job(new.pk)
    assert JobRun.objects.get(pk=new.pk).status == JobRun.Status.SUCCEEDED


# --- preparing a class ---------------------------------------------------------------------


def test_prepare_datasets_for_everyone(assignment, approved, instructor):
    learners = [learner_in(assignment, name=f"L{i}") for i in range(4)]
    client = Client()
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    before = class_preparation(assignment)
    assert (before.total, before.ready) == (4, 0)
    page = client.get(reverse("courses:instructor_assignment", args=[assignment.uuid]))
    assert b"Prepare datasets for everyone" in page.content
    assert b"0 of 4 learners have their dataset" in page.content
    response = client.post(reverse("courses:instructor_prepare", args=[assignment.uuid]))
    assert response.status_code == 302
    assert IssuedDataset.objects.filter(assignment=assignment).count() == 4
    assert not IssuedDataset.objects.filter(learner=instructor).exists()
    status = client.get(reverse("courses:instructor_prepare_status", args=[assignment.uuid]))
    assert status.json()["status"] == "succeeded" and status.json()["progress"] == 1.0
    for learner in learners:
        issued = IssuedDataset.objects.get(learner=learner)
        assert set(issued.file_checksums) == {*FORMATS, BUNDLE}
    # Preparing again queues nothing new.
    client.post(reverse("courses:instructor_prepare", args=[assignment.uuid]))
    assert JobRun.objects.filter(kind="dataset_issue").count() == 4


def test_preparation_reports_failures_and_running_work(assignment, approved, monkeypatch):
    learners = [learner_in(assignment, name=f"L{i}") for i in range(3)]
    monkeypatch.setattr(runner, "_dispatch", lambda job_run_id: None)
    for learner in learners:
        runner.job_enqueue_once(
            kind="dataset_issue",
            arguments={"assignment_id": assignment.pk, "learner_id": learner.pk},
        )
    failed = JobRun.objects.filter(kind="dataset_issue").first()
    JobRun.objects.filter(pk=failed.pk).update(status="failed", error="out of memory")
    state = class_preparation(assignment)
    assert state.running == 2 and len(state.failed) == 1 and state.failed[0][1] == "out of memory"
    assert state.progress_report()["status"] == "started"
    assert "1 failed" in state.progress_message


def test_preparing_needs_an_approved_spec(assignment, instructor):
    client = Client()
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    response = client.post(
        reverse("courses:instructor_prepare", args=[assignment.uuid]), follow=True
    )
    assert b"Approve a spec version first" in response.content
    assert not JobRun.objects.filter(kind="assignment_prepare").exists()


# --- size honesty --------------------------------------------------------------------------


def test_excel_past_its_row_limit_is_not_offered_and_never_a_500(assignment, approved, monkeypatch):
    monkeypatch.setattr(datasets_service, "EXCEL_MAX_ROWS", 20)  # orders has ~60 rows
    learner = learner_in(assignment)
    issued = dataset_issue(assignment=assignment, learner=learner)
    assert "xlsx" not in issued.file_checksums
    assert issued.file_checksums[BUNDLE]["formats"] == [f for f in FORMATS if f != "xlsx"]
    client = Client()
    launch_as(client, learner=learner, assignment=assignment, role="learner")
    response = client.get(reverse("courses:learner_download", args=[assignment.uuid, "xlsx"]))
    assert response.status_code == 422
    assert b"an Excel sheet holds at most 19" in response.content
    assert b"CSV" in response.content  # the formats that remain
    page = client.get(reverse("courses:learner_assignment", args=[assignment.uuid]))
    assert b"an Excel sheet holds at most" in page.content


def test_changing_the_scale_warns_and_asks_for_new_checks(assignment, instructor, monkeypatch):
    version = spec_version_save(assignment=assignment, text=SHOP, created_by=instructor)
    spec_version_check(spec_version=version)
    monkeypatch.setattr(datasets_service, "EXCEL_MAX_ROWS", 100)
    client = Client()
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    form = {
        "title": assignment.title,
        "points": "100",
        "scale": "4",
        "offered_formats": FORMATS,
        "escape_formulas": "on",
        "status": assignment.status,
        "late_policy": "accept",
        "late_penalty_percent": "10",
        "max_attempts": "0",
        "grade_policy": "best",
        "feedback": "score",
    }
    response = client.post(
        reverse("courses:instructor_settings", args=[assignment.uuid]), form, follow=True
    )
    text = response.content.decode()
    assert "Settings saved." in text
    assert "will not be offered at scale 4" in text
    assert "was checked at scale 1: run its checks again" in text
    assert "Run the checks again before approving" in text
    version.refresh_from_db()
    with pytest.raises(ApprovalError, match="run the checks again"):
        spec_version_approve(spec_version=version, approver=instructor)
    spec_version_check(spec_version=version)
    version.refresh_from_db()
    assert version.validation["scale"] == 4.0 and version.validation["sample_scale"] == 4.0
    assert version.validation["projected_rows"]["customers"] == 120
    assert spec_version_approve(spec_version=version, approver=instructor).status == "approved"


def test_samples_too_big_to_check_quickly_run_at_scale_one_and_say_so(
    assignment, instructor, settings
):
    settings.DATAGEN_PREVIEW_MAX_ROWS = 100
    assignment.scale = 10
    assignment.save(update_fields=["scale"])
    version = spec_version_save(assignment=assignment, text=SHOP, created_by=instructor)
    spec_version_check(spec_version=version)
    version.refresh_from_db()
    report = version.validation
    assert report["ok"] and report["sample_scale"] == 1.0 and report["scale"] == 10.0
    assert report["previews"][0]["row_counts"]["customers"] == 30
    assert report["projected_rows"]["customers"] == 300
    client = Client()
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    page = client.get(reverse("courses:instructor_assignment", args=[assignment.uuid]))
    text = " ".join(page.content.decode().split())
    assert "Sample learners were generated at scale 1 to keep the checks quick" in text
    assert "300 customers" in text
