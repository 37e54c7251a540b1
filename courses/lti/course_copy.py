"""Course copy: an LMS copies a course's links, with their custom parameters, into a new course.

The copied link still names the old course's assignment (``assignment_uuid``), but
arrives with the new course's context. The tool never lets two courses share one
assignment (their learners, datasets and grades are separate): the new course gets
its own assignment, with the source's spec and questions copied and the source recorded.

A uuid alone proves nothing: learners see it in their URLs, and any instructor could put
it in a link's custom parameter to take another course's spec and reference answers.
So a copy is made only when the LMS says this course was copied from the source's
(``$Context.id.history``); when the LMS does not say, only for an instructor of both.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from courses.lti.claims import PENDING_LIFETIME
from courses.lti.errors import LaunchError
from courses.lti.launch_errors import course_copy_refused
from courses.models import Assignment, Course, DatasetSpec, Enrollment, Learner, SpecVersion

# The custom parameter the tool declares everywhere it can (Canvas JSON, Dynamic
# Registration, deep-linked items): the platform substitutes the context ids this course
# was copied from, comma-separated, most recent first.
CONTEXT_HISTORY_PARAM = "context_history"
CONTEXT_HISTORY_VARIABLE = "$Context.id.history"
CONTEXT_HISTORY_CUSTOM = {CONTEXT_HISTORY_PARAM: CONTEXT_HISTORY_VARIABLE}

# What a copy carries over; the due date belongs to the old term and is left empty.
COPIED_SETTINGS = (
    "title",
    "instructions",
    "points",
    "scale",
    "offered_formats",
    "feedback",
    "max_attempts",
    "late_policy",
    "late_penalty_percent",
    "grade_policy",
    "escape_formulas",
)
# SpecVersion fields that travel with the content (its hash stays the same).
COPIED_VERSION_FIELDS = (
    "source",
    "document",
    "source_text",
    "sha256",
    "validation",
    "questions",
    "questions_text",
    "questions_sha256",
    "questions_report",
    "questions_updated_at",
)
UNKNOWN_HINT = (
    "Instructors: remove this link from the course in the LMS and add the tool again "
    "(add an activity or assignment, then select content). Learners: tell your instructor."
)


def assignment_content_copy(*, source: Assignment, target: Assignment) -> SpecVersion | None:
    """Give ``target`` the source's spec: its approved version (approved again), else its latest draft."""
    spec = DatasetSpec.objects.filter(assignment=source).first()
    if spec is None:
        return None
    version = (
        spec.versions.filter(status=SpecVersion.Status.APPROVED).first()
        or spec.versions.order_by("-number").first()
    )
    target_spec, _ = DatasetSpec.objects.get_or_create(
        assignment=target, defaults={"objectives": spec.objectives}
    )
    if version is None:
        return None
    number = (
        target_spec.versions.order_by("-number").values_list("number", flat=True).first()
    ) or 0
    approved = version.status == SpecVersion.Status.APPROVED
    copied = SpecVersion(
        spec=target_spec,
        number=number + 1,
        status=SpecVersion.Status.APPROVED if approved else SpecVersion.Status.DRAFT,
        approved_at=timezone.now() if approved else None,
        **{name: getattr(version, name) for name in COPIED_VERSION_FIELDS},
    )
    if approved:
        target_spec.versions.filter(status=SpecVersion.Status.APPROVED).update(
            status=SpecVersion.Status.SUPERSEDED
        )
    copied.save()
    if approved and target.status == Assignment.Status.DRAFT:
        target.status = Assignment.Status.OPEN
        target.save(update_fields=["status", "updated_at"])
    return copied


@transaction.atomic
def assignment_copy_into(
    *, source: Assignment, course: Course, resource_link_id: str | None, lineitem_url: str = ""
) -> Assignment:
    """A new assignment of ``course`` made from ``source``: its settings, spec and questions."""
    copy = Assignment(
        course=course,
        resource_link_id=resource_link_id or None,
        lineitem_url=lineitem_url,
        copied_from=source,
        **{name: getattr(source, name) for name in COPIED_SETTINGS},
    )
    copy.full_clean(exclude=["lineitem_url"])
    copy.save()
    assignment_content_copy(source=source, target=copy)
    return copy


