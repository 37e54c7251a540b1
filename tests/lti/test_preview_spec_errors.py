"""Expressions that fail only when evaluated reach the checks and the preview as spec errors."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from courses.services.specs import spec_version_check, spec_version_save
from tests import factories
from tests.views.launch import launch_as

pytestmark = pytest.mark.django_db

SPEC = """\
spec_version: 1
title: Appointments
tables:
  visits:
    rows: 20
    columns:
      visit_id: {{type: id}}
      booked_on: {{type: date, start: 2024-01-01, end: 2024-12-31}}
      follow_up: {{type: derived, expression: "{expression}", output: date}}
"""
PATH = "tables.visits.columns.follow_up.expression"
FAILING = ["add_days(booked_on, 3000000000)", "date('2024-13-45')", "add_days(booked_on, 3000000)"]


@pytest.fixture
def assignment():
    return factories.assignment()


@pytest.mark.parametrize("expression", FAILING)
def test_the_check_records_the_expression_error_with_its_path(assignment, expression):
    version = spec_version_save(assignment=assignment, text=SPEC.format(expression=expression))
    result = spec_version_check(spec_version=version)
    assert result["ok"] is False
    assert result["error"]["path"] == PATH
    version.refresh_from_db()
    assert version.validation["error"]["path"] == PATH


@pytest.mark.django_db(transaction=True)  # the check job runs inline once its row commits
@pytest.mark.parametrize("expression", FAILING)
def test_the_preview_shows_the_expression_error(assignment, expression):
    instructor = factories.learner(registration=assignment.course.registration)
    client = Client()
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    spec_version_save(assignment=assignment, text=SPEC.format(expression=expression))
    response = client.get(reverse("courses:instructor_preview", args=[assignment.uuid, 1]))
    assert response.status_code < 500
    assert PATH in response.content.decode()
