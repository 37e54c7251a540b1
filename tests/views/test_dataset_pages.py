"""Instructor authoring (save, check, approve) and learners' own datasets and downloads."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from courses.models import IssuedDataset, SpecVersion
from courses.services.specs import spec_version_approve, spec_version_check, spec_version_save
from datagen_lti.synth import load_spec
from tests import factories
from tests.views.launch import launch_as

# Real commits, so that jobs queued on commit run (inline) as they would in production.
pytestmark = pytest.mark.django_db(transaction=True)

RETAIL = (Path(__file__).resolve().parents[2] / "examples" / "specs" / "retail.yaml").read_text()


@pytest.fixture
def assignment():
    return factories.assignment(offered_formats=["csv", "xlsx", "sql:postgres", "sqlite"])


@pytest.fixture
def instructor(assignment):
    return factories.learner(registration=assignment.course.registration, name="Ines Instructor")


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


def learner_client(assignment, name: str) -> tuple[Client, object]:
    client = Client()
    learner = factories.learner(registration=assignment.course.registration, name=name)
    launch_as(client, learner=learner, assignment=assignment, role="learner")
    return client, learner


def test_instructor_page_needs_a_launch_and_the_role(assignment, instructor, client) -> None:
    url = reverse("courses:instructor_assignment", args=[assignment.uuid])
    assert client.get(url).status_code == 401
    learner_only, _ = learner_client(assignment, "Lea")
    response = learner_only.get(url)
    assert response.status_code == 403
    assert b"This page is for instructors" in response.content
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    assert client.get(url).status_code == 200


def test_instructor_saves_checks_and_approves_a_spec(assignment, instructor, client) -> None:
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    response = client.post(
        reverse("courses:instructor_spec_save", args=[assignment.uuid]),
        {"document": RETAIL, "objectives": "Joins and GROUP BY"},
    )
    assert response.status_code == 302
    version = SpecVersion.objects.get(spec__assignment=assignment)
    assert version.status == SpecVersion.Status.DRAFT
    # Jobs run inline: the check has already run on the sample learners.
    assert version.validation["ok"] is True
    assert len(version.validation["previews"]) == 3
    assert all(p["checks"]["passed"] for p in version.validation["previews"])

    page = client.get(reverse("courses:instructor_assignment", args=[assignment.uuid]))
    assert b"every required check passes" in page.content
    # The editor shows the spec as written, comments included.
    assert b"# Retail: customers, products, orders and order lines." in page.content
    client.post(reverse("courses:instructor_spec_approve", args=[assignment.uuid, version.number]))
    version.refresh_from_db()
    assignment.refresh_from_db()
    assert version.status == SpecVersion.Status.APPROVED
    assert version.approved_by == instructor
    assert assignment.status == "open"


def test_a_bad_spec_shows_the_path_at_fault_and_saves_nothing(
    assignment, instructor, client
) -> None:
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    broken = RETAIL.replace("type: category", "type: categorie", 1)
    response = client.post(
        reverse("courses:instructor_spec_save", args=[assignment.uuid]), {"document": broken}
    )
    assert response.status_code == 400
    assert b"The spec has a problem at" in response.content
    assert b"tables.customers.columns.segment" in response.content
    assert not SpecVersion.objects.filter(spec__assignment=assignment).exists()


def test_preview_shows_a_sample_learners_rows(assignment, instructor, approved, client) -> None:
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    response = client.get(reverse("courses:instructor_preview", args=[assignment.uuid, 2]))
    assert response.status_code == 200
    assert b"customers" in response.content and b"order_items" in response.content


def test_learner_gets_their_own_reproducible_dataset(assignment, approved) -> None:
    ada_client, ada = learner_client(assignment, "Ada")
    grace_client, grace = learner_client(assignment, "Grace")
    page = ada_client.get(reverse("courses:learner_assignment", args=[assignment.uuid]))
    assert page.status_code == 200
    assert b"Your dataset" in page.content and b"Data dictionary" in page.content
    grace_client.get(reverse("courses:learner_assignment", args=[assignment.uuid]))

    ada_issued = IssuedDataset.objects.get(learner=ada)
    grace_issued = IssuedDataset.objects.get(learner=grace)
    assert ada_issued.seed_fingerprint != grace_issued.seed_fingerprint
    assert ada_issued.spec_sha256 == approved.sha256

    url = reverse("courses:learner_download", args=[assignment.uuid, "sql:postgres"])
    first = body(ada_client.get(url))
    assert b"CREATE TABLE" in first
    ada_issued.refresh_from_db()
    assert ada_issued.download_count == 1
    recorded = ada_issued.file_checksums["sql:postgres"]

    # Files are a cache: remove it, and the regenerated file matches the recorded checksum.
    from django.core.files.storage import default_storage

    folder = f"datasets/{assignment.uuid}/{ada_issued.pk}-v0"
    default_storage.delete(f"{folder}/{recorded['name']}")
    second = body(ada_client.get(url))
    assert second == first
    grace_sql = body(grace_client.get(url))
    assert grace_sql != first


def test_csv_of_several_tables_is_a_zip_with_a_data_dictionary(assignment, approved) -> None:
    client, _ = learner_client(assignment, "Alan")
    client.get(reverse("courses:learner_assignment", args=[assignment.uuid]))
    response = client.get(reverse("courses:learner_download", args=[assignment.uuid, "csv"]))
    archive = zipfile.ZipFile(io.BytesIO(body(response)))
    names = archive.namelist()
    assert any(name.endswith("customers.csv") for name in names)
    assert any(name.endswith("datapackage.json") for name in names)


def test_a_format_not_offered_is_refused_clearly(assignment, approved) -> None:
    client, _ = learner_client(assignment, "Alan")
    client.get(reverse("courses:learner_assignment", args=[assignment.uuid]))
    response = client.get(reverse("courses:learner_download", args=[assignment.uuid, "parquet"]))
    assert response.status_code == 404
    assert b"parquet is not offered" in response.content


def test_learner_before_approval_sees_not_ready(assignment) -> None:
    client, _ = learner_client(assignment, "Ada")
    page = client.get(reverse("courses:learner_assignment", args=[assignment.uuid]))
    assert page.status_code == 200
    assert b"has not approved" in page.content
    assert not IssuedDataset.objects.exists()


def test_learner_of_another_course_cannot_reach_the_assignment(assignment, approved) -> None:
    other = factories.assignment()
    client, _ = learner_client(other, "Mallory")
    response = client.get(reverse("courses:learner_assignment", args=[assignment.uuid]))
    assert response.status_code in {401, 403, 404}


def test_instructor_downloads_and_reissues_a_learners_dataset(
    assignment, instructor, approved, client
) -> None:
    ada_client, ada = learner_client(assignment, "Ada")
    ada_client.get(reverse("courses:learner_assignment", args=[assignment.uuid]))
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    response = client.get(
        reverse("courses:instructor_learner_download", args=[assignment.uuid, ada.pk, "sqlite"])
    )
    assert response.status_code == 200
    assert body(response).startswith(b"SQLite format 3")
    assert IssuedDataset.objects.get(learner=ada).download_count == 0  # not the learner's

    client.post(
        reverse("courses:instructor_reissue", args=[assignment.uuid, ada.pk]), {"confirmed": "yes"}
    )
    ada_client.get(reverse("courses:learner_assignment", args=[assignment.uuid]))
    variants = list(IssuedDataset.objects.filter(learner=ada).order_by("variant"))
    assert [(v.variant, v.is_current) for v in variants] == [(0, False), (1, True)]
    assert variants[0].seed_fingerprint != variants[1].seed_fingerprint


def test_instructor_drafts_a_spec_from_objectives_offline(assignment, instructor, client) -> None:
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    objectives = "Practise self joins: each employee's manager, and the depth of the hierarchy."
    response = client.post(
        reverse("courses:instructor_spec_draft", args=[assignment.uuid]),
        {"objectives": objectives},
    )
    assert response.status_code == 302
    version = SpecVersion.objects.get(spec__assignment=assignment)
    assert version.source == SpecVersion.Source.TEMPLATE
    assert version.document["title"] == assignment.title
    assert any(t["name"] == "employees" for t in version.document["tables"])
    assert version.validation["ok"] is True
    assert version.spec.objectives == objectives
    page = client.get(reverse("courses:instructor_assignment", args=[assignment.uuid]))
    assert escape(objectives).encode() in page.content
    # The rationale is shown outside the YAML: each property with the check that guarantees it.
    assert "hierarchy_depth" in version.rationale and "guaranteed by" in version.rationale
    shown = page.content.decode().split('class="rationale"', 1)[1].split("</details>", 1)[0]
    assert "hierarchy_depth" in shown and "guaranteed by" in shown


def test_drafting_with_too_little_to_go_on_says_what_to_write(assignment, instructor, client):
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    client.post(
        reverse("courses:instructor_spec_draft", args=[assignment.uuid]), {"objectives": "sql"}
    )
    assert not SpecVersion.objects.filter(spec__assignment=assignment).exists()
    page = client.get(reverse("courses:instructor_assignment", args=[assignment.uuid]))
    assert b"No draft:" in page.content
    assert b"Write a sentence or two" in page.content


def test_instructor_drafts_with_the_configured_model(assignment, instructor, client, settings):
    """OPENAI_* settings reach the model: a real HTTP server on loopback answers."""
    from tests.drafting.chat_server import ChatServer, spec_reply

    spec = json.loads(load_spec(RETAIL).canonical_json())
    server = ChatServer([spec_reply(spec)]).start()
    try:
        settings.OPENAI_API_KEY = "sk-test-key"
        settings.OPENAI_BASE_URL = server.base_url
        settings.OPENAI_MODEL = "test-model"
        launch_as(client, learner=instructor, assignment=assignment, role="instructor")
        client.post(
            reverse("courses:instructor_spec_draft", args=[assignment.uuid]),
            {"objectives": "Joins between customers and orders, and GROUP BY per segment."},
        )
    finally:
        server.stop()
    version = SpecVersion.objects.get(spec__assignment=assignment)
    assert version.source == SpecVersion.Source.LLM
    assert version.document["title"] == assignment.title
    assert server.headers[0]["authorization"] == "Bearer sk-test-key"
    assert server.requests[0]["model"] == "test-model"
    assert version.validation["ok"] is True
