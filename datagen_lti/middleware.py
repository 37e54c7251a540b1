"""Project middleware: loopback health probes, and partitioned (CHIPS) cookies for LMS frames."""

from __future__ import annotations

from collections.abc import Callable
from http.cookies import Morsel

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port

from courses.views.health import healthz

HEALTH_PATH = "/healthz"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})


def is_loopback_probe(request: HttpRequest) -> bool:
    """Whether the request is for /healthz and its Host header names this machine."""
    if request.path_info != HEALTH_PATH:
        return False
    # The raw Host header, not X-Forwarded-Host: the probe comes straight to gunicorn.
    domain, _port = split_domain_port(request.META.get("HTTP_HOST", ""))
    return domain in LOOPBACK_HOSTS


class LoopbackHealthCheckMiddleware:
    """Serve ``GET /healthz`` with ``Host: 127.0.0.1:8000`` (or localhost, [::1]).

    The container's HEALTHCHECK calls http://127.0.0.1:8000/healthz, while
    DJANGO_ALLOWED_HOSTS names only the public host name. Further down,
    CommonMiddleware would answer 400 (DisallowedHost), the container would never
    become healthy and the worker, which waits for it, would never start. Every
    other path, and /healthz for any other host, goes through the usual checks.
    Listed first in MIDDLEWARE.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_loopback_probe(request):
            return healthz(request)
        return self.get_response(request)


# --- CHIPS: partitioned cookies for the LMS frame ----------------------------------


class PartitionedMorsel(Morsel):
    """A cookie whose Set-Cookie line ends with ``Partitioned`` (Python 3.11's Morsel lacks it)."""

    def OutputString(self, attrs=None) -> str:
        return super().OutputString(attrs) + "; Partitioned"


def is_cross_site_cookie(morsel: Morsel) -> bool:
    """Whether a cookie is meant for cross-site frames: ``Secure`` with ``SameSite=None``."""
    return bool(morsel["secure"]) and str(morsel["samesite"]).lower() == "none"


def cookies_partition(response: HttpResponse) -> None:
    """Mark the response's cross-site cookies ``Partitioned`` (CHIPS), deletions included."""
    for key, morsel in list(response.cookies.items()):
        if isinstance(morsel, PartitionedMorsel) or not is_cross_site_cookie(morsel):
            continue
        partitioned = PartitionedMorsel()
        partitioned.set(morsel.key, morsel.value, morsel.coded_value)
        partitioned.update(morsel)
        # dict's own __setitem__: SimpleCookie's would turn the morsel back into a string value.
        dict.__setitem__(response.cookies, key, partitioned)


class PartitionedCookiesMiddleware:
    """Add ``Partitioned`` to every ``Secure; SameSite=None`` cookie a response sets.

    Browsers that block third-party cookies (Chrome with the user's setting, and its
    third-party cookie phase-out) still keep partitioned ones: a cookie set inside the
    LMS's frame is kept for that LMS's site only, so the tool's session, CSRF token and
    pylti1p3's login cookies survive there. Django 5.2 has no setting for the
    attribute. Listed before the session and CSRF middleware, so that it sees the
    cookies they set. ``DATAGEN_PARTITIONED_COOKIES=0`` turns it off.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.DATAGEN_PARTITIONED_COOKIES:
            cookies_partition(response)
        return response
