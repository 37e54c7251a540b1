"""The demo LMS's pages and endpoints, under /demo/ (routed only when the app is installed)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courses.lti.addresses import base_url
from demo_lms import services
from demo_lms.models import LineItem, Placement
from demo_lms.platform import (
    AGS_LINEITEM,
    AGS_LINEITEM_READONLY,
    AGS_SCORE,
    NRPS_SCOPE,
    PlatformError,
)

logger = logging.getLogger("demo_lms")
SERVICE_PATHS = ("/demo/token/", "/demo/lineitems/", "/demo/memberships/")


def demo_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """404 unless demo mode is on; refusals become a page (or JSON for services)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # The app is installed only in demo mode; this also covers a settings
        # change at run time (the tests switch demo mode per test).
        if not settings.DATAGEN_DEMO_MODE:
            raise Http404("The demo LMS is off.")
        try:
            return view(request, *args, **kwargs)
        except PlatformError as exc:
            logger.warning("Demo LMS refused %s: %s", request.path, exc.message)
            if request.path.startswith(SERVICE_PATHS):
                return JsonResponse({"error": exc.message}, status=exc.status)
            return render(
                request,
                "lti/error.html",
                {
                    "title": "The demo LMS refused this",
                    "message": exc.message,
                    "status": exc.status,
                },
                status=exc.status,
            )

    return wrapped


def _ensure_registered(request: HttpRequest) -> None:
    # The demo registers itself for whatever address it is opened at, so that
    # `runserver 0.0.0.0:8080` works as well as the default 127.0.0.1:8000.
    services.registration_ensure(base=base_url(request))


def _placement(text: str) -> Placement:
    placement_id = services.placement_id_from(text)
    placement = Placement.objects.filter(pk=placement_id).first() if placement_id else None
    if placement is None:
        raise PlatformError("That link is not in the demo course any more.", status=404)
    return placement


@demo_only
@never_cache
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The demo course page: its links to the tool, its people and the gradebook."""
    _ensure_registered(request)
    columns, rows = services.gradebook_rows()
    return render(
        request,
        "demo/home.html",
        {
            "placements": Placement.objects.select_related("lineitem"),
            "users": services.USERS,
            "instructor": next(u for u in services.USERS if u.is_instructor),
            "learners": [u for u in services.USERS if not u.is_instructor],
            "lineitems": columns,
            "rows": rows,
            "context": services.CONTEXT,
            "issuer": services.issuer(base_url(request)),
        },
    )


@demo_only
@never_cache
@require_GET
def play(request: HttpRequest) -> HttpResponse:
    """The demo LMS frame: the tool opens in an iframe, as in Canvas or Moodle."""
    _ensure_registered(request)
    user = services.USERS_BY_KEY.get(request.GET.get("user", ""))
    if user is None:
        raise PlatformError("Pick a demo user.", status=404)
    placement = _placement(request.GET["placement"]) if request.GET.get("placement") else None
    start = reverse("demo_lms:start") + "?user=" + user.key
    if placement:
        start += f"&placement={placement.pk}"
    base = base_url(request)
    return render(
        request,
        "demo/play.html",
        {
            "user": user,
            "placement": placement,
            "start_url": start,
            "context": services.CONTEXT,
            "storage_frame": services.STORAGE_FRAME_NAME if services.offers_storage(base) else "",
            "frame_config": {"tool_origin": _origin(services.tool_base(base))},
        },
    )


@demo_only
@never_cache
@require_GET
def storage(request: HttpRequest) -> HttpResponse:
    """The play page's LTI Platform Storage frame: keeps a launch's state and nonce for the tool.

    It answers ``lti.capabilities``, ``lti.put_data`` and ``lti.get_data`` postMessages
    from the tool's origin only (static/js/demo-storage.js).
    """
    config = {
        "frame": services.STORAGE_FRAME_NAME,
        "tool_origin": _origin(services.tool_base(base_url(request))),
    }
    return render(request, "demo/storage.html", {"config": config})


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@demo_only
@never_cache
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """Start a launch: send the browser to the tool's OIDC login URL, as an LMS does."""
    _ensure_registered(request)
    placement = request.GET.get("placement")
    placement_id = services.placement_id_from(placement) if placement else None
    if placement and placement_id is None:
        raise PlatformError("That link is not in the demo course any more.", status=404)
    url = services.login_url(
        request=request, user_key=request.GET.get("user", ""), placement_id=placement_id
    )
    return redirect(url)


