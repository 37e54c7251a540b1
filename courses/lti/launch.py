"""Launch handling: validate with pylti1p3, then upsert course, assignment, person and role."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import jwt
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool
from pylti1p3.exception import LtiException, OIDCException

from courses.jobs import job_enqueue_once
from courses.lti.access import LaunchContext
from courses.lti.addresses import absolute, base_url, same_origin
from courses.lti.claims import (
    ASSIGNMENT_UUID_PARAM,
    DEFAULT_POINTS,
    DEPLOYMENT_ID,
    MALFORMED_HINT,
    MALFORMED_TITLE,
    MAX_TEXT_LENGTH,
    SUBMISSION_REVIEW,
    LaunchClaims,
    launch_claims_read,
    points_from,
)
from courses.lti.course_copy import assignment_for_copied_link
from courses.lti.errors import LaunchError
from courses.lti.launch_errors import ADMIN_HINT, launch_error_from
from courses.lti.roles import map_roles
from courses.lti.tool import ToolMessageLaunch, ToolOIDCLogin, launch_data_storage, tool_conf
from courses.models import Assignment, Course, Enrollment, Learner, PlatformRegistration

logger = logging.getLogger("courses.lti")

ROSTER_REFRESH_SECONDS = 15 * 60


@dataclass(frozen=True)
class LaunchOutcome:
    """What a validated launch led to: who, where to send them, and any deep-linking data."""

    kind: Literal["resource", "deep_link", "not_ready", "review"]
    context: LaunchContext
    deep_link: dict[str, Any] | None = None
    message: str = ""
    # Submission review: the person whose submission the launching user opens.
    review_learner_id: int | None = None


# --- OIDC login ---------------------------------------------------------------------


def login_redirect(*, request: HttpRequest):
    """Answer an OIDC login initiation: the redirect to the platform, or the cookie-check page."""
    params = request.POST if request.method == "POST" else request.GET
    issuer = params.get("iss", "")
    client_id = params.get("client_id", "")
    if not issuer or not params.get("login_hint"):
        raise LaunchError(
            "The LMS started a launch without its issuer (iss) or login hint (login_hint).",
            title="This launch request is incomplete",
            hint="Start the launch from the assignment link in your course, not from a bookmark.",
            issuer=issuer,
            client_id=client_id,
        )
    target = params.get("target_link_uri", "")
    if target and not same_origin(target, base_url(request)):
        raise LaunchError(
            f"The LMS asked to open {target}, but this tool answers at {base_url(request)}.",
            title="The launch is for another address",
            hint="Check the tool URLs in the LMS registration. Behind a proxy, set "
            "DATAGEN_PUBLIC_URL (or DATAGEN_BEHIND_PROXY=1 with X-Forwarded-Proto and "
            "X-Forwarded-Host) so the tool knows its public https address.",
            issuer=issuer,
            client_id=client_id,
        )
    oidc = ToolOIDCLogin(request, tool_conf(), launch_data_storage=launch_data_storage())
    if request.is_secure() and not params.get("lti_storage_target"):
        # Inside an LMS iframe a browser may refuse the tool's cookies: check first,
        # and offer a new window when they are blocked. (A platform with storage
        # keeps state and nonce instead: courses.lti.storage.)
        oidc.enable_check_cookies()
    try:
        return oidc.redirect(absolute("courses:lti_launch", request))
    except Exception as exc:
        if not isinstance(exc, LtiException | OIDCException):
            logger.exception("Unexpected failure during OIDC login initiation")
        raise launch_error_from(exc, issuer=issuer, client_id=client_id) from exc


# --- Launch -------------------------------------------------------------------------


def launch_validate(*, request: HttpRequest) -> tuple[ToolMessageLaunch, dict[str, Any]]:
    """Let pylti1p3 check signature, issuer, audience, nonce, state and deployment."""
    try:
        message_launch = ToolMessageLaunch(request)
        data = dict(message_launch.get_launch_data())
    except Exception as exc:
        # pylti1p3 also fails with assertions and jwcrypto errors on malformed input:
        # whatever the cause, the launch is refused with a page, and the log keeps the trace.
        if not isinstance(exc, LtiException | OIDCException):
            logger.exception("Unexpected failure while validating a launch")
        header, body = _unverified(request.POST.get("id_token", ""))
        aud = body.get("aud", "")
        raise launch_error_from(
            exc,
            issuer=str(body.get("iss", "")),
            client_id=str(aud[0] if isinstance(aud, list) and aud else aud),
            header=header,
            deployment_id=str(body.get(DEPLOYMENT_ID, "")),
        ) from exc
    return message_launch, data


def _unverified(id_token: str) -> tuple[dict, dict]:
    """Header and claims of a token that failed validation: only for messages and logs."""
    try:
        header = jwt.get_unverified_header(id_token)
        body = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}, {}
    return (header, body) if isinstance(body, dict) else (header, {})


def launch_claimed_platform(*, request: HttpRequest) -> tuple[str, str]:
    """The issuer and client id a posted id_token claims, unverified: for choosing who frames."""
    _, body = _unverified(request.POST.get("id_token", ""))
    aud = body.get("aud", "")
    client_id = aud[0] if isinstance(aud, list) and aud else aud
    return str(body.get("iss") or ""), str(client_id or "")


def launch_handle(*, request: HttpRequest) -> LaunchOutcome:
    """Validate a launch and record what it says; raises LaunchError with a message to show."""
    message_launch, data = launch_validate(request=request)
    issuer = data.get("iss", "")
    client_id = message_launch.get_client_id()
    registration = LtiTool.objects.select_related("details").get(
        issuer=issuer, client_id=client_id, is_active=True
    )
    details = getattr(registration, "details", None)
    if (
        details
        and details.source == PlatformRegistration.Source.DEMO
        and not settings.DATAGEN_DEMO_MODE
    ):
        raise LaunchError(
            "Launches from the built-in demo LMS are switched off on this server.",
            title="The demo LMS is off",
            status=403,
            issuer=issuer,
            client_id=client_id,
        )
    return launch_record(
        registration=registration, data=data, launch_id=message_launch.get_launch_id()
    )


@transaction.atomic
def launch_record(*, registration: LtiTool, data: dict[str, Any], launch_id: str) -> LaunchOutcome:
    """Upsert the course, person, enrollment and (for resource links) the assignment."""
    issuer, client_id = registration.issuer, registration.client_id
    claims = launch_claims_read(data, issuer=issuer, client_id=client_id)
    message_type = claims.message_type
    if message_type not in {"LtiResourceLinkRequest", "LtiDeepLinkingRequest", SUBMISSION_REVIEW}:
        raise LaunchError(
            f"This tool does not handle {message_type[:100] or 'this kind of'} launches.",
            title="This kind of launch is not supported",
            hint="Place the tool as an assignment or a module link.",
            issuer=issuer,
            client_id=client_id,
        )
    roles = claims.roles
    role = map_roles(roles)
    if role is None:
        named = ", ".join(r.rsplit("#", 1)[-1][:100] for r in roles[:10])
        raise LaunchError(
            f"Your role in this course ({named or 'none'}) cannot use this tool: it is for "
            "instructors and learners.",
            title="Your role cannot open this tool",
            hint="If this is wrong, ask the course's instructor or the LMS administrator "
            "to check your enrollment.",
            status=403,
            issuer=issuer,
            client_id=client_id,
        )
    course = course_upsert(registration=registration, claims=claims)
    learner = learner_upsert(registration=registration, claims=claims)
    enrollment_upsert(course=course, learner=learner, role=role, roles=roles)

    if message_type == "LtiDeepLinkingRequest":
        if role != "instructor":
            raise LaunchError(
                "Only instructors can add this tool to a course.",
                title="This page is for instructors",
                status=403,
                issuer=issuer,
                client_id=client_id,
            )
        return LaunchOutcome(
            kind="deep_link",
            context=LaunchContext(
                learner_id=learner.pk,
                course_id=course.pk,
                assignment_uuid=None,
                role=role,
                registration_id=registration.pk,
                launch_id=launch_id,
            ),
            deep_link={
                "settings": claims.deep_linking_settings,
                "deployment_id": claims.deployment_id,
                "issuer": issuer,
                "client_id": client_id,
            },
        )

    if message_type == SUBMISSION_REVIEW:
        return submission_review_outcome(
            registration=registration,
            course=course,
            learner=learner,
            claims=claims,
            role=role,
            launch_id=launch_id,
        )
    if role == "instructor":
        roster_refresh_soon(course=course)
    assignment = assignment_resolve(course=course, claims=claims, role=role, learner=learner)
    context = LaunchContext(
        learner_id=learner.pk,
        course_id=course.pk,
        assignment_uuid=str(assignment.uuid) if assignment else None,
        role=role,
        registration_id=registration.pk,
        launch_id=launch_id,
    )
    if assignment is None:
        return LaunchOutcome(
            kind="not_ready",
            context=context,
            message="Your instructor hasn't set this assignment up yet.",
        )
    return LaunchOutcome(kind="resource", context=context)


def submission_review_outcome(
    *,
    registration: LtiTool,
    course: Course,
    learner: Learner,
    claims: LaunchClaims,
    role: str,
    launch_id: str,
) -> LaunchOutcome:
    """A review launch from the gradebook: whose submission, of which assignment, may be opened.

    Instructors open any learner of the course; a learner opens only their own.
    """

    def refuse(message: str, title: str, *, status: int = 404, hint: str = "") -> LaunchError:
        return LaunchError(
            message,
            title=title,
            hint=hint,
            status=status,
            issuer=registration.issuer,
            client_id=registration.client_id,
        )

    assignment = None
    wanted = _custom_uuid(claims.custom)
    if wanted:
        assignment = Assignment.objects.filter(uuid=wanted, course=course).first()
    if assignment is None and claims.resource_link_id:
        assignment = Assignment.objects.filter(
            course=course, resource_link_id=claims.resource_link_id
        ).first()
    if assignment is None and claims.lineitem_url:
        assignment = Assignment.objects.filter(
            course=course, lineitem_url=claims.lineitem_url
        ).first()
    if assignment is None:
        raise refuse(
            "The LMS asked to review a submission of an assignment this tool does not know "
            "in this course.",
            "This submission cannot be found",
            hint="Open the assignment from the course once, then review from the gradebook.",
        )
    reviewed = learner
    if claims.for_user_sub and claims.for_user_sub != learner.sub:
        if role != "instructor":
            raise refuse(
                "You can review only your own submission.",
                "This submission is not yours",
                status=403,
            )
        reviewed = Learner.objects.filter(
            registration=registration,
            sub=claims.for_user_sub,
            enrollments__course=course,
        ).first()
        if reviewed is None:
            raise refuse(
                "This learner has not opened the assignment yet, and the course's member "
                "list does not name them: there is no dataset or submission to review.",
                "Nothing to review yet",
            )
    elif role == "instructor" and not claims.for_user_sub:
        raise refuse(
            "The LMS did not say whose submission to review (no for_user claim).",
            "Whose submission?",
            status=400,
            hint="Open the review from a learner's cell in the gradebook.",
        )
    return LaunchOutcome(
        kind="review",
        context=LaunchContext(
            learner_id=learner.pk,
            course_id=course.pk,
            assignment_uuid=str(assignment.uuid),
            role=role,
            registration_id=registration.pk,
            launch_id=launch_id,
        ),
        review_learner_id=reviewed.pk,
    )


def roster_refresh_soon(*, course: Course) -> None:
    """Queue a roster read (NRPS) when an instructor launches, at most every few minutes.

    The instructor's gradebook then lists learners who have not launched yet.
    """
    if not course.nrps_url:
        return
    identity = f"{course.registration.issuer}|{course.registration.client_id}|{course.context_id}"
    key = "lti-roster-refresh:" + hashlib.sha256(identity.encode()).hexdigest()
    if cache.add(key, True, timeout=ROSTER_REFRESH_SECONDS):
        job_enqueue_once(kind="roster_sync", arguments={"course_id": course.pk})


def course_upsert(*, registration: LtiTool, claims: LaunchClaims) -> Course:
    """The course of the context claim, with the service URLs of this launch."""
    if not claims.context_id:
        raise LaunchError(
            "The LMS did not say which course this launch comes from (no context claim).",
            title="This launch has no course",
            hint="Place the tool inside a course, then launch it from there.",
            issuer=registration.issuer,
            client_id=registration.client_id,
        )
    course, _ = Course.objects.select_for_update().get_or_create(
        registration=registration, context_id=claims.context_id
    )
    changed = []
    for field, value in (
        ("title", claims.context_title),
        ("label", claims.context_label),
        ("lineitems_url", claims.lineitems_url),
        ("nrps_url", claims.nrps_url),
    ):
        if value and getattr(course, field) != value:
            setattr(course, field, value)
            changed.append(field)
    if changed:
        course.save(update_fields=[*changed, "updated_at"])
    return course


def learner_upsert(*, registration: LtiTool, claims: LaunchClaims) -> Learner:
    """The person of ``sub``; names and email are kept when a launch leaves them out."""
    if not claims.sub:
        raise LaunchError(
            "The LMS sent an anonymous launch (no user id, 'sub').",
            title="This launch has no user",
            hint="Log in to the LMS, then launch again. " + ADMIN_HINT,
            issuer=registration.issuer,
            client_id=registration.client_id,
        )
    learner, _ = Learner.objects.get_or_create(registration=registration, sub=claims.sub)
    changed = []
    for field in ("name", "given_name", "family_name", "email"):
        value = getattr(claims, field)
        if value and getattr(learner, field) != value:
            setattr(learner, field, value)
            changed.append(field)
    if not learner.name and (learner.given_name or learner.family_name):
        learner.name = f"{learner.given_name} {learner.family_name}".strip()[:MAX_TEXT_LENGTH]
        changed.append("name")
    if changed:
        learner.save(update_fields=[*set(changed), "updated_at"])
    return learner


def enrollment_upsert(
    *, course: Course, learner: Learner, role: str, roles: list[str]
) -> Enrollment:
    """Record the person's role in the course, as this launch states it."""
    enrollment, _ = Enrollment.objects.update_or_create(
        course=course,
        learner=learner,
        defaults={
            "role": role,
            "lti_roles": roles,
            "source": Enrollment.Source.LAUNCH,
            "last_launch_at": timezone.now(),
        },
    )
    return enrollment


