"""Fuzz: random launch claims through the tool's HTTP layer, never a response of 500 or more.

Each example is a real launch: the OIDC login initiation issues a state cookie and a
nonce, the test platform signs an id_token with them, and the token is posted to
/lti/launch/, so pylti1p3's validation and the tool's launch handling both see it.
The claims start as a valid resource-link or deep-linking launch, then have a few
of their claims replaced, cut or deleted: values of the wrong JSON type, ids and
names of thousands of characters, NUL and unpaired surrogates, NaN and infinity in
the custom parameters, odd roles, extra claims. Where the launch leads (the
assignment's page, the deep-linking picker) is opened too, and the picker is
answered with random points, so that what the launch stored is read back.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.lti.inprocess import (
    AGS,
    CONTEXT,
    CUSTOM,
    DEEP_LINKING,
    MESSAGE_TYPE,
    NRPS,
    RESOURCE_LINK,
    ROLES,
    TOOL_BASE,
    deep_link_claims,
    launch_begin,
    platform_register_inline,
)
from tests.lti.platform import INSTRUCTOR, LEARNER, MEMBERSHIP, Message, TestPlatform, User

pytestmark = [pytest.mark.heavy, pytest.mark.django_db]

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"

TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "\ud800",
            "x\udfff",
            "é" * 300,
            "💥" * 256,
            "a" * 255,
            "a" * 256,
            "a" * 1025,
            "<script>alert(1)</script>",
            "javascript:alert(1)",
            "${user.id}",
            "$Canvas.assignment.pointsPossible",
            "12345678-1234-1234-1234-123456789012",
        ]
    ),
    st.integers(0, 3).map(lambda n: "z" * (10**n * 20)),
)
URLS = st.one_of(
    st.sampled_from(
        [
            "https://lms.example/api/lineitems",
            "https://lms.example/api/lineitems/7/lineitem?type_id=3",
            "http://moodle:8080/mod/lti/services.php/2/lineitems",
            "http://127.0.0.1:9/members",
            "ftp://lms.example/x",
            "https://",
            "https://lms.example/" + "p" * 1100,
            "https://lms.example/a b",
            "https://lms.example:99999/",
            "https://[::1/",
        ]
    ),
    TEXT,
)
NUMBERS = st.one_of(
    st.integers(-5, 5),
    st.sampled_from([2**31, 2**63, -(2**63), 10**30, 1e308, -1e308, 5e-324]),
    st.floats(),  # NaN and infinity included
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)
ROLE_NAMES = st.sampled_from(
    [
        INSTRUCTOR,
        LEARNER,
        MEMBERSHIP + "TeachingAssistant",
        MEMBERSHIP + "ContentDeveloper",
        "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
        "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
        "http://purl.imsglobal.org/vocab/lis/v2/system/person#TestUser",
        "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor",
        "Instructor",
        "Learner",
        "Mentor",
        "",
        "#",
        "http://purl.imsglobal.org/vocab/lis/v2/membership#",
    ]
)
ROLES_VALUES = st.one_of(
    st.lists(st.one_of(ROLE_NAMES, ROLE_NAMES, TEXT, SCALARS), max_size=6), JSON, TEXT
)
POINTS = st.one_of(
    st.sampled_from(
        ["NaN", "nan", "Infinity", "-Infinity", "1e400", "100000", "99999.99", "0", "-1", "1e-9"]
    ),
    NUMBERS,
    NUMBERS.map(str),
    JSON,
)


def _replace(path: tuple[str, ...], value: Any):
    def mutate(claims: dict[str, Any]) -> None:
        node = claims
        for key in path[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[path[-1]] = value

    return mutate


def _delete(path: tuple[str, ...]):
    def mutate(claims: dict[str, Any]) -> None:
        node = claims
        for key in path[:-1]:
            node = node.get(key)
            if not isinstance(node, dict):
                return
        node.pop(path[-1], None)

    return mutate


# The claims the tool reads, and the values each gets in the fuzz.
TARGETS: list[tuple[tuple[str, ...], st.SearchStrategy]] = [
    (("sub",), st.one_of(TEXT, SCALARS)),
    (("name",), st.one_of(TEXT, JSON)),
    (("given_name",), st.one_of(TEXT, JSON)),
    (("family_name",), st.one_of(TEXT, JSON)),
    (("email",), st.one_of(TEXT, st.sampled_from(["a@b.example", "not an email"]), JSON)),
    ((ROLES,), ROLES_VALUES),
    ((CONTEXT,), JSON),
    ((CONTEXT, "id"), st.one_of(TEXT, SCALARS)),
    ((CONTEXT, "title"), st.one_of(TEXT, JSON)),
    ((CONTEXT, "label"), st.one_of(TEXT, JSON)),
    ((RESOURCE_LINK,), JSON),
    ((RESOURCE_LINK, "id"), st.one_of(TEXT, SCALARS)),
    ((RESOURCE_LINK, "title"), st.one_of(TEXT, JSON)),
    ((CUSTOM,), JSON),
    ((CUSTOM, "points"), POINTS),
    ((CUSTOM, "assignment_uuid"), st.one_of(TEXT, SCALARS)),
    ((AGS,), JSON),
    ((AGS, "lineitems"), URLS),
    ((AGS, "lineitem"), URLS),
    ((AGS, "scope"), JSON),
    ((NRPS,), JSON),
    ((NRPS, "context_memberships_url"), URLS),
    ((DEEP_LINKING,), JSON),
    ((DEEP_LINKING, "deep_link_return_url"), URLS),
    ((DEEP_LINKING, "title"), st.one_of(TEXT, JSON)),
    ((DEEP_LINKING, "data"), JSON),
    ((DEEP_LINKING, "accept_types"), JSON),
    ((MESSAGE_TYPE,), st.sampled_from(["LtiResourceLinkRequest", "LtiDeepLinkingRequest", "x"])),
    ((CLAIM + "version",), st.sampled_from(["1.3.0", "1.1", None])),
    ((CLAIM + "launch_presentation",), JSON),
    ((CLAIM + "tool_platform",), JSON),
    (("https://purl.imsglobal.org/spec/lti/claim/lis",), JSON),
    (("an-extra-claim",), JSON),
]

MUTATION = st.sampled_from(TARGETS).flatmap(
    lambda target: st.one_of(
        target[1].map(lambda value: _replace(target[0], value)),
        st.just(_delete(target[0])),
    )
)

LAUNCHES = st.fixed_dictionaries(
    {
        "deep_link": st.booleans(),
        "user": st.sampled_from(
            [
                User("teacher-1", "Tess Teacher", [INSTRUCTOR]),
                User("learner-ada", "Ada Lovelace", [LEARNER]),
            ]
        ),
        "resource_link_id": st.sampled_from(["rl-1", "rl-2"]),
        "mutations": st.sampled_from([0, 0, 1, 1, 1, 2, 3]).flatmap(
            lambda n: st.lists(MUTATION, min_size=n, max_size=n)
        ),
        "picker_points": st.one_of(POINTS.map(str), st.just("10")),
    }
)


@pytest.fixture
def lms() -> Iterator[TestPlatform]:
    """The test platform, registered once for all examples.

    The examples share the test's database, so later launches meet the courses,
    people and assignments earlier ones recorded. (Jobs a launch queues never run:
    they wait for a commit the test's transaction never makes.)
    """
    platform = TestPlatform(TOOL_BASE)
    platform_register_inline(platform)
    yield platform
    platform.close()


def _follow(client: Client, response, picker_points: str) -> None:
    """Open where a launch leads; answer a deep-linking picker."""
    if response.status_code != 302:
        return
    location = response["Location"]
    page = client.get(location)
    assert page.status_code < 500, (location, page.content[:1000])
    if "/lti/deep-link/" in location and page.status_code == 200:
        answer = client.post(
            location, {"action": "create", "title": "Fuzzed", "points": picker_points}
        )
        assert answer.status_code < 500, answer.content[:1000]


@settings(
    max_examples=2000,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(launch=LAUNCHES)
def test_random_launch_claims_never_answer_500(lms, launch):
    client = Client()
    message = Message(launch["user"], resource_link_id=launch["resource_link_id"])
    params = launch_begin(client, lms, message)
    claims = lms.launch_claims(message, nonce=params["nonce"])
    if launch["deep_link"]:
        deep_link_claims(claims)
    for mutate in launch["mutations"]:
        mutate(claims)
    try:
        token = lms.sign(claims)
    except (TypeError, ValueError):
        return  # a value JSON cannot write (e.g. an int of 5,000 digits): no LMS could send it
    response = client.post("/lti/launch/", {"id_token": token, "state": params["state"]})
    assert response.status_code < 500, response.content[:1000]
    if response.status_code >= 400:
        assert b"Traceback" not in response.content
    _follow(client, response, launch["picker_points"])


def test_the_fuzzed_values_include_what_json_cannot_usually_carry():
    """NaN and infinity reach the tool: PyJWT writes them, and the tool's JSON reader accepts them."""
    import jwt

    token = jwt.encode({"v": [math.nan, math.inf]}, "k" * 32, algorithm="HS256")
    decoded = jwt.decode(token, "k" * 32, algorithms=["HS256"])
    assert math.isnan(decoded["v"][0]) and math.isinf(decoded["v"][1])
