"""The instructor's editor: errors at their line, SQL checks refused on save, tabs, versions."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from courses.models import IssuedDataset, SpecVersion
from courses.services.spec_errors import display_path, editor_error, line_of_path
from courses.services.specs import spec_version_approve, spec_version_check, spec_version_save
from datagen_lti.synth import SpecError, load_spec
from tests import factories
from tests.views.launch import launch_as

pytestmark = pytest.mark.django_db(transaction=True)

# A small lending library of our own: members borrow books; some loans are never returned.
LIBRARY = """\
spec_version: 1
title: Lending library
tables:
  members:
    rows: 40
    columns:
      member_id: {type: id}
      full_name: {type: text, kind: full_name}
      joined_on: {type: date, start: 2021-01-01, end: 2023-12-31}
      tier: {type: category, values: [basic, plus, student], weights: [60, 25, 15]}
  loans:
    columns:
      loan_id: {type: id}
      member_id:
        type: foreign_key
        references: members
        per_parent: {kind: poisson, mean: 4}
        childless_share: 0.2
      fee:
        type: decimal
        distribution: {kind: lognormal, median: 3, sigma: 0.6}
        min: 0.5
        max: 90
      returned: {type: boolean, p_true: 0.8}
flaws:
  - {kind: missing_values, table: loans, columns: [fee], rate: 0.4}
checks:
  - kind: childless_parents
    description: Members who never borrowed, for the LEFT JOIN question.
    parent: members
    child: loans
    column: member_id
    min: 2
  - kind: sql
    description: Most loans come back.
    query: SELECT avg(CASE WHEN returned THEN 1 ELSE 0 END) FROM loans
    expect_min: 0.5
  - kind: row_count
    description: A deliberately unreachable size, so the preview shows a failure.
    table: loans
    min: 1000000
    required: false
