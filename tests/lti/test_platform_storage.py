"""LTI Platform Storage: state and nonce kept by the LMS for a frame without cookies.

The browser side (the postMessages) runs in tests/browser/test_third_party_cookies.py;
here, through Django's test client, what the server decides: which page a login and a
launch get, and that a launch without cookies passes only with the secret the login
stored at the platform, once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from courses.lti import storage
from courses.models import Assignment
from tests.lti.inprocess import TOOL_BASE, platform_register_inline
from tests.lti.platform import INSTRUCTOR, Message, TestPlatform, User

pytestmark = pytest.mark.django_db

TEACHER = User("teacher-1", "Tess Teacher", [INSTRUCTOR])
TARGET = "post_message_forwarding"
HTTPS_TOOL_BASE = "https://testserver"
DATA = re.compile(r'<script id="lti-storage-data" type="application/json">(.*?)</script>', re.S)


@pytest.fixture
def lms() -> Iterator[TestPlatform]:
    platform = TestPlatform(TOOL_BASE)
    platform_register_inline(platform)
    yield platform
    platform.close()


def _page_data(response) -> dict:
    assert response.status_code == 200, response.content[:800]
    (raw,) = DATA.findall(response.content.decode())
    return json.loads(raw)


def _login(client: Client, lms: TestPlatform, *, target: str = TARGET, **extra) -> dict:
    """A login offering platform storage; returns the storage page's data."""
    url = lms.login_url(lms.add_message(Message(TEACHER))) + "&lti_storage_target=" + target
    return _page_data(client.get(url.replace(TOOL_BASE, ""), **extra))


def _stored(data: dict) -> dict[str, str]:
    """What the page's script would put_data at the platform: key -> value."""
    return {item["key"]: item["value"] for item in data["items"]}


def _auth_params(data: dict) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(data["next"]).query).items()}


def _signed_launch(lms: TestPlatform, data: dict) -> dict[str, str]:
    """The platform's launch form: a signed id_token for the login's nonce, its state."""
    params = _auth_params(data)
    token = lms.sign(lms.launch_claims(Message(TEACHER), nonce=params["nonce"]))
    return {"id_token": token, "state": params["state"], "lti_storage_target": TARGET}


def test_login_with_a_storage_target_answers_with_the_storage_page(client, lms):
    data = _login(client, lms)
    params = _auth_params(data)
    assert data["mode"] == "login" and data["target"] == TARGET
    # Messages go to the origin of the platform's OIDC endpoint, and only there.
    assert data["origin"] == lms.base
    assert data["next"].startswith(f"{lms.base}/auth?")
    assert params["lti_storage_target"] == TARGET
    stored = _stored(data)
    assert stored[f"nonce_{params['nonce']}"] == params["nonce"]
    # The state's value is a secret of its own, not the state the platform echoes back.
    secret = stored[f"state_{params['state']}"]
    assert len(secret) >= 40 and secret not in data["next"]
    # Without the platform's storage, the page falls back to the cookie login.
    fallback = parse_qs(urlsplit(data["fallback"]).query)
    assert "lti_storage_target" not in fallback and fallback["login_hint"] == ["teacher-1"]


def test_a_launch_without_cookies_reads_the_storage_back_then_passes(lms):
    browser = Client()
    data = _login(browser, lms)
    form = _signed_launch(lms, data)
    browser.cookies.clear()  # the frame kept nothing

    check = browser.post("/lti/launch/", form)
    page = _page_data(check)
    assert page["mode"] == "launch" and page["target"] == TARGET and page["origin"] == lms.base
    assert page["state_key"] == f"state_{form['state']}"
    assert page["nonce_key"] == f"nonce_{_auth_params(data)['nonce']}"
    assert page["fields"] == {"id_token": form["id_token"], "state": form["state"]}
    assert "lti1p3_new_window=1" in page["new_window"]
    assert not Assignment.objects.exists()

    proof = _stored(data)[page["state_key"]]
    launched = browser.post("/lti/launch/", {**form, page["proof_field"]: proof})
    assert launched.status_code == 302, launched.content[:800]
    assert launched["Location"].endswith(f"/a/{Assignment.objects.get().uuid}/manage/")


