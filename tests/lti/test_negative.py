"""Launches the tool must refuse: a clear page, no session, nothing recorded, never a 500."""

from __future__ import annotations

import logging
import time

import pytest

from courses.lti.keys import generate_rsa_pair
from courses.models import Assignment, Course, Learner
from tests import factories
from tests.lti.platform import INSTRUCTOR, LEARNER, Message, User, query_of

pytestmark = pytest.mark.django_db(transaction=True)

TEACHER = User("teacher-1", "Tess Teacher", [INSTRUCTOR])
ADA = User("learner-ada", "Ada Lovelace", [LEARNER])
BOB = User("learner-bob", "Bob Babbage", [LEARNER])


def _forged_launch(
    browser, platform, *, mutate=None, key=None, kid=None, state=None, drop_state=False
):
    """Start a real login, then post a launch whose token (or state) is broken on purpose."""
    message = Message(TEACHER)
    login = browser.start_login(platform, platform.add_message(message))
    assert login.status_code == 302
    params = query_of(login.headers["Location"])
    claims = platform.launch_claims(message, nonce=params["nonce"])
    if mutate:
        mutate(claims)
    data = {"id_token": platform.sign(claims, key=key, kid=kid), "state": state or params["state"]}
    if drop_state:
        del data["state"]
    return browser.post(f"{platform.tool_base}/lti/launch/", data)


def _assert_refused(response, browser, *, status, words):
    assert response.status_code == status, response.text[:800]
    assert response.headers["Content-Type"].startswith("text/html")
    assert words.lower() in response.text.lower()
    assert "Traceback" not in response.text
    assert "datagen_session" not in response.headers.get("Set-Cookie", "")
    assert not browser.has_session
    assert not Course.objects.exists() and not Learner.objects.exists()
    assert not Assignment.objects.exists()


def test_bad_signature(registered, browser):
    other_private, _ = generate_rsa_pair()
    response = _forged_launch(browser, registered, key=other_private)
    _assert_refused(response, browser, status=401, words="signature is not valid")


def test_unknown_kid(registered, browser):
    response = _forged_launch(browser, registered, kid="no-such-key")
    _assert_refused(response, browser, status=401, words="unknown key")
    assert "no-such-key" in response.text


def test_wrong_audience(registered, browser, caplog):
    def wrong_aud(claims):
        claims["aud"] = claims["azp"] = "someone-else"

    with caplog.at_level(logging.WARNING, logger="courses.lti"):
        response = _forged_launch(browser, registered, mutate=wrong_aud)
    _assert_refused(response, browser, status=400, words="not registered")
    logged = [r.getMessage() for r in caplog.records if r.name == "courses.lti"]
    assert any(f"issuer={registered.issuer}" in m and "client_id=someone-else" in m for m in logged)


def test_wrong_issuer(registered, browser):
    def wrong_iss(claims):
        claims["iss"] = "https://evil.example"

    response = _forged_launch(browser, registered, mutate=wrong_iss)
    _assert_refused(response, browser, status=400, words="not registered")


def test_expired_token(registered, browser):
    def expired(claims):
        claims["iat"] = int(time.time()) - 1200
        claims["exp"] = int(time.time()) - 600

    response = _forged_launch(browser, registered, mutate=expired)
    _assert_refused(response, browser, status=401, words="expired")
    assert "clock" in response.text


def test_replayed_launch(registered, browser, other_browser):
    action, fields = browser.authorize(registered, registered.add_message(Message(TEACHER)))
    assert browser.post(action, fields).status_code == 302
    # An eavesdropper replays the same id_token and state from another browser.
    response = other_browser.post(action, fields)
    assert response.status_code == 401
    assert "already used" in response.text
    assert not other_browser.has_session
    # And the same browser cannot post it twice either.
    assert browser.post(action, fields).status_code == 401


def test_missing_state(registered, browser):
    response = _forged_launch(browser, registered, drop_state=True)
    _assert_refused(response, browser, status=400, words="missing its state")


def test_mismatched_state(registered, browser):
    response = _forged_launch(browser, registered, state="state-not-the-one-issued")
    _assert_refused(response, browser, status=401, words="could not be matched")


def test_launch_from_another_browser_without_the_state_cookie(registered, browser, other_browser):
    action, fields = browser.authorize(registered, registered.add_message(Message(TEACHER)))
    response = other_browser.post(action, fields)
    _assert_refused(response, other_browser, status=401, words="could not be matched")


def test_unknown_deployment(registered, browser):
    def other_deployment(claims):
        claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] = "deployment-99"

    response = _forged_launch(browser, registered, mutate=other_deployment)
    _assert_refused(response, browser, status=403, words="deployment-99")
    assert "--deployment-id" in response.text


def test_login_from_an_unregistered_platform(live_server, transactional_db, browser):
    response = browser.get(
        f"{live_server.url}/lti/login/",
        params={"iss": "https://unknown.example", "login_hint": "x", "client_id": "c"},
        allow_redirects=False,
    )
    _assert_refused(response, browser, status=400, words="not registered")


def test_launch_url_opened_directly(live_server, transactional_db, browser):
    response = browser.get(f"{live_server.url}/lti/launch/")
    assert response.status_code == 405
    assert "Open this assignment from your course" in response.text


def test_launch_without_id_token(live_server, transactional_db, browser):
    response = browser.post(f"{live_server.url}/lti/launch/", {"state": "state-x"})
    assert response.status_code in (400, 401)
    assert "Traceback" not in response.text and not browser.has_session


def test_learner_cannot_open_instructor_pages(registered, browser, other_browser):
    assert browser.launch(registered, Message(TEACHER, resource_link_id="rl-1")).status_code == 302
    assignment = Assignment.objects.get()
    assert (
        other_browser.launch(registered, Message(ADA, resource_link_id="rl-1")).status_code == 302
    )
    ada = Learner.objects.get(sub="learner-ada")
    base = f"{registered.tool_base}/a/{assignment.uuid}/manage"
    for path in ("/", f"/learners/{ada.pk}/download/csv/"):
        response = other_browser.get(base + path)
        assert response.status_code == 403, path
        assert "This page is for instructors" in response.text


def test_learner_cannot_reach_another_learners_dataset(
    registered, browser, other_browser, make_browser
):
    assert browser.launch(registered, Message(TEACHER, resource_link_id="rl-1")).status_code == 302
    assignment = Assignment.objects.get()
    ada_browser, bob_browser = other_browser, make_browser()
    assert ada_browser.launch(registered, Message(ADA, resource_link_id="rl-1")).status_code == 302
    assert bob_browser.launch(registered, Message(BOB, resource_link_id="rl-1")).status_code == 302
    bob = Learner.objects.get(sub="learner-bob")
    factories.issued_dataset(assignment=assignment, learner=bob)
    base = f"{registered.tool_base}/a/{assignment.uuid}"
    response = ada_browser.get(f"{base}/manage/learners/{bob.pk}/download/csv/")
    assert response.status_code in (403, 404)
    # Ada's own page shows Ada, never Bob.
    page = ada_browser.get(f"{base}/")
    assert page.status_code == 200 and "Bob Babbage" not in page.text
    # And without any launch, nothing at all.
    anonymous = make_browser().get(f"{base}/")
    assert anonymous.status_code == 401