def _custom_uuid(custom: dict[str, Any]) -> uuid.UUID | None:
    raw = custom.get(ASSIGNMENT_UUID_PARAM)
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        return uuid.UUID(raw.strip())
    except ValueError:
        return None  # e.g. an unexpanded substitution variable


def assignment_resolve(
    *, course: Course, claims: LaunchClaims, role: str, learner: Learner | None = None
) -> Assignment | None:
    """Find the assignment by the uuid custom parameter, else by resource link; create it for instructors."""
    resource_link_id = claims.resource_link_id or None
    lineitem_url = claims.lineitem_url

    assignment = None
    wanted = _custom_uuid(claims.custom)
    if wanted:
        assignment = (
            Assignment.objects.select_for_update().filter(uuid=wanted, course=course).first()
        )
        if assignment is None:
            # A link copied from another course (LMS course copy), or an unknown one.
            return assignment_for_copied_link(
                course=course,
                wanted=wanted,
                resource_link_id=resource_link_id,
                lineitem_url=lineitem_url,
                learner=learner,
                role=role,
                custom=claims.custom,
            )
    if assignment is None and resource_link_id:
        assignment = (
            Assignment.objects.select_for_update()
            .filter(course=course, resource_link_id=resource_link_id)
            .first()
        )
    if assignment is None:
        if role != "instructor":
            return None
        points = points_from(claims.custom.get("points"))
        assignment = Assignment(
            course=course,
            resource_link_id=resource_link_id,
            title=claims.resource_link_title or "Untitled dataset assignment",
            points=DEFAULT_POINTS if points is None else points,
            lineitem_url=lineitem_url,
        )
        # The lineitem URL was checked with the claims: URLField's validator would refuse
        # one-label LMS hosts such as http://moodle:8080.
        try:
            assignment.full_clean(exclude=["lineitem_url"])
        except ValidationError as exc:
            raise LaunchError(
                "The LMS's launch cannot create an assignment: "
                + "; ".join(
                    f"{name}: {' '.join(errors)}" for name, errors in exc.message_dict.items()
                ),
                title=MALFORMED_TITLE,
                hint=MALFORMED_HINT,
                issuer=course.registration.issuer,
                client_id=course.registration.client_id,
            ) from exc
        assignment.save()
        return assignment

    changed = []
    if assignment.link_pending_since is not None:
        # The LMS launched the link the picker returned: it took it.
        assignment.link_pending_since = None
        changed.append("link_pending_since")
    if resource_link_id and not assignment.resource_link_id:
        clash = Assignment.objects.filter(course=course, resource_link_id=resource_link_id)
        if not clash.exclude(pk=assignment.pk).exists():
            assignment.resource_link_id = resource_link_id
            changed.append("resource_link_id")
    if lineitem_url and assignment.lineitem_url != lineitem_url:
        assignment.lineitem_url = lineitem_url
        changed.append("lineitem_url")
    if changed:
        assignment.save(update_fields=[*changed, "updated_at"])
    return assignment
