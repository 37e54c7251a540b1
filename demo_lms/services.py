"""The demo course: its people, its registration with the tool, its launches and gradebook.

The protocol work is ``demo_lms.platform``'s; this module keeps the demo's state in
its tables and registers the demo with the tool that runs in the same process.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

from courses.lti.addresses import base_url, same_origin
from courses.lti.deep_linking import auto_post_form
from courses.lti.keys import generate_rsa_pair, tool_jwks
from courses.lti.registration import PlatformSettings, platform_register
from courses.models import PlatformRegistration
from demo_lms import platform
from demo_lms.models import LineItem, Placement, PlatformKey, Score
from demo_lms.platform import (
    MEMBERSHIP,
    CourseContext,
    LaunchUser,
    PlatformConf,
    PlatformError,
    PlatformIdentity,
    RequestData,
    ResourceLink,
)

CLIENT_ID = "datagen-demo-client"
DEPLOYMENT_ID = "datagen-demo-deployment"
CONTEXT = CourseContext(id="demo-course", title="Data Analysis 101 (demo)", label="DA101")
MEMBERS_PAGE_SIZE = 3
# LTI Platform Storage: the login parameter, and the play page's frame that keeps the data.
STORAGE_TARGET_PARAM = "lti_storage_target"
STORAGE_FRAME_NAME = "demo-lti-storage"


@dataclass(frozen=True)
class DemoUser:
    """A person in the demo course; ``key`` names them in the demo's URLs."""

    key: str
    name: str
    role: str  # "Instructor" or "Learner"

    @property
    def sub(self) -> str:
        return f"demo-{self.key}"

    @property
    def email(self) -> str:
        return f"{self.key}@demo.datagen.invalid"

    @property
    def is_instructor(self) -> bool:
        return self.role == "Instructor"

    def launch_user(self) -> LaunchUser:
        given, _, family = self.name.partition(" ")
        return LaunchUser(
            sub=self.sub,
            name=self.name,
            roles=[MEMBERSHIP + self.role],
            email=self.email,
            given_name=given,
            family_name=family,
        )


USERS = [
    DemoUser("katherine", "Katherine Johnson", "Instructor"),
    DemoUser("ada", "Ada Lovelace", "Learner"),
    DemoUser("grace", "Grace Hopper", "Learner"),
    DemoUser("alan", "Alan Turing", "Learner"),
]
USERS_BY_KEY = {user.key: user for user in USERS}
USERS_BY_SUB = {user.sub: user for user in USERS}


# --- Keys and registration ---------------------------------------------------------


def private_key() -> str:
    """The demo LMS's signing key, created on first use."""
    key = PlatformKey.objects.order_by("pk").first()
    if key is None:
        private_pem, _ = generate_rsa_pair()
        key = PlatformKey.objects.create(private_key=private_pem)
    return key.private_key


def _public_pem(private_pem: str) -> str:
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def issuer(base: str) -> str:
    return f"{base}/demo"


def tool_base(base: str) -> str:
    """Where the demo LMS reached at ``base`` launches the tool (DATAGEN_DEMO_TOOL_URL, else there)."""
    return settings.DATAGEN_DEMO_TOOL_URL or base


def offers_storage(base: str) -> bool:
    """Whether the demo offers LTI Platform Storage: when the tool is on another origin.

    There the tool's frame is cross-site, as under Canvas or Moodle on their own host;
    on the same origin its cookies are first-party and the cookie login is enough.
    """
    return not same_origin(tool_base(base), base)


def identity(base: str) -> PlatformIdentity:
    """The demo LMS reached at ``base``, in front of the tool (at the same address by default)."""
    private_pem = private_key()
    return PlatformIdentity(
        issuer=issuer(base),
        client_id=CLIENT_ID,
        deployment_id=DEPLOYMENT_ID,
        tool_base=tool_base(base),
        private_pem=private_pem,
        public_pem=_public_pem(private_pem),
        # The tool runs in this very process: read its key set directly rather
        # than fetching our own URL (a single-worker server would wait on itself).
        tool_key_set=tool_jwks(),
    )


def conf_for(request: HttpRequest) -> PlatformConf:
    return platform.platform_conf(identity(base_url(request)))


def jwks() -> dict[str, list[dict]]:
    """The demo LMS's public key set."""
    return platform.public_jwks(_public_pem(private_key()))


