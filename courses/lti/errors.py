"""LTI failures as types with messages an LMS admin or user can act on, and their page."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger("courses.lti")


class LtiError(Exception):
    """Base of the LTI layer's errors: ``title`` and ``message`` are shown to people."""

    status = 400
    title = "This launch could not be completed"

    def __init__(
        self,
        message: str,
        *,
        title: str | None = None,
        status: int | None = None,
        issuer: str = "",
        client_id: str = "",
        hint: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        if title:
            self.title = title
        if status:
            self.status = status
        self.issuer = issuer
        self.client_id = client_id
        self.hint = hint


class LaunchError(LtiError):
    """A launch (login, id_token, deployment, claims) the tool refuses."""


class RegistrationError(LtiError):
    """A platform registration (dynamic or by command) that failed."""

    title = "The registration could not be completed"


class GradePassbackError(LtiError):
    """A score or lineitem the LMS refused or could not be reached for."""

    title = "The score could not be sent to the LMS"
    retryable = True  # False when the LMS refused the request itself: another try cannot help


class AccessDenied(LtiError):
    """A page asked for without the launch or role it needs."""

    status = 403
    title = "You cannot open this page"


def render_lti_error(
    request: HttpRequest,
    *,
    title: str,
    message: str,
    status: int = 400,
    hint: str = "",
    issuer: str = "",
    client_id: str = "",
    log: bool = True,
) -> HttpResponse:
    """The error page: what went wrong and what to do, never a stack trace."""
    if log:
        logger.warning(
            "LTI failure (%s) on %s: %s | issuer=%s client_id=%s",
            status,
            request.path,
            message,
            issuer or "-",
            client_id or "-",
        )
    html = render_to_string(
        "lti/error.html",
        {"title": title, "message": message, "hint": hint, "status": status},
        request=request,
    )
    response = HttpResponse(html, status=status)
    response["Cache-Control"] = "no-store"
    return response


def render_exception(request: HttpRequest, exc: LtiError) -> HttpResponse:
    """Render one of our exceptions as the error page."""
    return render_lti_error(
        request,
        title=exc.title,
        message=exc.message,
        status=exc.status,
        hint=exc.hint,
        issuer=exc.issuer,
        client_id=exc.client_id,
    )
