"""Let registered LMS platforms frame the tool, and nobody else."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

FRAME_ANCESTORS_CACHE_KEY = "frame-ancestors:v1"
# Canvas's issuer is shared by every instance; the frame parent is the school's host.
CANVAS_ISSUERS = {"https://canvas.instructure.com", "https://canvas.test.instructure.com"}
CANVAS_FRAME_HOSTS = ("https://*.instructure.com",)


def _origin(url: str) -> str | None:
    parts = urlsplit(url or "")
    if parts.scheme in {"http", "https"} and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def platform_frame_ancestors() -> list[str]:
    """Origins of every active registration (issuer and login URL), plus configured extras."""
    cached = cache.get(FRAME_ANCESTORS_CACHE_KEY)
    if cached is not None:
        return cached
    from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

    origins: set[str] = set()
    for issuer, login_url in LtiTool.objects.filter(is_active=True).values_list(
        "issuer", "auth_login_url"
    ):
        origins.update(o for o in (_origin(issuer), _origin(login_url)) if o)
        if issuer.rstrip("/") in CANVAS_ISSUERS:
            origins.update(CANVAS_FRAME_HOSTS)
    result = sorted(origins)
    cache.set(FRAME_ANCESTORS_CACHE_KEY, result, timeout=60)
    return result


def forget_frame_ancestors() -> None:
    """Drop the cached list, after a registration changed."""
    cache.delete(FRAME_ANCESTORS_CACHE_KEY)


class FrameAncestorsMiddleware:
    """Send ``Content-Security-Policy: frame-ancestors`` naming the platforms."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" in response or request.path.startswith("/healthz"):
            return response
        if request.path.startswith("/admin/"):
            sources = ["'self'"]
        else:
            try:
                platforms = platform_frame_ancestors()
            except Exception:  # no tables yet (before migrate): only ourselves
                platforms = []
            sources = ["'self'", *platforms, *settings.FRAME_ANCESTORS_EXTRA]
        response["Content-Security-Policy"] = "frame-ancestors " + " ".join(sources)
        return response
