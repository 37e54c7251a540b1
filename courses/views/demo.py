"""The demo LMS's pages and endpoints; all of them 404 unless DATAGEN_DEMO_MODE is on."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courses.lti import demo
from courses.lti.addresses import base_url
from courses.models import DemoPlacement

logger = logging.getLogger("courses.lti.demo")


def demo_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """404 unless demo mode is on; demo errors become a page (or JSON for services)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.DATAGEN_DEMO_MODE:
            raise Http404("The demo LMS is off.")
        try:
            return view(request, *args, **kwargs)
        except demo.DemoError as exc:
            logger.warning("Demo LMS refused %s: %s", request.path, exc.message)
            if request.path.startswith(("/demo/token/", "/demo/lineitems/", "/demo/memberships/")):
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
    demo.demo_registration_ensure(base=base_url(request))


@demo_only
@never_cache
@require_GET
def demo_home(request: HttpRequest) -> HttpResponse:
    """The demo course page: its links to the tool, its people and the gradebook."""
    _ensure_registered(request)
    lineitems, rows = demo.demo_gradebook_rows()
    return render(
        request,
        "demo/home.html",
        {
            "placements": DemoPlacement.objects.select_related("lineitem"),
            "users": demo.DEMO_USERS,
            "instructor": next(u for u in demo.DEMO_USERS if u.is_instructor),
            "learners": [u for u in demo.DEMO_USERS if not u.is_instructor],
            "lineitems": lineitems,
            "rows": rows,
            "context": demo.DEMO_CONTEXT,
            "issuer": demo.demo_issuer(base_url(request)),
        },
    )


@demo_only
@never_cache
@require_GET
def demo_play(request: HttpRequest) -> HttpResponse:
    """The demo LMS frame: the tool opens in an iframe, as in Canvas or Moodle."""
    _ensure_registered(request)
    user = demo.DEMO_USERS_BY_KEY.get(request.GET.get("user", ""))
    if user is None:
        raise demo.DemoError("Pick a demo user.", status=404)
    placement = None
    if request.GET.get("placement"):
        placement_id = demo.placement_id_from(request.GET["placement"])
        placement = DemoPlacement.objects.filter(pk=placement_id).first() if placement_id else None
        if placement is None:
            raise demo.DemoError("That link is not in the demo course any more.", status=404)
    start = reverse("courses:demo_start") + "?user=" + user.key
    if placement:
        start += f"&placement={placement.pk}"
    return render(
        request,
        "demo/play.html",
        {"user": user, "placement": placement, "start_url": start, "context": demo.DEMO_CONTEXT},
    )


@demo_only
@never_cache
@require_GET
def demo_start(request: HttpRequest) -> HttpResponse:
    """Start a launch: send the browser to the tool's OIDC login URL, as an LMS does."""
    _ensure_registered(request)
    placement = request.GET.get("placement")
    placement_id = demo.placement_id_from(placement) if placement else None
    if placement and placement_id is None:
        raise demo.DemoError("That link is not in the demo course any more.", status=404)
    url = demo.demo_login_url(
        request=request, user_key=request.GET.get("user", ""), placement_id=placement_id
    )
    return redirect(url)


@demo_only
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def demo_auth(request: HttpRequest) -> HttpResponse:
    """The OIDC authorization endpoint: answers the tool with a signed id_token."""
    return HttpResponse(demo.demo_authorize(request=request))


@demo_only
@require_GET
def demo_jwks(request: HttpRequest) -> JsonResponse:
    """The demo LMS's public keys."""
    return JsonResponse(demo.demo_jwks())


@demo_only
@csrf_exempt
@require_POST
def demo_token(request: HttpRequest) -> JsonResponse:
    """The OAuth2 client-credentials token endpoint."""
    return JsonResponse(demo.demo_access_token(request=request))


@demo_only
@csrf_exempt
@require_POST
def demo_deep_link_return(request: HttpRequest) -> HttpResponse:
    """Receive the tool's deep-linking response, then leave the tool's frame."""
    placements = demo.demo_deep_link_receive(request=request)
    target = reverse("courses:demo_home") + (f"?added={placements[0].pk}" if placements else "")
    return render(request, "demo/returned.html", {"target": target, "placements": placements})


@demo_only
@csrf_exempt
@require_http_methods(["GET", "POST"])
def demo_lineitems(request: HttpRequest) -> JsonResponse:
    """AGS line items container: list (GET) or create (POST)."""
    if request.method == "POST":
        demo.demo_authorize_service(request=request, scopes=[demo.AGS_SCOPES[0]])
        return JsonResponse(
            demo.demo_lineitem_create(request=request),
            status=201,
            content_type="application/vnd.ims.lis.v2.lineitem+json",
        )
    demo.demo_authorize_service(request=request, scopes=demo.AGS_SCOPES[:2])
    return JsonResponse(
        demo.demo_lineitems_list(request=request),
        safe=False,
        content_type="application/vnd.ims.lis.v2.lineitemcontainer+json",
    )


@demo_only
@require_GET
def demo_lineitem(request: HttpRequest, lineitem_id: int) -> JsonResponse:
    """One AGS line item."""
    demo.demo_authorize_service(request=request, scopes=demo.AGS_SCOPES[:2])
    lineitem = demo.DemoLineItem.objects.filter(pk=lineitem_id).first()
    if lineitem is None:
        raise demo.DemoError("No such line item.", status=404)
    return JsonResponse(
        demo.lineitem_json(lineitem, base=base_url(request)),
        content_type="application/vnd.ims.lis.v2.lineitem+json",
    )


@demo_only
@csrf_exempt
@require_POST
def demo_lineitem_scores(request: HttpRequest, lineitem_id: int) -> JsonResponse:
    """AGS score publish service."""
    demo.demo_authorize_service(request=request, scopes=[demo.AGS_SCOPES[3]])
    demo.demo_score_receive(request=request, lineitem_id=lineitem_id)
    return JsonResponse({}, status=200)


@demo_only
@require_GET
def demo_memberships(request: HttpRequest) -> JsonResponse:
    """NRPS context membership service, paged with ``Link: <...>; rel="next"``."""
    demo.demo_authorize_service(request=request, scopes=[demo.NRPS_SCOPE])
    body, next_url = demo.demo_members_page(request=request)
    response = JsonResponse(
        body, content_type="application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
    )
    if next_url:
        response["Link"] = f'<{next_url}>; rel="next"'
    return response


@demo_only
@never_cache
@require_GET
def demo_gradebook(request: HttpRequest) -> HttpResponse:
    """The demo gradebook: the scores the tool sent back."""
    lineitems, rows = demo.demo_gradebook_rows()
    return render(request, "demo/gradebook.html", {"lineitems": lineitems, "rows": rows})
