"""An instructor starts a spec from what they have, inside the demo LMS's iframe.

From a database schema: the pasted CREATE TABLE statements become a draft version;
it is edited with a mistake (the error names its line), fixed, checked, previewed
(charts, the diagram) and approved. From reference data: two related CSV files are
uploaded; the page shows the detection's progress while a worker runs it, then the
correction form; the fit runs as a job and the quality report shows its charts.
Screenshots of each step are kept (see ``tests/browser/artifacts.py``).
"""

from __future__ import annotations

import queue
import threading

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.db import connections

from courses.models import JobRun, ReferenceImport, SpecVersion
from tests.browser.artifacts import screenshooter
from tests.browser.test_demo_in_iframe import browser_page  # noqa: F401 - a fixture

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

STAFF_DDL = """\
CREATE TABLE departments (
  department_id INTEGER PRIMARY KEY,
  name VARCHAR(60) NOT NULL UNIQUE,
  budget NUMERIC(12,2) CHECK (budget >= 0)
);
CREATE TABLE employees (
  employee_id INTEGER PRIMARY KEY,
  department_id INTEGER NOT NULL REFERENCES departments(department_id),
  first_name VARCHAR(40) NOT NULL,
  last_name VARCHAR(40) NOT NULL,
  email VARCHAR(120) UNIQUE,
  hired_on DATE NOT NULL,
  salary NUMERIC(10,2) CHECK (salary BETWEEN 20000 AND 200000),
  grade VARCHAR(2) CHECK (grade IN ('A', 'B', 'C'))
);
"""


def _open_instructor_page(page, live_server, title: str):
    page.goto(f"{live_server.url}/demo/")
    page.click("text=Add a dataset assignment as")
    tool = page.frame_locator("iframe.demo-frame")
    tool.locator("input[name=title]").fill(title)
    tool.locator("text=Create and add").click()
    page.wait_for_url("**/demo/?added=*")
    page.locator("a.button", has_text="(instructor)").first.click()
    tool = page.frame_locator("iframe.demo-frame")
    tool.get_by_role("tab", name="1. Spec").wait_for()
    return tool


def _replace_editor_text(page, editor, text: str) -> None:
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(text)


def test_instructor_imports_a_schema_fixes_checks_previews_and_approves(
    browser_page,  # noqa: F811 - the fixture imported above
    live_server,
    settings,
    request,
) -> None:
    settings.DATAGEN_DEMO_MODE = True
    call_command("demo_setup", base_url=live_server.url)
    page = browser_page
    shot = screenshooter(page, request)
    tool = _open_instructor_page(page, live_server, "Staff records")

    tool.locator("a", has_text="Start from a database schema").click()
    tool.get_by_role("heading", name="Start from a database schema").wait_for()
    _replace_editor_text(page, tool.locator("form .CodeMirror"), STAFF_DDL)
    # SQL highlighting: CREATE TABLE and the types are marked as keywords.
    assert tool.locator("form .CodeMirror .cm-keyword", has_text="CREATE").count() > 0
    tool.locator("button", has_text="Preview the spec").click()
    tool.get_by_role("heading", name="Result").wait_for()
    assert tool.locator("td code", has_text="employees").is_visible()
    shot("01-ddl-preview")
    assert not SpecVersion.objects.exists()  # a preview saves nothing

    tool.locator("button", has_text="Save as a new draft version").click()
    spec_tab = tool.get_by_role("tab", name="1. Spec")
    spec_tab.wait_for()
    imported = SpecVersion.objects.get()
    assert imported.number == 1 and imported.source == SpecVersion.Source.MANUAL
    assert "# Imported from a pasted database schema" in imported.source_text
    spec_tab.click()
    editor = tool.locator("#spec .CodeMirror")
    editor.wait_for()
    tool.locator("#spec .CodeMirror-line", has_text="employees:").first.wait_for()
    tool.locator("#spec svg.erd-svg").wait_for()  # the imported tables as a diagram
    shot("02-imported-spec")

    # A misspelt type: the error names its line.
    text = imported.source_text
    lines = text.splitlines()
    line = max(i for i, s in enumerate(lines) if s.strip() == "type: category") + 1
    lines[line - 1] = lines[line - 1].replace("category", "categroy")
    _replace_editor_text(page, editor, "\n".join(lines) + "\n")
    tool.locator("#spec button", has_text="Save and check").click()
    error = tool.locator("#spec-error")
    error.wait_for()
    # The error names the column at fault and the line where that column starts.
    column_line = lines.index("      grade:") + 1
    assert column_line == line - 1
    assert f"tables.employees.columns.grade (line {column_line})" in error.inner_text()
    assert "Did you mean 'category'?" in error.inner_text()
    shot("03-error-at-its-line")
    assert SpecVersion.objects.count() == 1

    # Fixed (and fewer employees): saved as version 2 and checked on sample learners.
    _replace_editor_text(
        page, tool.locator("#spec .CodeMirror"), text.replace("rows: 200", "rows: 150")
    )
    tool.locator("#spec button", has_text="Save and check").click()
    tool.locator("#checks summary", has_text="Sample learner 1").first.wait_for()
    assert (
        tool.get_by_role("tab", name="3. Checks & previews").get_attribute("aria-selected")
        == "true"
    )
    shot("04-checked")
    fixed = SpecVersion.objects.get(number=2)
    assert fixed.validation["ok"] is True
    assert fixed.document["tables"][1]["rows"] == 150

    # The preview of learner 1: a chart per column and the diagram.
    tool.locator("#checks a", has_text="learner 1").first.click()
    tool.locator("svg.chart").first.wait_for()
    assert tool.locator("svg.chart").count() >= 6
    tool.locator("summary", has_text="Diagram of the tables").click()
    tool.locator("svg.erd-svg").wait_for()
    shot("05-preview-charts-diagram")

    tool.locator("a", has_text="Back to the assignment").click()
    tool.locator("button", has_text="Approve version 2").click()
    tool.locator("text=learners now get their own datasets").wait_for()
    shot("06-approved")
    assert SpecVersion.objects.get(number=2).status == SpecVersion.Status.APPROVED