def context_history(custom: dict[str, Any]) -> list[str] | None:
    """The context ids the launch's course was copied from, or None when the LMS did not say.

    A platform that does not know the variable leaves it out, empty, or as its literal name.
    """
    raw = custom.get(CONTEXT_HISTORY_PARAM)
    if not isinstance(raw, str) or raw.strip() in ("", CONTEXT_HISTORY_VARIABLE):
        return None
    return [part.strip() for part in raw.split(",") if part.strip()]


def course_copy_check(
    *, source: Assignment, course: Course, learner: Learner | None, role: str, custom: dict
) -> None:
    """Allow copying ``source`` into ``course`` only when the LMS copied it; else LaunchError.

    With a context history, the source's course must be in it (for anyone, learners
    included). Without one, only an instructor who is also staff of the source's course.
    """
    registration = course.registration
    who = {"issuer": registration.issuer, "client_id": registration.client_id}
    history = context_history(custom)
    if history is not None:
        if source.course.context_id in history:
            return
        raise course_copy_refused(reason="history", **who)
    if role != "instructor" or learner is None:
        raise course_copy_refused(reason="learner", **who)
    staff_there = Enrollment.objects.filter(
        course=source.course, learner=learner, role=Enrollment.Role.INSTRUCTOR
    ).exists()
    if not staff_there:
        raise course_copy_refused(reason="stranger", **who)


def assignment_for_copied_link(
    *,
    course: Course,
    wanted: uuid.UUID,
    resource_link_id: str | None,
    lineitem_url: str = "",
    learner: Learner | None = None,
    role: str = "learner",
    custom: dict[str, Any] | None = None,
) -> Assignment:
    """The assignment of ``course`` for a link naming another course's assignment ``wanted``.

    Raises LaunchError when the tool has no such assignment, when it belongs to a course
    on another platform registration (the tool never hands one LMS's content to another),
    or when nothing shows the link was copied with its course (``course_copy_check``).
    A copy made earlier for this link is found again without the check.
    """
    registration = course.registration
    source = Assignment.objects.select_related("course").filter(uuid=wanted).first()
    if source is None:
        raise LaunchError(
            f"This link names an assignment the tool does not know (custom parameter "
            f"assignment_uuid={wanted}). It may have been removed, or it was added through "
            "the LMS's selection dialog but the LMS never confirmed it (the tool removes "
            f"such unconfirmed assignments after {PENDING_LIFETIME.days} days).",
            title="This link's assignment is unknown",
            hint=UNKNOWN_HINT,
            status=404,
            issuer=registration.issuer,
            client_id=registration.client_id,
        )
    if source.course.registration_id != registration.pk:
        raise LaunchError(
            "This link was copied from a course on another LMS (or another registration of "
            "this tool): the tool does not share assignments between platforms.",
            title="This link belongs to another LMS",
            hint=UNKNOWN_HINT,
            status=403,
            issuer=registration.issuer,
            client_id=registration.client_id,
        )
    if resource_link_id:
        linked = Assignment.objects.filter(course=course, resource_link_id=resource_link_id).first()
        if linked is not None:
            return linked
    # A copy made by an earlier launch of this link, before the LMS sent its resource link.
    earlier = (
        Assignment.objects.filter(course=course, copied_from=source, resource_link_id__isnull=True)
        .order_by("created_at")
        .first()
    )
    if earlier is not None:
        if resource_link_id:
            earlier.resource_link_id = resource_link_id
            earlier.save(update_fields=["resource_link_id", "updated_at"])
        return earlier
    course_copy_check(source=source, course=course, learner=learner, role=role, custom=custom or {})
    return assignment_copy_into(
        source=source, course=course, resource_link_id=resource_link_id, lineitem_url=lineitem_url
    )
