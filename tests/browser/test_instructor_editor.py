"""An instructor edits, checks, previews and approves a spec inside the demo LMS's iframe.

The spec is saved with a mistake (the error names its line, "Go to line" moves the
cursor there), fixed, checked (the matrix of checks × sample learners), previewed
(charts, highlighted flaws, the ER diagram) and approved; Reissue asks first, and
"Regrade all" opens a confirmation dialog. Sections are tabs driven by the keyboard.
Screenshots of each step are kept (see ``tests/browser/artifacts.py``).
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from courses.models import IssuedDataset, SpecVersion
from tests.browser.artifacts import screenshooter
from tests.browser.test_demo_in_iframe import browser_page  # noqa: F401 - a fixture
from tests.views.test_instructor_editor import LIBRARY

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_instructor_fixes_checks_previews_and_approves_in_the_frame(
    browser_page,  # noqa: F811 - the fixture imported above
    live_server,
    settings,
    request,
) -> None:
    settings.DATAGEN_DEMO_MODE = True
    call_command("demo_setup", base_url=live_server.url)
    page = browser_page

    shot = screenshooter(page, request)

    def frame():
        return page.locator("iframe.demo-frame").element_handle().content_frame()

    page.goto(f"{live_server.url}/demo/")
    page.click("text=Add a dataset assignment as")
    tool = page.frame_locator("iframe.demo-frame")
    tool.locator("input[name=title]").fill("Library loans")
    tool.locator("text=Create and add").click()
    page.wait_for_url("**/demo/?added=*")
    page.locator("a.button", has_text="(instructor)").first.click()
    tool = page.frame_locator("iframe.demo-frame")

    # Tabs: one section at a time, arrow keys move between them.
    spec_tab = tool.get_by_role("tab", name="1. Spec")
    spec_tab.wait_for()
    assert spec_tab.get_attribute("aria-selected") == "true"
    assert not tool.locator("#grades").is_visible()
    spec_tab.focus()
    page.keyboard.press("ArrowRight")
    questions_tab = tool.get_by_role("tab", name="2. Questions")
    assert questions_tab.get_attribute("aria-selected") == "true"
    assert tool.locator("#questions").is_visible() and not tool.locator("#spec").is_visible()
    page.keyboard.press("ArrowLeft")
    assert spec_tab.get_attribute("aria-selected") == "true"

    # The editor has line numbers; a misspelt type is reported at its line.
    editor = tool.locator("#spec .CodeMirror")
    editor.wait_for()
    assert tool.locator(
        "#spec .CodeMirror-gutter-wrapper .CodeMirror-linenumber"
    ).first.is_visible()
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(LIBRARY.replace("type: category", "type: categroy"))
    shot("01-editing")
    tool.locator("#spec button", has_text="Save and check").click()
    error = tool.locator("#spec-error")
    error.wait_for()
    assert "(line 10)" in error.inner_text()
    assert "Did you mean 'category'?" in error.inner_text()
    shot("02-error-at-line")
    tool.locator("button", has_text="Go to line 10").click()
    cursor_line = frame().evaluate(
        "document.querySelector('#spec .CodeMirror').CodeMirror.getCursor().line"
    )
    assert cursor_line == 9  # CodeMirror counts from 0
    assert not SpecVersion.objects.exists()

    # Fixed: saved, checked on the sample learners, shown check by check.
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(LIBRARY)
    tool.locator("#spec button", has_text="Save and check").click()
    matrix = tool.locator("table.check-matrix")
    matrix.wait_for()
    assert (
        tool.get_by_role("tab", name="3. Checks & previews").get_attribute("aria-selected")
        == "true"
    )
    assert matrix.locator("tbody tr").count() == 3
    assert matrix.locator("tbody tr").nth(0).locator("td.ok").count() == 3
    shot("03-checks-matrix")

    # The preview: a chart per column, flawed cells highlighted, the diagram.
    tool.locator("#checks a", has_text="learner 1").first.click()
    tool.locator("svg.chart").first.wait_for()
    assert tool.locator("svg.chart").count() >= 4
    assert tool.locator("td.flawed").count() >= 1
    tool.locator("summary", has_text="Diagram of the tables").click()
    tool.locator("svg.erd-svg").wait_for()
    shot("04-preview-charts-diagram")

    tool.locator("a", has_text="Back to the assignment").click()
    tool.locator("button", has_text="Approve version 1").click()
    tool.locator("text=learners now get their own datasets").wait_for()
    assert SpecVersion.objects.get().status == SpecVersion.Status.APPROVED
    tool.get_by_role("tab", name="1. Spec").click()
    tool.locator("#spec svg.erd-svg").wait_for()
    shot("05-approved-with-diagram")

    # A learner gets a dataset; reissuing it asks first.
    page.goto(f"{live_server.url}/demo/")
    page.locator("a.button.secondary").first.click()
    page.frame_locator("iframe.demo-frame").get_by_role("heading", name="Your dataset").wait_for()
    page.frame_locator("iframe.demo-frame").locator("svg.erd-svg").count()
    page.goto(f"{live_server.url}/demo/")
    page.locator("a.button", has_text="(instructor)").first.click()
    tool = page.frame_locator("iframe.demo-frame")
    tool.get_by_role("tab", name="4. Learners").click()
    tool.locator("#learners button", has_text="Reissue").first.click()
    tool.get_by_role("heading", name="dataset?").wait_for()
    shot("06-reissue-confirm")
    assert IssuedDataset.objects.count() == 1
    tool.locator("button", has_text="Reissue").click()
    tool.locator("text=gets a new variant on their next visit").wait_for()
    assert IssuedDataset.objects.filter(is_current=True).count() == 0

    # A <dialog> before regrading everyone; Cancel sends nothing.
    tool.get_by_role("tab", name="5. Grades").click()
    tool.locator("#grades button", has_text="Regrade all").click()
    dialog = tool.locator("dialog.confirm")
    dialog.wait_for()
    shot("07-regrade-dialog")
    dialog.locator("button", has_text="Cancel").click()
    dialog.wait_for(state="detached")
