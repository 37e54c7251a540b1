"""The platform core the demo LMS and the tests' platform share: its checks, on plain values."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from courses.lti.keys import generate_rsa_pair
from demo_lms import platform
from demo_lms.platform import CourseContext, PlatformError, PlatformIdentity, RequestData

CONTEXT = CourseContext(id="c1", title="Course", label="C1")


@pytest.fixture(scope="module")
def conf() -> platform.PlatformConf:
    private_pem, public_pem = generate_rsa_pair()
    return platform.platform_conf(
        PlatformIdentity(
            issuer="https://lms.test",
            client_id="client-1",
            deployment_id="d1",
            tool_base="https://tool.test",
            private_pem=private_pem,
            public_pem=public_pem,
            tool_key_set={"keys": []},
        )
    )


def test_a_score_needs_a_user_and_a_real_timestamp():
    with pytest.raises(PlatformError, match="userId"):
        platform.score_from_json({"timestamp": "2024-05-01T10:00:00Z"})
    with pytest.raises(PlatformError, match="timestamp"):
        platform.score_from_json({"userId": "u1", "timestamp": "2024-13-01T10:00:00Z"})


def test_a_score_without_a_time_zone_is_utc_and_nan_is_no_score():
    score = platform.score_from_json(
        {
            "userId": "u1",
            "timestamp": "2024-05-01T10:00:00",
            "scoreGiven": "nan",
            "scoreMaximum": 10,
        }
    )
    assert score.timestamp == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert (score.score_given, score.score_maximum) == (None, 10.0)


def test_a_line_item_needs_a_label_and_a_positive_maximum():
    with pytest.raises(PlatformError, match="scoreMaximum"):
        platform.lineitem_from_json({"label": "Week 1", "scoreMaximum": 0})
    item = platform.lineitem_from_json({"label": "Week 1", "scoreMaximum": "10", "tag": "t"})
    assert (item.label, item.score_maximum, item.tag) == ("Week 1", 10.0, "t")


def test_members_come_in_pages_with_the_next_page_url():
    members = [{"user_id": str(number)} for number in range(5)]
    kwargs = {"memberships_url": "https://lms.test/m", "context": CONTEXT, "default_limit": 2}
    first, next_url = platform.members_page(
        members, query={}, next_params={"Token": "AbC"}, **kwargs
    )
    assert [m["user_id"] for m in first["members"]] == ["0", "1"]
    assert first["context"] == {"id": "c1", "title": "Course", "label": "C1"}
    assert next_url == "https://lms.test/m?limit=2&page=2&Token=AbC"
    last, next_url = platform.members_page(members, query={"page": "3"}, **kwargs)
    assert [m["user_id"] for m in last["members"]] == ["4"] and next_url is None
    with pytest.raises(PlatformError, match="whole numbers"):
        platform.members_page(members, query={"limit": "x"}, **kwargs)


def test_services_refuse_a_missing_or_foreign_bearer_token(conf):
    with pytest.raises(PlatformError) as missing:
        platform.require_bearer(conf, "", [platform.AGS_SCORE])
    assert missing.value.status == 401
    with pytest.raises(PlatformError) as foreign:
        platform.require_bearer(conf, "Bearer not-a-token", [platform.AGS_SCORE])
    assert foreign.value.status == 401


def test_an_authentication_request_for_another_client_is_refused(conf):
    query = {"client_id": "someone-else", "response_type": "id_token", "scope": "openid"}
    with pytest.raises(PlatformError, match="client_id"):
        platform.launch_page(
            conf,
            RequestData(method="GET", query=query),
            user=platform.LaunchUser(sub="u1", name="A B", roles=[platform.LEARNER], email="a@b"),
            context=CONTEXT,
            lineitems_url="https://lms.test/li",
            memberships_url="https://lms.test/m",
            resource_link=platform.ResourceLink(id="rl", title="T"),
        )


def test_a_launch_redirecting_elsewhere_is_refused(conf):
    query = {
        "client_id": "client-1",
        "response_type": "id_token",
        "scope": "openid",
        "login_hint": "u1",
        "nonce": "n",
        "state": "s",
        "redirect_uri": "https://evil.test/lti/launch/",
    }
    with pytest.raises(PlatformError, match="not its registered launch URL"):
        platform.launch_page(
            conf,
            RequestData(method="GET", query=query),
            user=platform.LaunchUser(sub="u1", name="A B", roles=[platform.LEARNER], email="a@b"),
            context=CONTEXT,
            lineitems_url="https://lms.test/li",
            memberships_url="https://lms.test/m",
            resource_link=platform.ResourceLink(id="rl", title="T"),
        )


def test_the_tool_never_imports_the_demo():
    courses = Path(__file__).resolve().parents[2] / "courses"
    importing = [
        str(path.relative_to(courses.parent))
        for path in courses.rglob("*.py")
        if re.search(r"^\s*(from|import)\s+demo_lms\b", path.read_text(), re.MULTILINE)
    ]
    assert importing == []