@demo_only
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def auth(request: HttpRequest) -> HttpResponse:
    """The OIDC authorization endpoint: answers the tool with a signed id_token."""
    return HttpResponse(services.authorize(request=request))


@demo_only
@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    """The demo LMS's public keys."""
    return JsonResponse(services.jwks())


@demo_only
@csrf_exempt
@require_POST
def token(request: HttpRequest) -> JsonResponse:
    """The OAuth2 client-credentials token endpoint."""
    return JsonResponse(services.access_token(request=request))


@demo_only
@csrf_exempt
@require_POST
def deep_link_return(request: HttpRequest) -> HttpResponse:
    """Receive the tool's deep-linking response, then leave the tool's frame."""
    placements = services.deep_link_receive(request=request)
    target = reverse("demo_lms:home") + (f"?added={placements[0].pk}" if placements else "")
    return render(request, "demo/returned.html", {"target": target, "placements": placements})


@demo_only
@csrf_exempt
@require_http_methods(["GET", "POST"])
def lineitems(request: HttpRequest) -> JsonResponse:
    """AGS line items container: list (GET) or create (POST)."""
    if request.method == "POST":
        services.authorize_service(request=request, scopes=[AGS_LINEITEM])
        return JsonResponse(
            services.lineitem_create(request=request),
            status=201,
            content_type="application/vnd.ims.lis.v2.lineitem+json",
        )
    services.authorize_service(request=request, scopes=[AGS_LINEITEM, AGS_LINEITEM_READONLY])
    return JsonResponse(
        services.lineitems_list(request=request),
        safe=False,
        content_type="application/vnd.ims.lis.v2.lineitemcontainer+json",
    )


@demo_only
@require_GET
def lineitem(request: HttpRequest, lineitem_id: int) -> JsonResponse:
    """One AGS line item."""
    services.authorize_service(request=request, scopes=[AGS_LINEITEM, AGS_LINEITEM_READONLY])
    item = LineItem.objects.filter(pk=lineitem_id).first()
    if item is None:
        raise PlatformError("No such line item.", status=404)
    return JsonResponse(
        services.lineitem_json(item, base=base_url(request)),
        content_type="application/vnd.ims.lis.v2.lineitem+json",
    )


@demo_only
@csrf_exempt
@require_POST
def lineitem_scores(request: HttpRequest, lineitem_id: int) -> JsonResponse:
    """AGS score publish service."""
    services.authorize_service(request=request, scopes=[AGS_SCORE])
    services.score_receive(request=request, lineitem_id=lineitem_id)
    return JsonResponse({}, status=200)


@demo_only
@require_GET
def memberships(request: HttpRequest) -> JsonResponse:
    """NRPS context membership service, paged with ``Link: <...>; rel="next"``."""
    services.authorize_service(request=request, scopes=[NRPS_SCOPE])
    body, next_url = services.members_page(request=request)
    response = JsonResponse(
        body, content_type="application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
    )
    if next_url:
        response["Link"] = f'<{next_url}>; rel="next"'
    return response


@demo_only
@never_cache
@require_GET
def gradebook(request: HttpRequest) -> HttpResponse:
    """The demo gradebook: the scores the tool sent back."""
    columns, rows = services.gradebook_rows()
    return render(request, "demo/gradebook.html", {"lineitems": columns, "rows": rows})
