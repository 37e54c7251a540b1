"""LTI endpoints: OIDC login, launch, JWKS, Canvas JSON, dynamic registration, deep linking."""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from courses.lti import deep_linking, storage
from courses.lti.access import bind_launch, launch_context_by_id
from courses.lti.addresses import tool_urls
from courses.lti.canvas import canvas_configuration
from courses.lti.dynamic_registration import dynamic_registration_run
from courses.lti.errors import LtiError, render_exception, render_lti_error
from courses.lti.invites import HOW_TO_GET_AN_INVITE, INVITE_PARAM, registration_invite_check
from courses.lti.keys import tool_jwks
from courses.lti.launch import launch_claimed_platform, launch_handle, login_redirect
from courses.middleware import frame_ancestors_for_platform
from courses.models import Assignment, Course

logger = logging.getLogger("courses.lti")


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """OIDC login initiation (third-party initiated login), GET or POST."""
    params = request.POST if request.method == "POST" else request.GET
    # The cookie-check page runs in the frame of the platform doing the login.
    frame_ancestors_for_platform(
        request, issuer=params.get("iss", ""), client_id=params.get("client_id", "")
    )
    try:
        response = login_redirect(request=request)
        target = storage.storage_target_of(params)
        if target and response.status_code == 302:
            # The platform keeps state and nonce for a frame that may have no cookies.
            response = storage.storage_login_page(request=request, redirect=response, target=target)
        return response
    except LtiError as exc:
        return render_exception(request, exc)


@csrf_exempt
@never_cache
def launch(request: HttpRequest) -> HttpResponse:
    """The LTI message launch (redirect URI): validate, record, bind the session, route."""
    if request.method != "POST":
        return render_lti_error(
            request,
            title="Open this assignment from your course in the LMS",
            message="This is the tool's launch URL: the LMS posts launches to it. It cannot "
            "be opened directly.",
            hint="Paste it in the LMS as the redirect URI / target link URI.",
            status=405,
            log=False,
        )
    issuer, client_id = launch_claimed_platform(request=request)
    # No launch is bound yet: an error page here is framed by the platform that posted.
    frame_ancestors_for_platform(request, issuer=issuer, client_id=client_id)
    try:
        # A login through the platform's storage: read it back first (courses.lti.storage).
        if (check_page := storage.storage_launch_check(request)) is not None:
            return check_page
        outcome = launch_handle(request=request)
    except LtiError as exc:
        return render_exception(request, exc)
    context = outcome.context
    if outcome.kind == "not_ready":
        return render(request, "lti/not_ready.html", {"message": outcome.message})
    bind_launch(request, context)
    if outcome.kind == "deep_link":
        deep_linking.deep_link_remember(
            request, launch_id=context.launch_id, deep_link=outcome.deep_link or {}
        )
        return redirect("courses:lti_deep_link", launch_id=context.launch_id)
    if outcome.kind == "review" and context.is_instructor:
        return redirect(
            "courses:instructor_learner_detail",
            assignment_uuid=context.assignment_uuid,
            learner_id=outcome.review_learner_id,
        )
    name = (
        "courses:instructor_assignment" if context.is_instructor else "courses:learner_assignment"
    )
    return redirect(reverse(name, kwargs={"assignment_uuid": context.assignment_uuid}))


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    """The tool's public keys, as a JWKS (``{"keys": [...]}``)."""
    response = JsonResponse(tool_jwks())
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def canvas_json(request: HttpRequest) -> JsonResponse:
    """The Canvas developer-key JSON configuration."""
    return JsonResponse(canvas_configuration(request=request), json_dumps_params={"indent": 2})