"""


@pytest.fixture
def assignment():
    return factories.assignment(offered_formats=["csv", "sqlite"])


@pytest.fixture
def instructor(assignment):
    return factories.learner(registration=assignment.course.registration, name="Iris Instructor")


@pytest.fixture
def page(client, assignment, instructor):
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    return client


def _save(page, assignment, text):
    return page.post(
        reverse("courses:instructor_spec_save", args=[assignment.uuid]), {"document": text}
    )


def _error(text: str) -> SpecError:
    with pytest.raises(SpecError) as caught:
        load_spec(text)
    return caught.value


# --------------------------------------------------------------------------- services


def test_the_spec_loads_as_written() -> None:
    assert [t.name for t in load_spec(LIBRARY).tables] == ["members", "loans"]


def test_a_path_maps_to_its_line_in_name_keyed_and_listed_yaml() -> None:
    assert line_of_path(LIBRARY, "tables.loans.columns.fee.distribution") == 21
    assert line_of_path(LIBRARY, "checks.1.query") == 36
    # A missing key stops at its parent, where it belongs.
    assert line_of_path(LIBRARY, "tables.members.columns.tier.nope") == 10
    listed = "spec_version: 1\ntables:\n  - name: a\n    rows: 3\n  - name: b\n    rows: x\n"
    assert line_of_path(listed, "tables.b.rows") == 6


def test_a_misspelt_key_names_its_line_and_the_likely_key() -> None:
    text = LIBRARY.replace("childless_share: 0.2", "childles_share: 0.2")
    shown = editor_error(text, _error(text))
    assert shown.line == 18
    assert shown.suggestion == "did you mean 'childless_share'?"
    assert "childles_share" in shown.message


def test_an_unknown_type_suggests_the_closest_allowed_one() -> None:
    text = LIBRARY.replace("type: category", "type: categroy")
    shown = editor_error(text, _error(text))
    assert shown.suggestion == "did you mean 'category'?"
    assert shown.line == 10


def test_yaml_syntax_errors_are_worded_plainly_with_their_line() -> None:
    text = LIBRARY.replace("weights: [60, 25, 15]}", "weights: [60, 25, 15}")
    shown = editor_error(text, _error(text))
    assert shown.line == 10
    assert shown.message.startswith("the YAML cannot be read:")
    assert "expected" not in shown.message


def test_checks_are_numbered_from_one() -> None:
    assert display_path("checks.0.query") == "check 1 › query"
    assert display_path("tables.loans.columns.fee") == "tables.loans.columns.fee"
    text = LIBRARY.replace("expect_min: 0.5", "expect_minimum: 0.5")
    shown = editor_error(text, _error(text))
    assert shown.path == "check 2 › expect_minimum"
    assert shown.suggestion == "did you mean 'expect_min'?"


# --------------------------------------------------------------------------- the page


def test_a_bad_spec_shows_its_line_a_suggestion_and_a_jump_button(page, assignment) -> None:
    response = _save(page, assignment, LIBRARY.replace("type: category", "type: categroy"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "(line 10)" in html
    assert "Did you mean &#x27;category&#x27;?" in html
    assert 'data-goto-line="10"' in html
    assert not SpecVersion.objects.filter(spec__assignment=assignment).exists()


def test_an_sql_check_on_an_unknown_table_is_refused_before_saving(page, assignment) -> None:
    text = LIBRARY.replace("FROM loans", "FROM lonas")
    response = _save(page, assignment, text)
    assert response.status_code == 400
    html = response.content.decode()
    assert "check 2" in html and "lonas" in html and "(line 36)" in html
    assert not SpecVersion.objects.filter(spec__assignment=assignment).exists()


def test_an_sql_check_returning_two_columns_is_refused(assignment) -> None:
    text = LIBRARY.replace("SELECT avg(", "SELECT 1, avg(")
    with pytest.raises(SpecError) as caught:
        spec_version_save(assignment=assignment, text=text)
    assert caught.value.path == "checks.1.query"
    assert "returns 2 columns" in caught.value.message


def test_the_page_is_tabs_over_plain_anchors_with_the_editor(page, assignment) -> None:
    spec_version_save(assignment=assignment, text=LIBRARY)
    html = page.get(reverse("courses:instructor_assignment", args=[assignment.uuid])).content
    html = html.decode()
    assert "data-tabs" in html and 'href="#checks"' in html
    for script in ("js/tabs.js", "js/editor.js", "vendor/codemirror5/lib/codemirror.js"):
        assert script in html
    assert 'data-editor="yaml"' in html
    assert "<script>" not in html and "onclick" not in html


def test_the_import_links_follow_the_pages_this_installation_has(
    page, assignment, monkeypatch
) -> None:
    from django.urls import NoReverseMatch

    from courses.views import instructor

    url = reverse("courses:instructor_assignment", args=[assignment.uuid])
    real_reverse = instructor.reverse

    def without_imports(name, *args, **kwargs):
        if "import" in name:
            raise NoReverseMatch(name)
        return real_reverse(name, *args, **kwargs)

    monkeypatch.setattr(instructor, "reverse", without_imports)
    assert b"Start from a database schema" not in page.get(url).content
    monkeypatch.undo()
    html = page.get(url).content.decode()
    ddl = reverse("courses:instructor_import_ddl", args=[assignment.uuid])
    assert f'href="{ddl}"' in html and "Start from reference data" in html


def test_versions_show_a_diff_and_who_approved_them(page, assignment, instructor) -> None:
    first = spec_version_save(assignment=assignment, text=LIBRARY, created_by=instructor)
    spec_version_check(spec_version=first)
    spec_version_approve(spec_version=first, approver=instructor)
    changed = LIBRARY.replace("title: Lending library", "title: Library <b>loans</b>")
    spec_version_save(assignment=assignment, text=changed, created_by=instructor)
    url = reverse("courses:instructor_assignment", args=[assignment.uuid])
    html = page.get(url, {"diff_from": 1, "diff_to": 2}).content.decode()
    assert '<span class="diff-del">-title: Lending library</span>' in html
    assert '<span class="diff-add">+title: Library &lt;b&gt;loans&lt;/b&gt;</span>' in html
    approved_row = re.search(r"<tr><td>1</td>.*?</tr>", html, re.DOTALL).group(0)
    assert "by Iris Instructor" in approved_row
    assert "Choose two" in page.get(url, {"diff_from": 1, "diff_to": 9}).content.decode()


def test_reissue_asks_first_and_changes_nothing_until_confirmed(
    page, assignment, instructor
) -> None:
    version = spec_version_save(assignment=assignment, text=LIBRARY, created_by=instructor)
    spec_version_check(spec_version=version)
    spec_version_approve(spec_version=version, approver=instructor)
    ada = factories.learner(registration=assignment.course.registration, name="Ada")
    from django.test import Client

    ada_client = Client()
    launch_as(ada_client, learner=ada, assignment=assignment, role="learner")
    ada_client.get(reverse("courses:learner_assignment", args=[assignment.uuid]))
    url = reverse("courses:instructor_reissue", args=[assignment.uuid, ada.pk])

    response = page.post(url)
    assert response.status_code == 200
    assert b"Reissue Ada&#x27;s dataset?" in response.content
    assert b'name="confirmed" value="yes"' in response.content
    assert IssuedDataset.objects.filter(learner=ada).count() == 1

    assert page.post(url, {"confirmed": "yes"}).status_code == 302
    ada_client.get(reverse("courses:learner_assignment", args=[assignment.uuid]))
    assert IssuedDataset.objects.filter(learner=ada).count() == 2


def test_a_learner_cannot_reach_the_reissue_confirmation(client, assignment) -> None:
    ada = factories.learner(registration=assignment.course.registration, name="Ada")
    launch_as(client, learner=ada, assignment=assignment, role="learner")
    url = reverse("courses:instructor_reissue", args=[assignment.uuid, ada.pk])
    assert client.post(url).status_code == 403


def test_a_misspelt_value_of_a_fixed_list_suggests_the_closest() -> None:
    text = LIBRARY.replace("kind: full_name", "kind: fullname")
    shown = editor_error(text, _error(text))
    assert shown.suggestion == "did you mean 'full_name'?"
    assert shown.line == 8
