"""The Content-Security-Policy of every page: script nonces, and which LMS may frame the tool.

Scripts run only from the tool's own static files or with the per-request nonce
(``request.csp_nonce``, ``{{ csp_nonce }}`` in templates), so markup injected
into a page cannot run. Frames: a page of a session with a launch may be framed
by that launch's platform; other pages by the platform a view names (the login
page: the platform doing the login), else by every active registration.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from courses.lti.access import session_registration_ids

CSP_HEADER = "Content-Security-Policy"
FRAME_ANCESTORS_CACHE_KEY = "frame-ancestors:v2"
# Canvas's issuer is shared by every instance; the frame parent is the school's host.
CANVAS_ISSUERS = {"https://canvas.instructure.com", "https://canvas.test.instructure.com"}
CANVAS_FRAME_HOSTS = ("https://*.instructure.com",)
# Set by a view (``frame_ancestors_for_platform``) to name the registrations that may frame it.
REQUEST_REGISTRATIONS_ATTR = "frame_ancestor_registrations"


def _origin(url: str) -> str | None:
    parts = urlsplit(url or "")
    if parts.scheme in {"http", "https"} and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def _registration_origins() -> dict[int, list[str]]:
    """Each active registration's frame origins (issuer and login URL), cached briefly."""
    cached = cache.get(FRAME_ANCESTORS_CACHE_KEY)
    if cached is not None:
        return cached
    from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

    result: dict[int, list[str]] = {}
    for pk, issuer, login_url in LtiTool.objects.filter(is_active=True).values_list(
        "pk", "issuer", "auth_login_url"
    ):
        origins = {o for o in (_origin(issuer), _origin(login_url)) if o}
        if issuer.rstrip("/") in CANVAS_ISSUERS:
            origins.update(CANVAS_FRAME_HOSTS)
        result[pk] = sorted(origins)
    cache.set(FRAME_ANCESTORS_CACHE_KEY, result, timeout=60)
    return result


def platform_frame_ancestors(registration_ids: Iterable[int] | None = None) -> list[str]:
    """Frame origins of the given active registrations, or of every active one when None."""
    by_registration = _registration_origins()
    ids = by_registration.keys() if registration_ids is None else registration_ids
    origins: set[str] = set()
    for pk in ids:
        origins.update(by_registration.get(pk, ()))
    return sorted(origins)


def forget_frame_ancestors() -> None:
    """Drop the cached origins, after a registration changed."""
    cache.delete(FRAME_ANCESTORS_CACHE_KEY)


def frame_ancestors_for_platform(request: HttpRequest, *, issuer: str, client_id: str = "") -> None:
    """Let only the registrations of this issuer (and client id, if given) frame the response.

    For pages shown before a launch is bound to the session (OIDC login, a failed
    launch). Without a matching active registration the default applies.
    """
    from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

    if not issuer:
        return
    matches = LtiTool.objects.filter(is_active=True, issuer=issuer)
    if client_id:
        matches = matches.filter(client_id=client_id)
    ids = list(matches.values_list("pk", flat=True))
    if ids:
        setattr(request, REQUEST_REGISTRATIONS_ATTR, ids)


def _frame_sources(request: HttpRequest) -> list[str]:
    if request.path.startswith("/admin/"):
        return ["'self'"]
    named = getattr(request, REQUEST_REGISTRATIONS_ATTR, None)
    try:
        if named:
            platforms = platform_frame_ancestors(named)
        elif launched := session_registration_ids(request):
            platforms = platform_frame_ancestors(launched)
        else:
            platforms = platform_frame_ancestors()
    except Exception:  # no tables yet (before migrate): only ourselves
        platforms = []
    return ["'self'", *platforms, *settings.FRAME_ANCESTORS_EXTRA]


# --- Scripts ------------------------------------------------------------------------

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL)


@functools.cache
def django_rq_script_hashes() -> tuple[str, ...]:
    """Hashes of the fixed inline scripts of django-rq's dashboard (``/admin/rq/``)."""
    try:
        import django_rq
    except ImportError:
        return ()
    hashes: set[str] = set()
    for template in (Path(django_rq.__file__).parent / "templates").rglob("*.html"):
        for body in _INLINE_SCRIPT.findall(template.read_text(encoding="utf-8")):
            if "{{" in body or "{%" in body:
                continue  # rendered per request: cannot be hashed ahead
            digest = hashlib.sha256(body.encode("utf-8")).digest()
            hashes.add(f"'sha256-{base64.b64encode(digest).decode('ascii')}'")
    return tuple(sorted(hashes))


def _script_directives(request: HttpRequest, nonce: str) -> list[str]:
    sources = ["'self'", f"'nonce-{nonce}'"]
    if request.path.startswith("/admin/rq/"):
        sources += django_rq_script_hashes()
    return ["script-src " + " ".join(sources), "object-src 'none'", "base-uri 'self'"]


def csp_merge(header: str, directives: Iterable[str]) -> str:
    """Add directives to a policy; a directive the policy already has is kept as it is."""
    parts = [part.strip() for part in header.split(";") if part.strip()]
    present = {part.split()[0].lower() for part in parts}
    parts += [d for d in directives if d.split()[0].lower() not in present]
    return "; ".join(parts)


class ContentSecurityPolicyMiddleware:
    """Send a Content-Security-Policy with script nonces and the allowed frame ancestors.

    A view that sets its own header (such as ``frame-ancestors *``) keeps it; the
    script directives are merged in.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(18)
        request.csp_nonce = nonce
        response = self.get_response(request)
        if request.path.startswith("/healthz"):
            return response
        header = response.get(CSP_HEADER, "")
        if not header:
            header = "frame-ancestors " + " ".join(_frame_sources(request))
        response[CSP_HEADER] = csp_merge(header, _script_directives(request, nonce))
        return response


# The name settings.MIDDLEWARE has always used.
FrameAncestorsMiddleware = ContentSecurityPolicyMiddleware
