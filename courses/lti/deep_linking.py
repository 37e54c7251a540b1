"""Deep Linking: the instructor picks or creates an assignment; the LMS gets a resource link."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.templatetags.static import static
from django.utils import timezone
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
    PENDING_LIFETIME,
    points_from,
    submission_review,
)
from courses.lti.course_copy import CONTEXT_HISTORY_CUSTOM, assignment_content_copy
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


MAX_ITEMS = 20


@dataclass(frozen=True)
class NewItem:
    """One assignment to create, as typed in the picker."""

    title: str
    points: str


def _item_checked(*, course: Course, item: NewItem, number: int | None) -> Assignment:
    where = f"Item {number}: " if number else ""
    title = item.title.replace("\x00", "").strip()
    if not title:
        raise LaunchError(
            f"{where}Give the assignment a title.", title="The assignment needs a title"
        )
    value = points_from(item.points.strip() or str(DEFAULT_POINTS))
    if value is None:
        raise LaunchError(
            f"{where}Points must be a number over 0 and at most {MAX_POINTS}, such as 100.",
            title="Check the points",
        )
    assignment = Assignment(
        course=course, title=title[:255], points=value, link_pending_since=timezone.now()
    )
    try:
        assignment.full_clean()
    except ValidationError as exc:
        raise LaunchError(
            where
            + " ".join(message for messages in exc.message_dict.values() for message in messages),
            title="Check the assignment",
        ) from exc
    return assignment


@transaction.atomic
def assignments_create(
    *, course: Course, items: list[NewItem], spec_from: Assignment | None = None
) -> list[Assignment]:
    """New assignments from the picker, pending until the LMS launches their links.

    All or none: one bad item refuses the lot, naming it. ``spec_from`` gives each the
    spec and questions of an assignment of the course (e.g. one per week from one spec).
    """
    items = [item for item in items if item.title.strip() or item.points.strip()]
    if not items:
        raise LaunchError("Give the assignment a title.", title="The assignment needs a title")
    if len(items) > MAX_ITEMS:
        raise LaunchError(
            f"Add at most {MAX_ITEMS} assignments at once.", title="Too many assignments"
        )
    numbered = len(items) > 1
    checked = [
        _item_checked(course=course, item=item, number=n if numbered else None)
        for n, item in enumerate(items, start=1)
    ]
    for assignment in checked:
        assignment.save()
        if spec_from is not None:
            assignment_content_copy(source=spec_from, target=assignment)
    return checked


def assignment_create(*, course: Course, title: str, points: str) -> Assignment:
    """A new (pending) assignment in a course, as created from the deep-linking picker.

    ``points`` is the text typed in the picker (empty: the default 100).
    """
    return assignments_create(course=course, items=[NewItem(title, points)])[0]


def linkable_assignments(course: Course):
    """The assignments the picker offers: the course's, except unconfirmed ones."""
    return Assignment.objects.filter(course=course, link_pending_since__isnull=True).order_by(
        "-created_at"
    )


def assignments_pick(*, course: Course, assignment_uuids: list[str]) -> list[Assignment]:
    """The course's assignments picked in the picker, in the order picked."""
    picked = []
    for raw in assignment_uuids:
        picked.append(assignment_pick(course=course, assignment_uuid=raw))
    if not picked:
        raise LaunchError("Pick one of the assignments listed.", title="Nothing picked")
    return picked


def pending_assignments_cleanup(*, older_than: timedelta = PENDING_LIFETIME) -> int:
    """Delete picker-made assignments the LMS never launched; returns how many."""
    cutoff = timezone.now() - older_than
    stale = Assignment.objects.filter(link_pending_since__lt=cutoff)
    count = stale.count()
    stale.delete()
    return count


def assignment_pick(*, course: Course, assignment_uuid: str) -> Assignment:
    """One of the course's assignments, as picked in the deep-linking picker."""
    try:
        wanted = uuid.UUID(assignment_uuid.strip())
    except ValueError:
        wanted = None
    assignment = linkable_assignments(course).filter(uuid=wanted).first() if wanted else None
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
        # The history lets a copy of this link in a copied course be trusted (course_copy).
        .set_custom_params({ASSIGNMENT_UUID_PARAM: str(assignment.uuid), **CONTEXT_HISTORY_CUSTOM})
    )
    if assignment.points <= 0:
        return resource  # AGS needs a scoreMaximum over 0: an ungraded link has no column
    review = submission_review(str(assignment.uuid), absolute("courses:lti_launch", request))
    lineitem = (
        LineItem()
        .set_score_maximum(float(assignment.points))
        .set_label(assignment.title)
        .set_resource_id(str(assignment.uuid))
        .set_tag(LINEITEM_TAG)
        .set_submission_review(
            review["reviewableStatus"], review["label"], review["url"], review["custom"]
        )
    )
    return resource.set_lineitem(lineitem)


def deep_link_response(
    *, deep_link: dict[str, Any], assignments: list[Assignment], request: HttpRequest
) -> tuple[str, str]:
    """The signed LtiDeepLinkingResponse (one item per assignment) and where to post it."""
    settings = deep_link.get("settings") or {}
    if len(assignments) > 1 and settings.get("accept_multiple") is False:
        raise LaunchError(
            "The LMS takes one item here: add one assignment, then add the tool again for "
            "the next.",
            title="One assignment at a time",
        )
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
    message = link.get_message_jwt(
        [deep_link_content_item(assignment=a, request=request) for a in assignments]
    )
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
