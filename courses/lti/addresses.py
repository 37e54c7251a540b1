"""Absolute, https-correct URLs of the tool's LTI endpoints, for platforms to call."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

DEFAULT_LOCAL_BASE = "http://127.0.0.1:8000"


def base_url(request: HttpRequest | None = None) -> str:
    """The public base URL: DATAGEN_PUBLIC_URL when set, else the request's own origin.

    Behind a proxy the request's scheme and host come from X-Forwarded-Proto and
    X-Forwarded-Host only when DATAGEN_BEHIND_PROXY is on (see settings).
    """
    if settings.DATAGEN_PUBLIC_URL:
        return settings.DATAGEN_PUBLIC_URL
    if request is not None:
        return f"{request.scheme}://{request.get_host()}"
    return DEFAULT_LOCAL_BASE


def absolute(path_or_name: str, request: HttpRequest | None = None, **kwargs: object) -> str:
    """An absolute URL for a URL name (``courses:lti_launch``) or a path (``/lti/launch/``)."""
    path = path_or_name if path_or_name.startswith("/") else reverse(path_or_name, kwargs=kwargs)
    return base_url(request) + path


def tool_urls(request: HttpRequest | None = None) -> dict[str, str]:
    """The URLs an LMS admin pastes: login, launch, JWKS, deep linking, Canvas JSON, registration."""
    return {
        "base": base_url(request),
        "login": absolute("courses:lti_login", request),
        "launch": absolute("courses:lti_launch", request),
        "jwks": absolute("courses:lti_jwks", request),
        "deep_linking": absolute("courses:lti_launch", request),
        "canvas_json": absolute("courses:lti_canvas_json", request),
        "register": absolute("courses:lti_register", request),
    }


def same_origin(a: str, b: str) -> bool:
    """Whether two URLs share scheme and host (with port), the host compared without case."""
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.netloc.lower()) == (pb.scheme, pb.netloc.lower())
