"""The Canvas developer-key JSON configuration ("Enter URL" in Canvas's LTI key form)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest

from courses.lti.addresses import absolute, tool_urls
from courses.lti.course_copy import CONTEXT_HISTORY_CUSTOM

TOOL_TITLE = "datagen-lti"
TOOL_DESCRIPTION = (
    "Every learner gets an individualized, reproducible relational dataset; "
    "answers are graded against their own data and scores go to the gradebook."
)
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]
NRPS_SCOPES = ["https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"]
TOOL_SCOPES = AGS_SCOPES + NRPS_SCOPES
# Names and email reach the tool: instructors need them in the gradebook view.
PRIVACY_LEVEL = "public"
# Canvas Cloud's issuers (production, test and beta instances).
CANVAS_ISSUERS = {
    "https://canvas.instructure.com",
    "https://canvas.test.instructure.com",
    "https://canvas.beta.instructure.com",
}


def platform_is_canvas(registration) -> bool:
    """Whether a registration (an LtiTool) is a Canvas: by its issuer, or as it registered itself."""
    if str(registration.issuer or "").rstrip("/") in CANVAS_ISSUERS:
        return True
    try:
        details = registration.details
    except ObjectDoesNotExist:
        return False
    return (details.product_family_code or "").strip().lower() == "canvas"


def canvas_configuration(*, request: HttpRequest | None = None) -> dict:
    """The JSON Canvas reads from the tool's configuration URL."""
    urls = tool_urls(request)
    deep_link = {
        "message_type": "LtiDeepLinkingRequest",
        "target_link_uri": urls["launch"],
        "text": TOOL_TITLE,
        "selection_width": 900,
        "selection_height": 700,
    }
    return {
        "title": TOOL_TITLE,
        "description": TOOL_DESCRIPTION,
        "oidc_initiation_url": urls["login"],
        "target_link_uri": urls["launch"],
        "public_jwk_url": urls["jwks"],
        "scopes": TOOL_SCOPES,
        "extensions": [
            {
                "domain": urlsplit(urls["base"]).netloc,
                "tool_id": TOOL_TITLE,
                "platform": "canvas.instructure.com",
                "privacy_level": PRIVACY_LEVEL,
                "settings": {
                    "text": TOOL_TITLE,
                    "icon_url": absolute("/static/img/icon.svg", request),
                    "placements": [
                        {"placement": "assignment_selection", **deep_link},
                        {"placement": "link_selection", **deep_link},
                    ],
                },
            }
        ],
        # The courses this one was copied from: course copy checks it (courses.lti.course_copy).
        "custom_fields": dict(CONTEXT_HISTORY_CUSTOM),
    }
