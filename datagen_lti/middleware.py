"""Answer health probes made from the machine itself, whatever ALLOWED_HOSTS names."""

from __future__ import annotations

from collections.abc import Callable

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
