"""A validated launch's claims, read into plain values of the types and sizes the tool stores.

pylti1p3 checks the signature, issuer, audience, nonce and deployment, but not
the shapes of the claims the tool reads: a roles claim that is a number, a
context that is a string or an id of a thousand characters reach the tool as
sent. Each is refused here with a page naming the claim, before anything is stored.

The claim URLs and the constants the LTI modules share (points, the custom parameter
and the line-item tag of a placed assignment) live here, so those modules need not
import one another for them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from courses.lti.errors import LaunchError

# The OIDC login initiation's parameters that start the same launch again (a new window).
LOGIN_PARAMS = (
    "iss",
    "login_hint",
    "target_link_uri",
    "lti_message_hint",
    "lti_deployment_id",
    "client_id",
)
# Assignments the picker made whose link the LMS never launched are removed after this
# (``lti_pending_cleanup``); the unknown-link page says so.
PENDING_LIFETIME = timedelta(days=30)
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = CLAIM + "message_type"
DEPLOYMENT_ID = CLAIM + "deployment_id"
CONTEXT = CLAIM + "context"
RESOURCE_LINK = CLAIM + "resource_link"
ROLES = CLAIM + "roles"
CUSTOM = CLAIM + "custom"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
# Submission review: whose submission the launching user wants to see.
FOR_USER = CLAIM + "for_user"
SUBMISSION_REVIEW = "LtiSubmissionReviewRequest"
# The gradingProgress values the tool posts: the LMS offers a review launch for either.
REVIEWABLE_STATUS = ["FullyGraded", "Pending"]
REVIEW_LABEL = "Open the submission and dataset"


def submission_review(assignment_uuid: str, url: str = "") -> dict[str, Any]:
    """The ``submissionReview`` of a line item: without a URL the LMS reviews at the link's own."""
    review: dict[str, Any] = {
        "reviewableStatus": list(REVIEWABLE_STATUS),
        "label": REVIEW_LABEL,
        "custom": {ASSIGNMENT_UUID_PARAM: assignment_uuid},
    }
    if url:
        review["url"] = url
    return review


MAX_ID_LENGTH = 255  # Learner.sub, Course.context_id, Assignment.resource_link_id
MAX_TEXT_LENGTH = 255  # names, titles and labels (longer ones are cut)
MAX_EMAIL_LENGTH = 254
MAX_URL_LENGTH = 1024  # the URLFields of courses and assignments
# Assignment.points is max_digits=7, decimal_places=2.
MAX_POINTS = Decimal("99999.99")
DEFAULT_POINTS = Decimal("100")
CENT = Decimal("0.01")
# The custom parameter of a deep link that names the assignment it places.
ASSIGNMENT_UUID_PARAM = "assignment_uuid"
# The tag of the gradebook columns (AGS line items) the tool creates.
LINEITEM_TAG = "datagen"
_UNSAFE_URL_CHARACTERS = re.compile(r"[\s\x00-\x1f\x7f]")

MALFORMED_TITLE = "The LMS sent a malformed launch"
MALFORMED_HINT = (
    "This is a fault of the LMS or of the tool's configuration there, not of your account: "
    "tell the LMS administrator, with the time of this launch."
)

_ID_LABELS = {
    None: "Its user id (the sub claim)",
    FOR_USER: "The reviewed user's id (the user_id in the for_user claim)",
    CONTEXT: "Its course id (the id in the context claim)",
    RESOURCE_LINK: "Its resource link id (the id in the resource link claim)",
}
_CLAIM_NAMES = {
    CONTEXT: "context",
    RESOURCE_LINK: "resource link",
    CUSTOM: "custom parameters",
    AGS_ENDPOINT: "assignment and grade services (AGS) endpoint",
    NRPS: "names and role provisioning services (NRPS)",
    DEEP_LINKING_SETTINGS: "deep linking settings",
    ROLES: "roles",
    FOR_USER: "for user",
}


@dataclass(frozen=True)
class LaunchClaims:
    """What the tool reads from a launch, each value of the type and size it stores."""

    message_type: str
    deployment_id: str
    roles: list[str]
    sub: str
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    context_id: str = ""
    context_title: str = ""
    context_label: str = ""
    resource_link_id: str = ""
    resource_link_title: str = ""
    custom: dict[str, Any] = field(default_factory=dict)
    lineitems_url: str = ""
    lineitem_url: str = ""
    nrps_url: str = ""
    deep_linking_settings: dict[str, Any] = field(default_factory=dict)
    for_user_sub: str = ""


