"""The demo LMS on another site than the tool, in Chromium that blocks third-party cookies.

The demo LMS is opened at http://localhost:PORT and launches the tool at
http://127.0.0.1:PORT: another site, so the tool's frame is a third-party context, as
under Canvas or Moodle on their own host. Chromium's "block third-party cookies"
setting is on (checked: a cookie the frame sets without ``Partitioned`` is dropped).
The launches still pass because the login keeps its state and nonce in the demo
LMS's storage frame (LTI Platform Storage) and the tool's session cookie is
partitioned (CHIPS). Loopback http stands in for https: Chromium keeps ``Secure``
cookies there. Screenshots of each step are kept (see ``tests/browser/artifacts.py``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from courses.models import IssuedDataset, SpecVersion
from tests.browser.artifacts import screenshooter
from tests.browser.test_demo_in_iframe import (
    CHROMIUM_ARGS,
    _release_live_server_connections,
    close_database_session,
)
from tests.services import service_unavailable

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium's own setting "Block third-party cookies" (chrome://settings/cookies).
BLOCK_THIRD_PARTY_COOKIES = {
    "profile": {"cookie_controls_mode": 1, "block_third_party_cookies": True}
}

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def blocking_browser(monkeypatch, tmp_path):
    """A Chromium page whose profile blocks third-party cookies."""
    if not Path(CHROMIUM).exists():
        service_unavailable("Chromium (apt-get install chromium) for browser tests")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(json.dumps(BLOCK_THIRD_PARTY_COOKIES))
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 900, "height": 900},
            accept_downloads=True,
        )
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(30_000)
        yield page
        context.close()
        close_database_session()
    _release_live_server_connections()


@pytest.fixture
def cross_site(live_server, settings):
    """(demo LMS base, tool base): one server reached under two host names."""
    platform_base = live_server.url.replace("127.0.0.1", "localhost")
    tool_base = platform_base.replace("localhost", "127.0.0.1")
    assert platform_base != tool_base
    settings.DATAGEN_DEMO_MODE = True
    settings.DATAGEN_DEMO_TOOL_URL = tool_base
    # What https gives (settings.CROSS_SITE_COOKIES): cookies a cross-site frame may keep.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SESSION_COOKIE_SAMESITE = settings.CSRF_COOKIE_SAMESITE = "None"
    call_command("demo_setup", base_url=platform_base)
    return platform_base, tool_base


def _tool_frame(page, tool_base: str):
    """The tool's frame (a Frame, for evaluating scripts in it), once it is at the tool."""
    for _ in range(100):
        for frame in page.frames:
            if frame.url.startswith(tool_base) and frame.name != "demo-lti-storage":
                return frame
        page.wait_for_timeout(100)
    raise AssertionError(f"No frame at {tool_base}: {[f.url for f in page.frames]}")


def _storage_keys(page) -> list[str]:
    storage = page.frame(name="demo-lti-storage")
    assert storage is not None, "the demo LMS's storage frame is missing"
    return storage.evaluate("Object.keys(window.sessionStorage)")


def test_launches_in_a_cross_site_frame_without_third_party_cookies(
    blocking_browser, cross_site, tmp_path, request
) -> None:
    platform_base, tool_base = cross_site
    page = blocking_browser

    shot = screenshooter(page, request)

    # Instructor: deep linking, through platform storage.
    page.goto(f"{platform_base}/demo/")
    page.click("text=Add a dataset assignment as")
    tool = page.frame_locator("iframe.demo-frame")
    tool.locator("input[name=title]").first.fill("Retail joins")
    shot("01-picker-in-cross-site-frame")

    frame = _tool_frame(page, tool_base)
    # The browser really blocks third-party cookies: an unpartitioned cookie set in the
    # frame is dropped, a partitioned one is kept.
    kept = frame.evaluate(
        """() => {
          document.cookie = "probe_plain=1; path=/; SameSite=None; Secure";
          document.cookie = "probe_partitioned=1; path=/; SameSite=None; Secure; Partitioned";
          return document.cookie;
        }"""
    )
    assert "probe_plain" not in kept, kept
    assert "probe_partitioned=1" in kept, kept
    # The login's state and nonce went to the demo LMS's storage, keyed by the tool's origin.
    keys = _storage_keys(page)
    assert any(k.startswith(f"lti-storage|{tool_base}|state_") for k in keys), keys
    assert any(k.startswith(f"lti-storage|{tool_base}|nonce_") for k in keys), keys

    tool.locator("text=Create and add").click()
    page.wait_for_url("**/demo/?added=*")
    shot("02-assignment-added")

    page.locator("a.button", has_text="(instructor)").first.click()
    tool = page.frame_locator("iframe.demo-frame")
    tool.locator("select[name=example]").select_option("retail")
    tool.locator("text=Load example").click()
    tool.locator("text=every required check passes").first.wait_for()
    tool.locator("button", has_text="Approve version 1").click()
    tool.locator("text=learners now get their own datasets").wait_for()
    shot("03-approved")
    assert SpecVersion.objects.get().status == SpecVersion.Status.APPROVED

    # Learner: launch, then a download through the partitioned session.
    page.goto(f"{platform_base}/demo/")
    page.locator("a.button.secondary").first.click()
    tool = page.frame_locator("iframe.demo-frame")
    tool.get_by_role("heading", name="Your dataset").wait_for()
    shot("04-learner")
    with page.expect_download() as download_info:
        tool.locator("a.button", has_text="SQLite database file").click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"SQLite format 3")
    assert IssuedDataset.objects.get().download_count == 1

    # lti.frameResize: the demo LMS sized the frame to the learner's page.
    iframe = page.locator("iframe.demo-frame")
    page.wait_for_function(
        "() => document.querySelector('iframe.demo-frame').dataset.resizedTo !== undefined"
    )
    reported = int(iframe.get_attribute("data-resized-to"))
    content = _tool_frame(page, tool_base).evaluate(
        "Math.ceil(document.documentElement.getBoundingClientRect().height)"
    )
    assert abs(reported - content) <= 2, (reported, content)
    assert reported > 900  # the learner's page is longer than the window: no inner scrolling
    assert abs(iframe.bounding_box()["height"] - reported) <= 2
    shot("05-frame-resized")