def shop_csvs(folder) -> tuple:
    """Two related tables of a small bakery's customers and their orders (made up here)."""
    rng = np.random.default_rng(20)
    n = 120
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(1001, 1001 + n),
            "city": rng.choice(["Leeds", "York", "Hull", "Bath"], n, p=[0.4, 0.3, 0.2, 0.1]),
            "loyalty_tier": rng.choice(["bronze", "silver", "gold"], n, p=[0.6, 0.3, 0.1]),
            "joined_on": (
                pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
            ).strftime("%Y-%m-%d"),
            "credit_limit": rng.normal(500, 120, n).round(2),
        }
    )
    per_customer = rng.poisson(3, n)
    orders = pd.DataFrame(
        {
            "order_id": np.arange(1, per_customer.sum() + 1),
            "customer_id": np.repeat(customers["customer_id"], per_customer).to_numpy(),
            "ordered_on": (
                pd.Timestamp("2023-01-01")
                + pd.to_timedelta(rng.integers(0, 365, per_customer.sum()), unit="D")
            ).strftime("%Y-%m-%d"),
            "amount": rng.gamma(3, 8, per_customer.sum()).round(2),
            "paid_by_card": rng.random(per_customer.sum()) < 0.7,
        }
    )
    paths = folder / "customers.csv", folder / "orders.csv"
    customers.to_csv(paths[0], index=False)
    orders.to_csv(paths[1], index=False)
    return paths


class HeldWorker:
    """A worker thread that runs queued jobs (``run_job``) once released.

    Stands in for a worker process, so that the page is seen waiting on a job that has
    not run yet; holding it makes that moment certain rather than a race with SDV.
    """

    def __init__(self) -> None:
        self.jobs: queue.Queue[int | None] = queue.Queue()
        self.released = threading.Event()
        self.thread = threading.Thread(target=self._work, name="held-worker", daemon=True)

    def _work(self) -> None:
        from courses.jobs import run_job

        try:
            while (job_run_id := self.jobs.get()) is not None:
                self.released.wait()
                run_job(job_run_id)
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.released.set()
        self.jobs.put(None)
        self.thread.join(timeout=300)


@pytest.fixture
def held_worker(settings, monkeypatch):
    from courses.jobs import runner

    worker = HeldWorker()
    settings.JOBS_INLINE = False
    monkeypatch.setattr(runner, "_dispatch", worker.jobs.put)
    worker.thread.start()
    yield worker
    worker.stop()


def test_instructor_uploads_reference_tables_corrects_fits_and_sees_the_quality(
    browser_page,  # noqa: F811 - the fixture imported above
    live_server,
    settings,
    held_worker,
    tmp_path,
    request,
) -> None:
    settings.DATAGEN_DEMO_MODE = True
    call_command("demo_setup", base_url=live_server.url)
    page = browser_page
    shot = screenshooter(page, request)
    tool = _open_instructor_page(page, live_server, "Bakery orders")

    tool.locator("a", has_text="Start from reference data").click()
    tool.get_by_role("heading", name="Start from reference data").wait_for()
    tool.locator("input[type=file]").set_input_files([str(p) for p in shop_csvs(tmp_path)])
    tool.locator("button", has_text="Upload and detect").click()

    # The upload returns before SDV runs: the page shows the queued detection.
    waiting = tool.locator(".job progress")
    waiting.wait_for()
    assert tool.locator(".job", has_text="Detecting types, keys and relationships").is_visible()
    upload = ReferenceImport.objects.get()
    assert upload.status == ReferenceImport.Status.DETECTING
    shot("01-detection-waiting")

    held_worker.released.set()  # the worker takes the job; the page reloads when it ends
    tool.locator("select[name='pk:customers']").wait_for(timeout=120_000)
    detect = JobRun.objects.get(kind="reference_detect")
    assert detect.status == JobRun.Status.SUCCEEDED, detect.error
    shot("02-correction-form")

    tool.locator("select[name='pk:customers']").select_option("customer_id")
    tool.locator("select[name='pk:orders']").select_option("order_id")
    tool.locator("select[name='fk:orders:customer_id']").select_option("customers")
    tool.locator("select[name='sdtype:customers:loyalty_tier']").select_option("categorical")
    tool.locator("button", has_text="Fit the spec").click()
    tool.locator("text=Saved as draft version").wait_for(timeout=180_000)
    upload.refresh_from_db()
    assert upload.status == ReferenceImport.Status.FITTED, upload.error
    assert not any(f["path"] for f in upload.files)  # the uploads are gone

    charts = tool.locator("svg.chart.compare")
    charts.first.wait_for()
    stored = upload.report["charts"]
    assert charts.count() == len(stored) >= 6
    kinds = {(c["table"], c["column"]): c["kind"] for c in stored}
    assert kinds[("orders", "amount")] == "histogram"
    assert kinds[("customers", "loyalty_tier")] == "bars"
    assert kinds[("orders", "ordered_on")] == "timeline"
    assert kinds[("orders", "paid_by_card")] == "bars"
    title = tool.locator("svg.chart.compare title", has_text="amount: distribution").first
    assert title.count() == 1
    shot("03-quality-report")
    shot("04-comparison-charts", tool.locator("section[aria-labelledby=fit-h]"))