@transaction.atomic
def registration_ensure(*, base: str) -> LtiTool:
    """Register the demo LMS reached at ``base`` with the tool (idempotent)."""
    key_set = jwks()
    existing = LtiTool.objects.filter(
        issuer=issuer(base), client_id=CLIENT_ID, is_active=True
    ).first()
    if existing and existing.key_set and json.loads(existing.key_set) == key_set:
        return existing  # already registered: no writes on every page view
    tool, _ = platform_register(
        settings=PlatformSettings(
            issuer=issuer(base),
            client_id=CLIENT_ID,
            auth_login_url=f"{base}/demo/auth/",
            auth_token_url=f"{base}/demo/token/",
            key_set_url=f"{base}/demo/jwks/",
            # Also stored inline: launches then need no request to this same server.
            key_set=key_set,
            deployment_ids=[DEPLOYMENT_ID],
            title="Demo LMS",
        ),
        source=PlatformRegistration.Source.DEMO,
        details={"platform_name": "Demo LMS", "product_family_code": "datagen-demo"},
    )
    return tool


# --- Launches -------------------------------------------------------------------------


def request_data(request: HttpRequest) -> RequestData:
    return RequestData(
        method=request.method or "GET",
        query=dict(request.GET.items()),
        form=dict(request.POST.items()),
        headers=dict(request.headers),
        content_type=request.content_type,
        path=request.path,
    )


def placement_id_from(text: Any) -> int | None:
    """A placement id from a query parameter or message hint; None unless a plausible key.

    Anything else ("abc", "²", a 30-digit number that no database integer holds) is
    no placement: the caller answers "not in the demo course", never a 500.
    """
    # Up to 18 digits: every such number fits the primary key (a BigAutoField).
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{1,18}", text):
        return None
    value = int(text)
    return value if value > 0 else None


def _not_in_course() -> PlatformError:
    return PlatformError("That link is not in the demo course any more.", status=404)


def login_url(*, request: HttpRequest, user_key: str, placement_id: int | None) -> str:
    """Where the LMS sends the browser to start a launch: the tool's OIDC login URL."""
    user = USERS_BY_KEY.get(user_key)
    if user is None:
        raise PlatformError(f"There is no demo user {user_key!r}.", status=404)
    if placement_id and not Placement.objects.filter(pk=placement_id).exists():
        raise _not_in_course()
    if not placement_id and not user.is_instructor:
        raise PlatformError("Only the instructor can add the tool to the course.", status=403)
    hint = f"placement:{placement_id}" if placement_id else "deep-link"
    url = platform.login_url(conf_for(request), user_sub=user.sub, message_hint=hint)
    if offers_storage(base_url(request)):
        # Like Canvas: the tool keeps its OIDC state in the play page's storage frame.
        url += "&" + urlencode({STORAGE_TARGET_PARAM: STORAGE_FRAME_NAME})
    return url


def authorize(*, request: HttpRequest) -> str:
    """The OIDC authorization endpoint: sign the id_token and post it to the tool."""
    params = request.GET if request.method == "GET" else request.POST
    user = USERS_BY_SUB.get(params.get("login_hint", ""))
    if user is None:
        raise PlatformError("Unknown login_hint: the demo LMS does not know this user.")
    base = base_url(request)
    launch: dict[str, Any] = {}
    hint = params.get("lti_message_hint", "")
    if hint == "deep-link":
        if not user.is_instructor:
            raise PlatformError("Only the instructor can add the tool to the course.", status=403)
        launch = {
            "deep_link_return_url": f"{base}/demo/deep-link-return/",
            "deep_link_title": "New dataset assignment",
        }
    elif hint.startswith("placement:"):
        placement_id = placement_id_from(hint.split(":", 1)[1])
        placement = Placement.objects.filter(pk=placement_id).first() if placement_id else None
        if placement is None:
            raise _not_in_course()
        lineitem_url = (
            f"{base}/demo/lineitems/{placement.lineitem_id}/" if placement.lineitem_id else None
        )
        launch = {
            "resource_link": ResourceLink(
                id=placement.resource_link_id,
                title=placement.title,
                custom=dict(placement.custom or {}),
                lineitem_url=lineitem_url,
            )
        }
    else:
        raise PlatformError("Unknown lti_message_hint.")
    # Platform storage: the launch names the storage target the login did.
    target = params.get(STORAGE_TARGET_PARAM, "")
    storage_echo = {STORAGE_TARGET_PARAM: target} if target == STORAGE_FRAME_NAME else {}
    return platform.launch_page(
        conf_for(request),
        request_data(request),
        user=user.launch_user(),
        context=CONTEXT,
        lineitems_url=f"{base}/demo/lineitems/",
        memberships_url=f"{base}/demo/memberships/",
        return_url=f"{base}/demo/",
        render_form=lambda action, fields: auto_post_form(
            action=action, fields={**fields, **storage_echo}, title="Opening the tool…"
        ),
        **launch,
    )