@never_cache
@require_GET
def register(request: HttpRequest) -> HttpResponse:
    """LTI Dynamic Registration: the platform opens this URL with its openid configuration.

    The URL an administrator pastes carries a one-time invite; the platform appends
    ``openid_configuration`` and ``registration_token`` to it.
    """
    invite_token = request.GET.get(INVITE_PARAM, "")
    openid_configuration = request.GET.get("openid_configuration", "")
    try:
        if not openid_configuration:
            invite = registration_invite_check(token=invite_token) if invite_token else None
            response = render(
                request,
                "lti/register_info.html",
                {"urls": tool_urls(request), "invite": invite, "how_to": HOW_TO_GET_AN_INVITE},
            )
        else:
            result = dynamic_registration_run(
                request=request,
                invite_token=invite_token,
                openid_configuration_url=openid_configuration,
                registration_token=request.GET.get("registration_token", ""),
            )
            response = render(request, "lti/register_done.html", {"result": result})
    except LtiError as exc:
        response = render_exception(request, exc)
    # Moodle and Canvas show this page in an iframe before the platform is registered,
    # so the registered-platforms list of frame-ancestors cannot name it yet; and Canvas
    # frames it from the school's host, not the configuration's. The page holds no
    # action to hijack (the GET itself registers, under a one-time invite), so any
    # parent may frame it.
    response["Content-Security-Policy"] = "frame-ancestors *"
    return response


@never_cache
def setup(request: HttpRequest) -> HttpResponse:
    """The URLs an LMS administrator pastes, on one page."""
    return render(request, "lti/setup.html", {"urls": tool_urls(request)})


@never_cache
@require_http_methods(["GET", "POST"])
def deep_link(request: HttpRequest, launch_id: str) -> HttpResponse:
    """The assignment picker of a deep-linking launch: pick one or create one, then return."""
    context = launch_context_by_id(request, launch_id)
    pending = deep_linking.deep_link_pending(request, launch_id=launch_id)
    if context is None or not context.is_instructor or pending is None:
        return render_lti_error(
            request,
            title="Open this from your course in the LMS",
            message="This selection page belongs to a launch this browser no longer has: it "
            "was already used, or your session expired or lost its cookie.",
            hint="Start again from the LMS (add an activity / external tool).",
            status=401,
        )
    course = Course.objects.filter(pk=context.course_id).first()
    if course is None:
        return render_lti_error(
            request,
            title="This course is no longer known to the tool",
            message="Start again from the LMS.",
            status=404,
        )
    assignments = deep_linking.linkable_assignments(course)
    settings = pending.get("settings") or {}
    form_errors: list[str] = []
    if request.method == "POST":
        try:
            if request.POST.get("action") == "create":
                items = [
                    deep_linking.NewItem(title, points)
                    for title, points in zip(
                        request.POST.getlist("title"), request.POST.getlist("points"), strict=False
                    )
                ]
                spec_from = None
                if request.POST.get("spec_from"):
                    spec_from = deep_linking.assignment_pick(
                        course=course, assignment_uuid=request.POST["spec_from"]
                    )
                with transaction.atomic():
                    picked = deep_linking.assignments_create(
                        course=course, items=items, spec_from=spec_from
                    )
                    token, return_url = deep_linking.deep_link_response(
                        deep_link=pending, assignments=picked, request=request
                    )
            else:
                picked = deep_linking.assignments_pick(
                    course=course, assignment_uuids=request.POST.getlist("assignment")
                )
                token, return_url = deep_linking.deep_link_response(
                    deep_link=pending, assignments=picked, request=request
                )
        except LtiError as exc:
            form_errors.append(exc.message)
        else:
            deep_linking.deep_link_forget(request, launch_id=launch_id)
            return HttpResponse(
                deep_linking.auto_post_form(action=return_url, fields={"JWT": token})
            )
    try:
        rows = int(request.GET.get("items") or request.POST.get("rows") or 1)
    except ValueError:
        rows = 1
    rows = max(1, min(rows, deep_linking.MAX_ITEMS))
    posted_titles = request.POST.getlist("title") if request.method == "POST" else []
    posted_points = request.POST.getlist("points") if request.method == "POST" else []
    rows = max(rows, len(posted_titles))
    new_items = [
        {
            "number": n + 1,
            "title": posted_titles[n] if n < len(posted_titles) else "",
            "points": posted_points[n] if n < len(posted_points) else "100",
        }
        for n in range(rows)
    ]
    return render(
        request,
        "lti/deep_link.html",
        {
            "course": course,
            "assignments": assignments,
            "with_spec": [a for a in assignments if a.status != Assignment.Status.DRAFT],
            "launch_id": launch_id,
            "new_items": new_items,
            "rows": rows,
            "max_items": deep_linking.MAX_ITEMS,
            # The LMS's own title is usually the tool's name: the instructor names each one.
            "accept_multiple": settings.get("accept_multiple") is not False,
            "errors": form_errors,
        },
        status=400 if form_errors else 200,
    )
