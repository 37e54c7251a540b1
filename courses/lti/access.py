"""Who may open which page: a Django session bound to LTI launches.

A launch stores a ``LaunchContext`` in the session under the assignment's uuid
(or ``course:<id>`` for a course-level launch such as deep linking). Pages read
it back; nothing else (no cookie, no query parameter) grants access.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse

from courses.lti.errors import render_lti_error
from courses.models import Assignment, Learner

SESSION_KEY = "lti_launches"
Role = Literal["instructor", "learner"]


@dataclass(frozen=True)
class LaunchContext:
    """What one launch proved: who, in which course and assignment, with which role."""

    learner_id: int
    course_id: int
    assignment_uuid: str | None
    role: Role
    registration_id: int
    launch_id: str  # pylti1p3 launch id (for AGS/NRPS/deep-link lookups)

    @property
    def is_instructor(self) -> bool:
        return self.role == "instructor"

    @property
    def session_key(self) -> str:
        return self.assignment_uuid or f"course:{self.course_id}"


def _launches(request: HttpRequest) -> dict[str, dict[str, Any]]:
    stored = request.session.get(SESSION_KEY)
    return stored if isinstance(stored, dict) else {}


def bind_launch(request: HttpRequest, context: LaunchContext) -> None:
    """Remember a launch in the session; a new person in this browser starts a new session."""
    launches = _launches(request)
    people = {entry.get("learner_id") for entry in launches.values()}
    if not launches or people != {context.learner_id}:
        # Another person (or nobody) was bound: start afresh so nothing of theirs
        # carries over, and so the session id changes at the privilege change.
        request.session.flush()
        launches = {}
    launches[context.session_key] = dataclasses.asdict(context)
    request.session[SESSION_KEY] = launches


def _context_from(entry: dict[str, Any]) -> LaunchContext | None:
    try:
        return LaunchContext(**entry)
    except TypeError:
        return None


def launch_context_for(request: HttpRequest, assignment: Assignment) -> LaunchContext | None:
    """The launch that grants this session access to an assignment, if any.

    An instructor's course-level launch (deep linking) covers every assignment of
    that course; a learner needs a launch of the assignment itself.
    """
    launches = _launches(request)
    entry = launches.get(str(assignment.uuid))
    if entry:
        context = _context_from(entry)
        if context and context.course_id == assignment.course_id:
            return context
    entry = launches.get(f"course:{assignment.course_id}")
    if entry:
        context = _context_from(entry)
        if context and context.is_instructor and context.course_id == assignment.course_id:
            return dataclasses.replace(context, assignment_uuid=str(assignment.uuid))
    # An instructor who launched another assignment of the same course may manage this one.
    for entry in launches.values():
        context = _context_from(entry)
        if context and context.is_instructor and context.course_id == assignment.course_id:
            return dataclasses.replace(context, assignment_uuid=str(assignment.uuid))
    return None


def course_launch_context(request: HttpRequest, course_id: int) -> LaunchContext | None:
    """An instructor launch of this course (any assignment or course-level), if any."""
    for entry in _launches(request).values():
        context = _context_from(entry)
        if context and context.course_id == course_id and context.is_instructor:
            return context
    return None


def session_registration_ids(request: HttpRequest) -> set[int]:
    """The platform registrations of the launches this session holds (none without a session)."""
    if getattr(request, "session", None) is None:
        return set()
    ids: set[int] = set()
    for entry in _launches(request).values():
        context = _context_from(entry)
        if context is not None:
            ids.add(context.registration_id)
    return ids


def launch_context_by_id(request: HttpRequest, launch_id: str) -> LaunchContext | None:
    """The launch of this session with a given pylti1p3 launch id (deep linking uses it)."""
    for entry in _launches(request).values():
        context = _context_from(entry)
        if context and context.launch_id == launch_id:
            return context
    return None


def _no_launch(request: HttpRequest) -> HttpResponse:
    return render_lti_error(
        request,
        title="Open this assignment from your course in the LMS",
        message="This page only works when it is opened from the assignment link in your "
        "course (Canvas, Moodle or another LMS). Your session may have expired, or your "
        "browser may have blocked the tool's cookie.",
        hint="Go back to your course and click the assignment again. If it keeps failing "
        "inside the course page, allow third-party cookies for this site or use the "
        "'open in a new window' link.",
        status=401,
    )


def _access_checked(
    view: Callable[..., HttpResponse], *, instructors_only: bool
) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapped(
        request: HttpRequest, assignment_uuid: UUID, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        assignment = (
            Assignment.objects.select_related("course__registration")
            .filter(uuid=assignment_uuid)
            .first()
        )
        if assignment is None:
            # Same answer as "no launch" for an anonymous caller: do not reveal which exist.
            if not _launches(request):
                return _no_launch(request)
            raise Http404("No such assignment.")
        context = launch_context_for(request, assignment)
        if context is None:
            return _no_launch(request)
        if instructors_only and not context.is_instructor:
            return render_lti_error(
                request,
                title="This page is for instructors",
                message="You launched this assignment as a learner, so its instructor pages "
                "are not available to you.",
                hint="If you teach this course, ask your LMS administrator to check your role "
                "in the course, then launch the assignment again.",
                status=403,
                issuer=assignment.course.registration.issuer,
                client_id=assignment.course.registration.client_id,
            )
        learner = Learner.objects.filter(pk=context.learner_id).first()
        if learner is None:
            return _no_launch(request)
        request.launch = context
        request.assignment = assignment
        request.learner = learner
        return view(request, assignment_uuid, *args, **kwargs)

    return wrapped


def instructor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let through only an instructor launch covering the assignment; sets request.launch etc."""
    return _access_checked(view, instructors_only=True)


def learner_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let through any launch covering the assignment (instructors preview as themselves)."""
    return _access_checked(view, instructors_only=False)