@transaction.atomic
def deep_link_receive(*, request: HttpRequest) -> list[Placement]:
    """Validate the tool's LtiDeepLinkingResponse and place its links in the demo course."""
    items = platform.deep_link_items(conf_for(request), request.POST.get("JWT", ""))
    placements = []
    for item in items:
        line = item.get("lineItem") or {}
        lineitem = None
        if line:
            lineitem = LineItem.objects.create(
                label=str(line.get("label") or item.get("title") or "Tool")[:255],
                score_maximum=platform.finite_number(line.get("scoreMaximum")) or 100.0,
                resource_id=str(line.get("resourceId") or "")[:255],
                tag=str(line.get("tag") or "")[:255],
            )
        placement = Placement.objects.create(
            title=str(item.get("title") or "Dataset assignment")[:255],
            custom=dict(item.get("custom") or {}),
            lineitem=lineitem,
        )
        if lineitem is not None:
            lineitem.resource_link_id = placement.resource_link_id
            lineitem.save(update_fields=["resource_link_id"])
        placements.append(placement)
    return placements


# --- Services: token, AGS, NRPS ------------------------------------------------------


def access_token(*, request: HttpRequest) -> dict[str, Any]:
    """The client-credentials token endpoint (the tool authenticates with its signed JWT)."""
    return platform.access_token(conf_for(request), dict(request.POST.items()))


def authorize_service(*, request: HttpRequest, scopes: list[str]) -> None:
    """Refuse a service call without a valid bearer token for one of ``scopes``."""
    platform.require_bearer(conf_for(request), request.headers.get("Authorization", ""), scopes)


def lineitem_json(lineitem: LineItem, *, base: str) -> dict[str, Any]:
    data = {
        "id": f"{base}/demo/lineitems/{lineitem.pk}/",
        "label": lineitem.label,
        "scoreMaximum": lineitem.score_maximum,
        "resourceId": lineitem.resource_id,
        "resourceLinkId": lineitem.resource_link_id,
        "tag": lineitem.tag,
    }
    return {key: value for key, value in data.items() if value not in ("", None)}


def lineitems_list(*, request: HttpRequest) -> list[dict[str, Any]]:
    items = LineItem.objects.order_by("pk")
    for param in ("resource_id", "resource_link_id", "tag"):
        if request.GET.get(param):
            items = items.filter(**{param: request.GET[param]})
    base = base_url(request)
    return [lineitem_json(item, base=base) for item in items]


def lineitem_create(*, request: HttpRequest) -> dict[str, Any]:
    new = platform.lineitem_from_json(platform.json_object(request.body, "line item"))
    lineitem = LineItem.objects.create(
        label=new.label,
        score_maximum=new.score_maximum,
        resource_id=new.resource_id,
        resource_link_id=new.resource_link_id,
        tag=new.tag,
    )
    return lineitem_json(lineitem, base=base_url(request))


@transaction.atomic
def score_receive(*, request: HttpRequest, lineitem_id: int) -> Score:
    """Record a score; an older timestamp than the one kept is ignored, as the spec asks."""
    lineitem = LineItem.objects.filter(pk=lineitem_id).first()
    if lineitem is None:
        raise PlatformError("No such line item.", status=404)
    new = platform.score_from_json(platform.json_object(request.body, "score"))
    kept = Score.objects.select_for_update().filter(lineitem=lineitem, user_id=new.user_id).first()
    if kept is not None and kept.timestamp > new.timestamp:
        return kept
    score, _ = Score.objects.update_or_create(
        lineitem=lineitem,
        user_id=new.user_id,
        defaults={
            "score_given": new.score_given,
            "score_maximum": new.score_maximum,
            "comment": new.comment,
            "activity_progress": new.activity_progress,
            "grading_progress": new.grading_progress,
            "timestamp": new.timestamp,
        },
    )
    return score


def members_page(*, request: HttpRequest) -> tuple[dict[str, Any], str | None]:
    """One page of the demo course's roster, and the URL of the next page if any."""
    return platform.members_page(
        [platform.member_json(user.launch_user()) for user in USERS],
        memberships_url=f"{base_url(request)}/demo/memberships/",
        context=CONTEXT,
        query=request.GET,
        default_limit=MEMBERS_PAGE_SIZE,
    )


def gradebook_rows() -> tuple[list[LineItem], list[dict[str, Any]]]:
    """Gradebook columns and one row per demo learner with their scores."""
    lineitems = list(LineItem.objects.order_by("pk"))
    scores = {(s.lineitem_id, s.user_id): s for s in Score.objects.all()}
    return lineitems, [
        {"user": user, "cells": [scores.get((item.pk, user.sub)) for item in lineitems]}
        for user in USERS
        if not user.is_instructor
    ]
