"""Small pieces of the service clients and the registration document."""

from __future__ import annotations

import pytest
import requests
from django.test import RequestFactory

from courses.lti.ags import scores_url
from courses.lti.dynamic_registration import TOOL_CONFIGURATION, tool_registration_document
from courses.lti.services import next_link


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            '<https://lms.test/m?page=2&Token=AbC>; rel="next"',
            "https://lms.test/m?page=2&Token=AbC",
        ),
        ('<https://a/1>; rel="prev", <https://a/3>; rel="next"', "https://a/3"),
        ("<https://a/3>; rel=next", "https://a/3"),
        ('<https://a/3>; rel="first"', None),
        ("", None),
    ],
)
def test_next_link(header, expected):
    response = requests.Response()
    response.headers["Link"] = header
    assert next_link(response) == expected


def test_scores_url_keeps_moodle_query():
    url = "https://moodle.test/mod/lti/services.php/2/lineitems/5/lineitem?type_id=3"
    assert scores_url(url) == (
        "https://moodle.test/mod/lti/services.php/2/lineitems/5/lineitem/scores?type_id=3"
    )
    assert scores_url("https://canvas.test/api/lti/courses/1/line_items/7") == (
        "https://canvas.test/api/lti/courses/1/line_items/7/scores"
    )


def test_canvas_registration_asks_for_its_placements_and_privacy_level():
    request = RequestFactory().get("/lti/register/", HTTP_HOST="localhost")
    platform = {
        "https://purl.imsglobal.org/spec/lti-platform-configuration": {
            "product_family_code": "canvas"
        }
    }
    document = tool_registration_document(request=request, platform=platform)
    configuration = document[TOOL_CONFIGURATION]
    deep_linking = configuration["messages"][0]
    assert deep_linking["type"] == "LtiDeepLinkingRequest"
    assert deep_linking["placements"] == ["assignment_selection", "link_selection"]
    assert configuration["https://canvas.instructure.com/lti/privacy_level"] == "public"
    assert document["redirect_uris"] == ["http://localhost/lti/launch/"]
