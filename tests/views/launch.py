"""Bind a test client's session to an LTI launch, as a completed launch would."""

from __future__ import annotations

import dataclasses

from django.test import Client

from courses.lti.access import SESSION_KEY, LaunchContext
from courses.models import Assignment, Enrollment, Learner


def launch_as(client: Client, *, learner: Learner, assignment: Assignment, role: str) -> None:
    """Store a launch context in the client's session (and enroll the person)."""
    Enrollment.objects.update_or_create(
        course=assignment.course, learner=learner, defaults={"role": role}
    )
    context = LaunchContext(
        learner_id=learner.pk,
        course_id=assignment.course_id,
        assignment_uuid=str(assignment.uuid),
        role=role,
        registration_id=assignment.course.registration_id,
        launch_id="test-launch",
    )
    session = client.session
    launches = session.get(SESSION_KEY, {})
    launches[context.session_key] = dataclasses.asdict(context)
    session[SESSION_KEY] = launches
    session.save()
