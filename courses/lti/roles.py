"""Map LTI role URIs to the tool's two roles."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person"
SYSTEM = "http://purl.imsglobal.org/vocab/lis/v2/system/person"
LTI_SYSTEM = "http://purl.imsglobal.org/vocab/lti/system/person"

# Context roles (and their sub-roles) that manage an assignment.
INSTRUCTOR_CONTEXT_ROLES = {"Instructor", "TeachingAssistant", "ContentDeveloper", "Administrator"}
# Administrators of the institution or the LMS act as instructors wherever they launch.
ADMINISTRATOR_ROLES = {
    f"{INSTITUTION}#Administrator",
    f"{SYSTEM}#Administrator",
    f"{SYSTEM}#SysAdmin",
}
# Canvas's "Student View" launches as a test user: treat it as a learner.
TEST_USER_ROLES = {f"{LTI_SYSTEM}#TestUser", f"{SYSTEM}#TestUser"}


def _context_role(role: str) -> str | None:
    """The principal context role of a role URI or short name, e.g. 'Instructor'."""
    if role.startswith(MEMBERSHIP + "#"):
        return role.split("#", 1)[1]
    if role.startswith(MEMBERSHIP + "/"):
        # A sub-role: membership/Instructor#TeachingAssistant belongs to Instructor,
        # but a TeachingAssistant sub-role is named after the fragment too.
        principal, _, sub = role[len(MEMBERSHIP) + 1 :].partition("#")
        return "TeachingAssistant" if sub == "TeachingAssistant" else principal
    if "/" not in role and "#" not in role:
        return role  # LTI 1.3 allows the short names of context roles
    return None


def map_roles(roles: Iterable[str]) -> Literal["instructor", "learner"] | None:
    """Instructor for staff roles, learner for Learner (and test users), None otherwise.

    Institution roles such as ``institution/person#Instructor`` are deliberately
    ignored: a teacher enrolled as a student in someone else's course is a learner there.
    """
    roles = [role.strip() for role in roles if isinstance(role, str)]
    context_roles = {_context_role(role) for role in roles} - {None}
    if context_roles & INSTRUCTOR_CONTEXT_ROLES or set(roles) & ADMINISTRATOR_ROLES:
        return "instructor"
    if "Learner" in context_roles or "Student" in context_roles or set(roles) & TEST_USER_ROLES:
        return "learner"
    return None


def staff_label(roles: Iterable[str]) -> str:
    """How the roster names a staff member: teaching assistant, administrator or instructor."""
    roles = [role.strip() for role in roles if isinstance(role, str)]
    context_roles = {_context_role(role) for role in roles} - {None}
    if "TeachingAssistant" in context_roles:
        return "Teaching assistant"
    if "Instructor" in context_roles:
        return "Instructor"
    if "ContentDeveloper" in context_roles:
        return "Content developer"
    if "Administrator" in context_roles or set(roles) & ADMINISTRATOR_ROLES:
        return "Administrator"
    return "Instructor"