def test_a_wrong_or_missing_secret_is_refused(lms):
    browser = Client()
    data = _login(browser, lms)
    form = _signed_launch(lms, data)
    browser.cookies.clear()
    refused = browser.post("/lti/launch/", {**form, storage.PROOF_PARAM: "guessed"})
    assert refused.status_code == 403
    assert "could not be confirmed" in refused.content.decode()
    assert not Assignment.objects.exists()
    # The state itself (which the platform's form carries) is no secret.
    refused = browser.post("/lti/launch/", {**form, storage.PROOF_PARAM: form["state"]})
    assert refused.status_code == 403


def test_a_storage_launch_cannot_be_replayed(lms):
    browser = Client()
    data = _login(browser, lms)
    form = _signed_launch(lms, data)
    proof = _stored(data)[f"state_{form['state']}"]
    browser.cookies.clear()
    first = browser.post("/lti/launch/", {**form, storage.PROOF_PARAM: proof})
    assert first.status_code == 302
    again = Client().post("/lti/launch/", {**form, storage.PROOF_PARAM: proof})
    assert again.status_code == 400
    assert "already" in again.content.decode()


def test_an_id_token_for_another_nonce_is_refused_before_the_check_page(lms):
    browser = Client()
    data = _login(browser, lms)
    form = _signed_launch(lms, data)
    form["id_token"] = lms.sign(lms.launch_claims(Message(TEACHER), nonce="someone-elses"))
    browser.cookies.clear()
    refused = browser.post("/lti/launch/", form)
    assert refused.status_code == 400
    assert "nonce" in refused.content.decode()


def test_a_frame_that_kept_its_cookies_launches_the_cookie_way(lms):
    browser = Client()
    data = _login(browser, lms)
    launched = browser.post("/lti/launch/", _signed_launch(lms, data))
    assert launched.status_code == 302, launched.content[:800]


@pytest.mark.parametrize("target", ["", "a b", "x" * 101, "<script>"])
def test_an_odd_storage_target_means_the_cookie_login(client, lms, target):
    url = lms.login_url(lms.add_message(Message(TEACHER)))
    url += "&" + urlencode({"lti_storage_target": target})
    response = client.get(url.replace(TOOL_BASE, ""))
    assert response.status_code == 302, response.content[:800]


@pytest.fixture
def https_lms() -> Iterator[TestPlatform]:
    """A platform launching the tool at an https address."""
    platform = TestPlatform(HTTPS_TOOL_BASE)
    platform_register_inline(platform)
    yield platform
    platform.close()


def test_over_https_storage_replaces_the_cookie_check_and_restores_the_session_id(
    https_lms, settings
):
    """pylti1p3 keys the nonce by a cookie session id over https: the record keeps it."""
    lms = https_lms
    settings.SESSION_COOKIE_SECURE = True
    settings.SESSION_COOKIE_SAMESITE = "None"
    browser = Client()
    url = lms.login_url(lms.add_message(Message(TEACHER))) + "&lti_storage_target=" + TARGET
    data = _page_data(browser.get(url.replace(HTTPS_TOOL_BASE, ""), secure=True))
    assert data["mode"] == "login"
    assert browser.cookies[storage.PYLTI_SESSION_ID_COOKIE].value
    form = _signed_launch(lms, data)
    browser.cookies.clear()
    check = _page_data(browser.post("/lti/launch/", form, secure=True))
    assert "Partitioned" in check["cookie_attributes"]
    proof = _stored(data)[check["state_key"]]
    launched = browser.post("/lti/launch/", {**form, storage.PROOF_PARAM: proof}, secure=True)
    assert launched.status_code == 302, launched.content[:800]
    # The session the launch binds is partitioned (CHIPS), so the frame keeps it.
    session = launched.cookies[settings.SESSION_COOKIE_NAME].output(header="")
    assert "Partitioned" in session and "SameSite=None" in session and "Secure" in session