def launch_claims_read(data: dict[str, Any], *, issuer: str, client_id: str) -> LaunchClaims:
    """Read a validated launch's claims; raises LaunchError naming a claim of the wrong shape."""
    reader = _Reader(issuer=issuer, client_id=client_id)
    context = reader.object(data, CONTEXT)
    link = reader.object(data, RESOURCE_LINK)
    ags = reader.object(data, AGS_ENDPOINT)
    nrps = reader.object(data, NRPS)
    deep_linking = reader.object(data, DEEP_LINKING_SETTINGS)
    for_user = reader.object(data, FOR_USER)
    if "deep_link_return_url" in deep_linking:
        reader.url(deep_linking, "deep_link_return_url", DEEP_LINKING_SETTINGS)
    message_type = data.get(MESSAGE_TYPE)
    deployment_id = data.get(DEPLOYMENT_ID)
    return LaunchClaims(
        message_type=message_type if isinstance(message_type, str) else "",
        deployment_id=deployment_id if isinstance(deployment_id, str) else "",
        roles=reader.roles(data),
        sub=reader.identifier(data, "sub", None),
        name=_text(data.get("name")),
        given_name=_text(data.get("given_name")),
        family_name=_text(data.get("family_name")),
        email=_email(data.get("email")),
        context_id=reader.identifier(context, "id", CONTEXT),
        context_title=_text(context.get("title")),
        context_label=_text(context.get("label")),
        resource_link_id=reader.identifier(link, "id", RESOURCE_LINK),
        resource_link_title=_text(link.get("title")),
        custom=reader.object(data, CUSTOM),
        lineitems_url=reader.url(ags, "lineitems", AGS_ENDPOINT),
        lineitem_url=reader.url(ags, "lineitem", AGS_ENDPOINT),
        nrps_url=reader.url(nrps, "context_memberships_url", NRPS),
        deep_linking_settings=deep_linking,
        for_user_sub=reader.identifier(for_user, "user_id", FOR_USER),
    )


def points_from(value: Any) -> Decimal | None:
    """Points as a gradebook column holds them (over 0, at most 99999.99, in cents), else None.

    AGS needs a scoreMaximum over 0; the Assignment field holds 7 digits, 2 after the point.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        points = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not points.is_finite() or abs(points.adjusted()) > 10:
        return None  # quantizing 1e999999 would trap
    points = points.quantize(CENT, rounding=ROUND_HALF_UP)
    return points if 0 < points <= MAX_POINTS else None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _text(value: Any, limit: int = MAX_TEXT_LENGTH) -> str:
    """A display string, cut to the column's size; other types are ignored.

    NUL characters and lone surrogates (JSON allows "\\ud800") are dropped or replaced.
    """
    if not isinstance(value, str):
        return ""
    if not _storable(value):
        value = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return value.strip()[:limit]


def _storable(text: str) -> bool:
    """Whether a database can store the text: no NUL (PostgreSQL), no lone surrogate (UTF-8)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_http_url(text: str) -> bool:
    # Looser than URLValidator on purpose: LMS hosts such as http://moodle:8080 (one label,
    # as in a compose network) are real; whitespace and control characters never are.
    if _UNSAFE_URL_CHARACTERS.search(text):
        return False
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _email(value: Any) -> str:
    text = _text(value, MAX_EMAIL_LENGTH + 1)
    if not text or len(text) > MAX_EMAIL_LENGTH:
        return ""
    try:
        validate_email(text)
    except ValidationError:
        return ""
    return text


@dataclass(frozen=True)
class _Reader:
    issuer: str
    client_id: str

    def refuse(self, message: str) -> LaunchError:
        return LaunchError(
            message,
            title=MALFORMED_TITLE,
            hint=MALFORMED_HINT,
            issuer=self.issuer,
            client_id=self.client_id,
        )

    def object(self, data: dict[str, Any], claim: str) -> dict[str, Any]:
        value = data.get(claim)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.refuse(
                f"Its {_CLAIM_NAMES[claim]} claim ({claim}) is {_json_type(value)}, "
                "where LTI 1.3 expects an object."
            )
        return value

    def roles(self, data: dict[str, Any]) -> list[str]:
        value = data.get(ROLES)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.refuse(
                f"Its roles claim ({ROLES}) is {_json_type(value)}, where LTI 1.3 expects a "
                "list of role URIs."
            )
        # Entries that are not text name no role; the others still say who this is.
        # Nor does text a database cannot store (PostgreSQL's jsonb refuses a NUL).
        return [role for role in value if isinstance(role, str) and _storable(role)]

    def identifier(self, data: dict[str, Any], key: str, claim: str | None) -> str:
        value = data.get(key)
        if value is None or value == "":
            return ""
        label = _ID_LABELS[claim]
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.refuse(f"{label} is {_json_type(value)}, not text.")
        text = str(value)
        if not _storable(text):
            raise self.refuse(f"{label} holds a NUL character or an unpaired surrogate.")
        if len(text) > MAX_ID_LENGTH:
            raise self.refuse(
                f"{label} is {len(text):,} characters long; LTI ids, and this tool, allow at "
                f"most {MAX_ID_LENGTH}."
            )
        return text

    def url(self, data: dict[str, Any], key: str, claim: str) -> str:
        value = data.get(key)
        if value is None or value == "":
            return ""
        problem = ""
        if not isinstance(value, str):
            problem = f"is {_json_type(value)}"
        elif len(value) > MAX_URL_LENGTH:
            problem = f"is {len(value)} characters long (at most {MAX_URL_LENGTH})"
        elif not _is_http_url(value):
            problem = "is not an http(s) URL"
        if problem:
            raise self.refuse(f"The {key} URL of its {_CLAIM_NAMES[claim]} claim {problem}.")
        return value
