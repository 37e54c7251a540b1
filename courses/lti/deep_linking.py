"""Deep Linking: the instructor picks or creates an assignment; the LMS gets a resource link."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.templatetags.static import static
from django.utils.html import escape
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from courses.lti.addresses import absolute
from courses.lti.claims import (
    ASSIGNMENT_UUID_PARAM,
    DEFAULT_POINTS,
    LINEITEM_TAG,
    MAX_POINTS,
    points_from,
)
from courses.lti.errors import LaunchError
from courses.lti.tool import platform_registration
from courses.models import Assignment, Course

SESSION_KEY = "lti_deep_links"


def deep_link_remember(request: HttpRequest, *, launch_id: str, deep_link: dict[str, Any]) -> None:
    """Keep the deep-linking settings of a launch in the (already bound) session."""
    pending = request.session.get(SESSION_KEY) or {}
    pending[launch_id] = deep_link
    # Only the latest few matter; an instructor rarely has more than one picker open.
    request.session[SESSION_KEY] = dict(list(pending.items())[-5:])


def deep_link_pending(request: HttpRequest, *, launch_id: str) -> dict[str, Any] | None:
    """The deep-linking settings remembered for a launch, if this session has them."""
    return (request.session.get(SESSION_KEY) or {}).get(launch_id)


def deep_link_forget(request: HttpRequest, *, launch_id: str) -> None:
    """Forget a deep-linking launch once answered, so it cannot be answered twice."""
    pending = request.session.get(SESSION_KEY) or {}
    if pending.pop(launch_id, None) is not None:
        request.session[SESSION_KEY] = pending


@transaction.atomic
def assignment_create(*, course: Course, title: str, points: str) -> Assignment:
    """A new assignment in a course, as created from the deep-linking picker.

    ``points`` is the text typed in the picker (empty: the default 100).
    """
    title = title.replace("\x00", "").strip()
    if not title:
        raise LaunchError("Give the assignment a title.", title="The assignment needs a title")
    value = points_from(points.strip() or str(DEFAULT_POINTS))
    if value is None:
        raise LaunchError(
            f"Points must be a number over 0 and at most {MAX_POINTS}, such as 100.",
            title="Check the points",
        )
    assignment = Assignment(course=course, title=title[:255], points=value)
    try:
        assignment.full_clean()
    except ValidationError as exc:
        raise LaunchError(
            " ".join(message for messages in exc.message_dict.values() for message in messages),
            title="Check the assignment",
        ) from exc
    assignment.save()
    return assignment


def assignment_pick(*, course: Course, assignment_uuid: str) -> Assignment:
    """One of the course's assignments, as picked in the deep-linking picker."""
    try:
        wanted = uuid.UUID(assignment_uuid.strip())
    except ValueError:
        wanted = None
    assignment = Assignment.objects.filter(course=course, uuid=wanted).first() if wanted else None
    if assignment is None:
        raise LaunchError("Pick one of the assignments listed.", title="Nothing picked")
    return assignment


def deep_link_content_item(*, assignment: Assignment, request: HttpRequest) -> DeepLinkResource:
    """An ltiResourceLink to the assignment, with its gradebook column (lineItem)."""
    resource = (
        DeepLinkResource()
        .set_type("ltiResourceLink")
        .set_title(assignment.title)
        .set_url(absolute("courses:lti_launch", request))
        .set_custom_params({ASSIGNMENT_UUID_PARAM: str(assignment.uuid)})
    )
    if assignment.points <= 0:
        return resource  # AGS needs a scoreMaximum over 0: an ungraded link has no column
    lineitem = (
        LineItem()
        .set_score_maximum(float(assignment.points))
        .set_label(assignment.title)
        .set_resource_id(str(assignment.uuid))
        .set_tag(LINEITEM_TAG)
    )
    return resource.set_lineitem(lineitem)


def deep_link_response(
    *, deep_link: dict[str, Any], assignment: Assignment, request: HttpRequest
) -> tuple[str, str]:
    """The signed LtiDeepLinkingResponse and the platform URL to post it to."""
    settings = deep_link.get("settings") or {}
    return_url = settings.get("deep_link_return_url")
    if not return_url:
        raise LaunchError(
            "The LMS did not say where to return the selection (deep_link_return_url).",
            title="The LMS cannot receive the selection",
            issuer=deep_link.get("issuer", ""),
            client_id=deep_link.get("client_id", ""),
        )
    registration = platform_registration(
        issuer=deep_link["issuer"], client_id=deep_link["client_id"]
    )
    link = DeepLink(registration, deep_link["deployment_id"], settings)
    message = link.get_message_jwt([deep_link_content_item(assignment=assignment, request=request)])
    if message.get("https://purl.imsglobal.org/spec/lti-dl/claim/data") is None:
        # Only echo ``data`` when the platform sent some.
        message.pop("https://purl.imsglobal.org/spec/lti-dl/claim/data", None)
    return link.encode_jwt(message), return_url


def auto_post_form(
    *, action: str, fields: dict[str, str], title: str = "Returning to the LMS…"
) -> str:
    """A page that posts hidden fields to a URL at once (with a button if scripts are off)."""
    inputs = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in fields.items()
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body>"
        f'<form id="autopost" method="post" action="{escape(action)}">{inputs}'
        f'<noscript><button type="submit">Continue</button></noscript></form>'
        # A static script: the page has no request at hand for a CSP nonce.
        f'<script src="{escape(static("js/autopost.js"))}"></script>'
        "</body></html>"
    )
