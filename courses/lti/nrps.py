"""Names and Role Provisioning Services: the course roster, including people who never launched."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from courses.lti.errors import LtiError
from courses.lti.roles import map_roles
from courses.lti.services import PlatformServiceClient, ServiceError
from courses.models import Course, Enrollment, Learner

SCOPE_MEMBERSHIP = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEMBERSHIP_MEDIA = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_PAGES = 200


class RosterError(LtiError):
    """The roster could not be read from the LMS."""

    title = "The course roster could not be read"


@dataclass(frozen=True)
class RosterSummary:
    members: int
    pages: int
    learners_created: int
    enrollments_created: int


def roster_fetch(
    *, course: Course, client: PlatformServiceClient | None = None
) -> tuple[list[dict], int]:
    """Every member of the course, following ``Link: rel="next"`` across pages."""
    registration = course.registration
    if not course.nrps_url:
        raise RosterError(
            "The LMS gave no roster service for this course: launch the tool once from the "
            "course, and check the tool may use Names and Role Provisioning Services.",
            issuer=registration.issuer,
            client_id=registration.client_id,
        )
    client = client or PlatformServiceClient(registration)
    members: list[dict] = []
    url: str | None = course.nrps_url
    pages = 0
    seen: set[str] = set()
    while url and pages < MAX_PAGES and url not in seen:
        seen.add(url)
        try:
            page = client.request("GET", url, scopes=[SCOPE_MEMBERSHIP], accept=MEMBERSHIP_MEDIA)
        except ServiceError as exc:
            raise RosterError(
                exc.message, issuer=registration.issuer, client_id=registration.client_id
            ) from exc
        body = page.body if isinstance(page.body, dict) else {}
        members.extend(m for m in body.get("members", []) if isinstance(m, dict))
        url, pages = page.next_url, pages + 1
    return members, pages


@transaction.atomic
def course_roster_sync(
    *, course: Course, client: PlatformServiceClient | None = None
) -> RosterSummary:
    """Upsert the people and enrollments of the course's roster (role per the roster's roles)."""
    members, pages = roster_fetch(course=course, client=client)
    learners_created = enrollments_created = 0
    for member in members:
        sub = str(member.get("user_id") or "")
        if not sub or member.get("status") == "Deleted":
            continue
        roles = [r for r in member.get("roles", []) if isinstance(r, str)]
        role = map_roles(roles)
        if role is None:
            continue
        learner, created = Learner.objects.get_or_create(registration=course.registration, sub=sub)
        learners_created += created
        changed = []
        for field in ("name", "given_name", "family_name", "email"):
            value = str(member.get(field) or "")
            if value and getattr(learner, field) != value:
                setattr(learner, field, value)
                changed.append(field)
        if changed:
            learner.save(update_fields=[*changed, "updated_at"])
        enrollment, created = Enrollment.objects.get_or_create(
            course=course,
            learner=learner,
            defaults={"role": role, "lti_roles": roles, "source": Enrollment.Source.ROSTER},
        )
        enrollments_created += created
        if not created and (enrollment.role != role or enrollment.lti_roles != roles):
            enrollment.role, enrollment.lti_roles = role, roles
            enrollment.save(update_fields=["role", "lti_roles", "updated_at"])
    return RosterSummary(
        members=len(members),
        pages=pages,
        learners_created=learners_created,
        enrollments_created=enrollments_created,
    )
