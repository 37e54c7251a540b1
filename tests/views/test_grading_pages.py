"""Questions, submissions and grades through the pages: each learner graded on their own data."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import Assignment, IssuedDataset, JobRun, SpecVersion, Submission
from courses.services.specs import spec_version_approve, spec_version_check, spec_version_save
from tests import factories
from tests.views.launch import launch_as

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "specs"
RETAIL = (EXAMPLES / "retail.yaml").read_text()
QUESTIONS = """
questions:
  - id: customers
    prompt: How many customers are there?
    type: number
    reference_sql: SELECT count(*) FROM customers
  - id: orders_of
    prompt: How many orders did customer **{{ code }}** place?
    type: number
    points: 2
    params:
      - {name: code, query: "SELECT customer_code FROM customers"}
    reference_sql: |
      SELECT count(*) FROM orders JOIN customers USING (customer_id) WHERE customer_code = $code
  - id: segments
    prompt: Write a SELECT giving each segment and its number of customers.
    type: sql
    reference_sql: SELECT segment, count(*) FROM customers GROUP BY segment
"""


@pytest.fixture
def assignment():
    return factories.assignment(offered_formats=["csv", "sqlite"], points=Decimal("10"))


@pytest.fixture
def instructor(assignment):
    return factories.learner(registration=assignment.course.registration, name="Ines Instructor")


@pytest.fixture
def teacher(client, assignment, instructor):
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    return client


@pytest.fixture
def approved(assignment, instructor, teacher):
    version = spec_version_save(assignment=assignment, text=RETAIL, created_by=instructor)
    response = teacher.post(
        reverse("courses:instructor_questions_save", args=[assignment.uuid]),
        {"questions": QUESTIONS},
    )
    assert response.status_code == 302, response.content[:2000]
    spec_version_check(spec_version=version)
    return spec_version_approve(spec_version=version, approver=instructor)


def learner_client(assignment, name: str):
    client = Client()
    learner = factories.learner(registration=assignment.course.registration, name=name)
    launch_as(client, learner=learner, assignment=assignment, role="learner")
    return client, learner


def open_page(client, assignment) -> str:
    response = client.get(reverse("courses:learner_assignment", args=[assignment.uuid]))
    assert response.status_code == 200
    return response.content.decode()


def key_of(assignment, learner) -> dict:
    return IssuedDataset.objects.get(assignment=assignment, learner=learner).answer_key


def submit(client, assignment, answers: dict):
    return client.post(
        reverse("courses:learner_submit", args=[assignment.uuid]),
        {f"answer_{k}": v for k, v in answers.items()},
    )


def test_saving_questions_refuses_a_broken_reference_query(assignment, instructor, teacher):
    spec_version_save(assignment=assignment, text=RETAIL, created_by=instructor)
    broken = QUESTIONS.replace("SELECT count(*) FROM customers\n", "SELECT count(*) FROM clients\n")
    response = teacher.post(
        reverse("courses:instructor_questions_save", args=[assignment.uuid]),
        {"questions": broken},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Question 1 (customers)" in page
    assert "there is no table clients" in page
    assert "Catalog Error" not in page
    assert not SpecVersion.objects.get(spec__assignment=assignment).questions


def test_a_key_equal_for_every_sample_learner_is_warned_about(assignment, instructor, teacher):
    spec_version_save(assignment=assignment, text=RETAIL, created_by=instructor)
    teacher.post(
        reverse("courses:instructor_questions_save", args=[assignment.uuid]),
        {"questions": QUESTIONS},
    )
    page = teacher.get(reverse("courses:instructor_assignment", args=[assignment.uuid]))
    text = page.content.decode()
    # The customer count is fixed by the spec (200): the same for everyone.
    assert "Question 1 (customers) has the same answer for every sample learner" in text
    # Segment sizes differ from learner to learner (three equal draws are all but impossible).
    assert "Question 3 (segments) has the same answer" not in text


def test_each_learner_sees_their_own_parameter_and_is_graded_on_their_own_key(assignment, approved):
    ada, ada_learner = learner_client(assignment, "Ada")
    bob, bob_learner = learner_client(assignment, "Bob")
    ada_page, bob_page = open_page(ada, assignment), open_page(bob, assignment)
    ada_key, bob_key = key_of(assignment, ada_learner), key_of(assignment, bob_learner)
    ada_code = ada_key["params"]["orders_of"]["code"]
    bob_code = bob_key["params"]["orders_of"]["code"]
    # Each page names its own learner's customer, and no other.
    assert re.findall(r"customer <strong>([^<]*)</strong>", ada_page) == [ada_code]
    assert re.findall(r"customer <strong>([^<]*)</strong>", bob_page) == [bob_code]
    assert ada_key["answers"]["segments"] != bob_key["answers"]["segments"]

    right = {
        "customers": ada_key["answers"]["customers"],
        "orders_of": ada_key["answers"]["orders_of"],
        "segments": "SELECT segment, count(*) AS n FROM customers GROUP BY 1",
    }
    response = submit(ada, assignment, right)
    assert response.status_code == 302
    submission = Submission.objects.get(learner=ada_learner)
    assert submission.score == Decimal("10.00")
    assert submission.max_score == Decimal("10.00")
    assert all(r["correct"] for r in submission.results.values())

    # Bob hands in Ada's numbers: wrong on his data, and flagged as Ada's key.
    submit(bob, assignment, {"orders_of": ada_key["answers"]["orders_of"] + 1000})
    bob_submission = Submission.objects.get(learner=bob_learner)
    assert bob_submission.results["orders_of"]["correct"] is False
    assert bob_submission.score == Decimal("0.00")


def test_an_answer_equal_to_another_learners_key_is_flagged(assignment, approved):
    ada, ada_learner = learner_client(assignment, "Ada")
    open_page(ada, assignment)
    for n in range(6):
        bob, bob_learner = learner_client(assignment, f"Bob {n}")
        open_page(bob, assignment)
        ada_value = key_of(assignment, ada_learner)["answers"]["orders_of"]
        if key_of(assignment, bob_learner)["answers"]["orders_of"] != ada_value:
            break
    submit(bob, assignment, {"orders_of": ada_value})
    flags = Submission.objects.get(learner=bob_learner).flags
    assert {"learner_id": ada_learner.pk, "name": "Ada"} in flags["orders_of"]


def test_running_a_query_shows_the_learners_own_rows_and_refuses_writes(assignment, approved):
    ada, ada_learner = learner_client(assignment, "Ada")
    open_page(ada, assignment)
    url = reverse("courses:learner_query", args=[assignment.uuid])
    ok = ada.post(url, {"sql": "SELECT customer_code FROM customers ORDER BY 1 LIMIT 3"})
    assert ok.status_code == 200
    data = ok.json()
    assert data["columns"] == ["customer_code"] and len(data["rows"]) == 3
    for bad, words in [
        ("DROP TABLE customers", "only a SELECT"),
        ("SELECT * FROM read_csv('/etc/passwd')", "not allowed"),
        ("SELECT 1; SELECT 2", "exactly one SELECT"),
        ("SELECT nope FROM customers", "no column"),
    ]:
        response = ada.post(url, {"sql": bad})
        assert response.status_code == 400
        assert words.lower() in response.json()["error"].lower()


def test_attempts_due_dates_and_late_penalties(assignment, approved):
    Assignment.objects.filter(pk=assignment.pk).update(
        max_attempts=2,
        due_at=timezone.now() - timedelta(hours=30),
        late_policy=Assignment.LatePolicy.PENALTY,
        late_penalty_percent=Decimal("10"),
    )
    ada, ada_learner = learner_client(assignment, "Ada")
    open_page(ada, assignment)
    key = key_of(assignment, ada_learner)["answers"]
    submit(ada, assignment, {"customers": key["customers"]})
    first = Submission.objects.get(learner=ada_learner, attempt=1)
    assert first.late_days == 2
    assert first.raw_score == Decimal("2.50")  # 1 point of 4, on 10
    assert first.score == Decimal("2.00")  # 20% off
    submit(ada, assignment, {"customers": key["customers"]})
    response = submit(ada, assignment, {"customers": key["customers"]})
    assert Submission.objects.filter(learner=ada_learner).count() == 2
    page = ada.get(response.url).content.decode()
    assert "You have used all 2 attempt(s)" in page

    Assignment.objects.filter(pk=assignment.pk).update(
        late_policy=Assignment.LatePolicy.REFUSE, max_attempts=0
    )
    response = submit(ada, assignment, {"customers": key["customers"]})
    assert "no longer accepts submissions" in ada.get(response.url).content.decode()


def test_feedback_follows_the_assignment_policy(assignment, approved):
    ada, ada_learner = learner_client(assignment, "Ada")
    open_page(ada, assignment)
    key = key_of(assignment, ada_learner)["answers"]
    submit(ada, assignment, {"customers": key["customers"], "orders_of": "-1"})
    Assignment.objects.filter(pk=assignment.pk).update(feedback=Assignment.Feedback.NONE)
    page = open_page(ada, assignment)
    assert "releases the results" in page and "✓ right" not in page
    Assignment.objects.filter(pk=assignment.pk).update(feedback=Assignment.Feedback.SCORE)
    page = open_page(ada, assignment)
    assert "<strong>2.50</strong> of 10" in page and "✓ right" not in page
    Assignment.objects.filter(pk=assignment.pk).update(feedback=Assignment.Feedback.CORRECTNESS)
    page = open_page(ada, assignment)
    assert "✓ right" in page and "✗ not the expected number" in page and "Expected:" not in page
    Assignment.objects.filter(pk=assignment.pk).update(
        feedback=Assignment.Feedback.ANSWERS, due_at=timezone.now() - timedelta(minutes=1)
    )
    page = open_page(ada, assignment)
    assert f"Expected: <code>{key['orders_of']}</code>" in page


def test_access_is_limited_to_the_learners_own_work(assignment, approved):
    ada, ada_learner = learner_client(assignment, "Ada")
    bob, _ = learner_client(assignment, "Bob")
    open_page(ada, assignment)
    open_page(bob, assignment)
    submit(ada, assignment, {"customers": "1"})
    job = JobRun.objects.filter(kind="submission_grade").latest("pk")
    status = reverse("courses:learner_grading_status", args=[assignment.uuid, job.pk])
    assert ada.get(status).status_code == 200
    assert bob.get(status).status_code == 404
    # Bob cannot read Ada's page of answers, nor the gradebook.
    detail = reverse("courses:instructor_learner_detail", args=[assignment.uuid, ada_learner.pk])
    assert bob.get(detail).status_code == 403
    assert (
        bob.get(reverse("courses:instructor_grades_csv", args=[assignment.uuid])).status_code == 403
    )
    # A learner of another assignment cannot submit to this one.
    other = factories.assignment(course=assignment.course)
    carl, carl_learner = learner_client(other, "Carl")
    assert submit(carl, assignment, {"customers": "1"}).status_code == 401
    assert not Submission.objects.filter(learner=carl_learner).exists()
    # Nobody without a launch.
    assert submit(Client(), assignment, {"customers": "1"}).status_code == 401


def test_instructors_of_another_course_cannot_touch_this_one(assignment, approved):
    elsewhere = factories.assignment()
    stranger = factories.learner(registration=elsewhere.course.registration)
    client = Client()
    launch_as(client, learner=stranger, assignment=elsewhere, role="instructor")
    for name in ("instructor_grades_csv", "instructor_regrade", "instructor_resync_all"):
        url = reverse(f"courses:{name}", args=[assignment.uuid])
        response = client.post(url) if "csv" not in name else client.get(url)
        assert response.status_code in (401, 404)


def test_gradebook_csv_learner_detail_and_regrade(assignment, approved, teacher, instructor):
    ada, ada_learner = learner_client(assignment, "Ada")
    open_page(ada, assignment)
    key = key_of(assignment, ada_learner)["answers"]
    submit(ada, assignment, {"customers": key["customers"], "orders_of": "=HYPERLINK(1)"})
    page = teacher.get(reverse("courses:instructor_assignment", args=[assignment.uuid])).content
    assert b"5. Grades" in page and b"Ada" in page and b"2.50 / 10" in page
    csv_response = teacher.get(reverse("courses:instructor_grades_csv", args=[assignment.uuid]))
    rows = list(csv.DictReader(io.StringIO(csv_response.content.decode())))
    ada_row = next(r for r in rows if r["name"] == "Ada")
    assert ada_row["score"] == "2.50" and ada_row["customers_correct"] == "1"
    assert ada_row["orders_of_correct"] == "0"
    assert all(r["name"] != "Ines Instructor" for r in rows)
    detail = teacher.get(
        reverse("courses:instructor_learner_detail", args=[assignment.uuid, ada_learner.pk])
    )
    assert detail.status_code == 200 and str(key["orders_of"]).encode() in detail.content

    # The instructor fixes question 2 to count orders in the web channel: keys and scores move.
    version = SpecVersion.objects.get(spec__assignment=assignment, status="approved")
    changed = QUESTIONS.replace(
        "WHERE customer_code = $code", "WHERE customer_code = $code AND 1=0"
    )
    teacher.post(
        reverse("courses:instructor_questions_save", args=[assignment.uuid]),
        {"questions": changed},
    )
    version.refresh_from_db()
    assert (
        b"Regrade all"
        in teacher.get(reverse("courses:instructor_assignment", args=[assignment.uuid])).content
    )
    teacher.post(reverse("courses:instructor_regrade", args=[assignment.uuid]))
    issued = IssuedDataset.objects.get(assignment=assignment, learner=ada_learner)
    assert issued.questions_sha256 == version.questions_sha256
    assert issued.answer_key["answers"]["orders_of"] == 0


def test_a_drafted_spec_comes_with_questions_whose_keys_are_computed(assignment, teacher, settings):
    settings.OPENAI_API_KEY = ""
    teacher.post(
        reverse("courses:instructor_spec_draft", args=[assignment.uuid]),
        {"objectives": "LEFT JOINs to find customers without orders; GROUP BY revenue per segment"},
    )
    version = SpecVersion.objects.get(spec__assignment=assignment)
    assert len(version.questions["questions"]) >= 3
    assert version.questions_report["samples"][0]["answers"]
    assert version.validation["ok"] is True
