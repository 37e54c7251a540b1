"""Course copy: an LMS copies a course's links, with their custom parameters, into a new course.

The copied link still names the old course's assignment (``assignment_uuid``), but
arrives with the new course's context. The tool never lets two courses share one
assignment (their learners, datasets and grades are separate): the new course gets
its own assignment, with the source's spec and questions copied and the source recorded.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from courses.lti.errors import LaunchError
from courses.models import Assignment, Course, DatasetSpec, SpecVersion

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


def assignment_for_copied_link(
    *,
    course: Course,
    wanted: uuid.UUID,
    resource_link_id: str | None,
    lineitem_url: str = "",
) -> Assignment:
    """The assignment of ``course`` for a link naming another course's assignment ``wanted``.

    Raises LaunchError when the tool has no such assignment, or when it belongs to a course
    on another platform registration (the tool never hands one LMS's content to another).
    """
    registration = course.registration
    source = Assignment.objects.select_related("course").filter(uuid=wanted).first()
    if source is None:
        raise LaunchError(
            f"This link names an assignment the tool does not know (custom parameter "
            f"assignment_uuid={wanted}). It may have been removed, or it was added through "
            "the LMS's selection dialog but the LMS never confirmed it (the tool removes "
            "such unconfirmed assignments after a day).",
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
    return assignment_copy_into(
        source=source, course=course, resource_link_id=resource_link_id, lineitem_url=lineitem_url
    )
