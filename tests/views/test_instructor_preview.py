"""Previews an instructor can judge: charts, flawed cells, readable numbers, the check matrix, the diagram."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pyarrow as pa
import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from courses.services import diagrams
from courses.services.charts import chart_svg, column_chart, format_number
from courses.services.specs import spec_version_approve, spec_version_check, spec_version_save
from courses.templatetags.display import cell, iso
from tests import factories
from tests.views.launch import launch_as
from tests.views.test_instructor_editor import LIBRARY

pytestmark = pytest.mark.django_db(transaction=True)

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz (apt-get install graphviz) draws the diagram"
)


@pytest.fixture
def assignment():
    return factories.assignment(offered_formats=["csv", "sqlite"])


@pytest.fixture
def instructor(assignment):
    return factories.learner(registration=assignment.course.registration, name="Iris Instructor")


@pytest.fixture
def checked(assignment, instructor):
    version = spec_version_save(assignment=assignment, text=LIBRARY, created_by=instructor)
    spec_version_check(spec_version=version)
    version.refresh_from_db()
    return version


@pytest.fixture
def page(client, assignment, instructor):
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    return client


@pytest.fixture(autouse=True)
def _own_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_numbers_and_dates_read_as_in_the_files() -> None:
    assert format_number(188.66666666666666) == "188.67"
    assert format_number(1234567) == "1,234,567"
    assert format_number(1234.5) == "1,234.5"
    assert format_number(0.012345) == "0.0123"
    assert format_number(-2.0) == "-2"
    assert format_number(True) == "true"
    assert iso(dt.date(2022, 10, 30)) == "2022-10-30"
    assert iso(dt.datetime(2022, 10, 30, 14, 5)) == "2022-10-30 14:05"
    assert cell(None) == "∅" and cell("2022-10-30") == "2022-10-30"


def test_each_kind_of_column_gets_its_chart() -> None:
    numbers = column_chart("fee", pa.chunked_array([[1.0, 2.0, 2.5, None, 40.0]]))
    assert numbers["kind"] == "histogram" and numbers["nulls"] == 1
    assert sum(n for _, n in numbers["bars"]) == 4
    days = column_chart(
        "on", pa.chunked_array([[dt.date(2023, 1, 5), dt.date(2023, 3, 9), dt.date(2023, 3, 1)]])
    )
    assert days["kind"] == "timeline"
    assert days["bars"] == [["2023-01", 1], ["2023-02", 0], ["2023-03", 2]]
    flags = column_chart("ok", pa.chunked_array([[True, True, False]]))
    assert flags["bars"] == [["true", 2], ["false", 1]]
    words = column_chart("tier", pa.chunked_array([["a"] * 5 + ["b"] * 2 + ["c"]]))
    assert words["bars"][0] == ["a", 5]
    svg = str(chart_svg(words, table="t"))
    assert svg.startswith('<svg class="chart"') and 'role="img"' in svg
    assert "<title" in svg and "<desc" in svg


def test_chart_labels_are_escaped() -> None:
    words = column_chart("x", pa.chunked_array([["<script>alert(1)</script>"] * 2 + ["b"]]))
    svg = str(chart_svg(words, table="t"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_the_preview_shows_charts_flawed_cells_and_readable_values(
    page, assignment, checked
) -> None:
    response = page.get(reverse("courses:instructor_preview", args=[assignment.uuid, 1]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<svg class="chart"') >= 4  # joined_on, tier, fee, returned, ...
    assert "Histogram of fee" in html and "joined_on by month" in html
    # 40% of fees are emptied by a flaw: some of the first rows show it.
    assert re.search(r'<td class="flawed" title="changed by a flaw: missing_values"', html)
    # At most 3 decimals (3 significant digits below 1), never 188.66666666666666.
    data = "".join(re.findall(r'<table class="data">.*?</table>', html, re.DOTALL))
    assert re.search(r"<td>\d+\.\d{1,2}</td>", data)  # fees, rounded to cents
    assert not re.search(r"\d\.\d{3,}", data)
    assert not re.search(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\.? \d", html)
    assert re.search(r"<td>202[1-3]-\d\d-\d\d</td>", data)  # joined_on as in the files


def test_the_checks_section_shows_every_check_for_every_sample_learner(
    page, assignment, checked
) -> None:
    html = page.get(reverse("courses:instructor_assignment", args=[assignment.uuid])).content
    matrix = re.search(r'<table class="check-matrix">.*?</table>', html.decode(), re.DOTALL)
    assert matrix, "the matrix of checks × sample learners is missing"
    rows = re.findall(r"<tr><th scope=\"row\">(\d+)</th>(.*?)</tr>", matrix.group(0), re.DOTALL)
    assert [number for number, _ in rows] == ["1", "2", "3"]
    assert rows[0][1].count("✔") == 3  # members who never borrowed, for each learner
    assert rows[2][1].count("✘") == 0 and rows[2][1].count("!") == 3  # the optional failure
    assert "Learner 3" in matrix.group(0)


@needs_dot
def test_the_diagram_shows_tables_keys_and_cardinality(page, assignment, checked) -> None:
    html = page.get(reverse("courses:instructor_assignment", args=[assignment.uuid])).content
    html = html.decode()
    svg = re.search(r'<svg class="erd-svg".*?</svg>', html, re.DOTALL).group(0)
    for text in ("members", "loans", "member_id", "decimal", "PK", "FK", "0..*"):
        assert f">{text}<" in svg, text
    assert "a row of members has 0..* rows of loans (by loans.member_id)" in html


def test_without_graphviz_the_tables_are_listed_with_a_note(
    page, assignment, checked, monkeypatch
) -> None:
    monkeypatch.setattr(diagrams.shutil, "which", lambda name: None)
    cache.clear()  # a picture drawn earlier would still be shown
    html = page.get(reverse("courses:instructor_assignment", args=[assignment.uuid])).content
    html = html.decode()
    assert "Install Graphviz" in html
    assert "<strong>loans</strong>" in html and "erd-svg" not in html


@needs_dot
def test_the_learner_sees_the_diagram_of_their_dataset(assignment, instructor, checked) -> None:
    spec_version_approve(spec_version=checked, approver=instructor)
    learner = factories.learner(registration=assignment.course.registration, name="Ada")
    client = Client()
    launch_as(client, learner=learner, assignment=assignment, role="learner")
    html = client.get(reverse("courses:learner_assignment", args=[assignment.uuid])).content
    assert b'<svg class="erd-svg"' in html and b">loans<" in html
