"""The demo LMS: a small LTI 1.3 platform, built on ``lti1p3platform``, served under /demo/.

It launches the tool through the real flow (OIDC login initiation, a signed
id_token posted to /lti/launch/), answers deep linking, and offers AGS and NRPS
endpoints, so a newcomer can click through the product without Canvas or Moodle.
It only exists when DATAGEN_DEMO_MODE is on.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration as PlatformRegistrationData
from lti1p3platform.request import Request as PlatformRequest
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

from courses.lti.addresses import base_url
from courses.lti.deep_linking import auto_post_form
from courses.lti.keys import generate_rsa_pair, public_jwk, tool_jwks
from courses.lti.registration import PlatformSettings, platform_register
from courses.models import (
    DemoLineItem,
    DemoPlacement,
    DemoPlatformKey,
    DemoScore,
    PlatformRegistration,
)

DEMO_CLIENT_ID = "datagen-demo-client"
DEMO_DEPLOYMENT_ID = "datagen-demo-deployment"
DEMO_CONTEXT = {"id": "demo-course", "title": "Data Analysis 101 (demo)", "label": "DA101"}
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEMBERS_PAGE_SIZE = 3
MAX_PLACEMENT_ID = 2**31 - 1  # the largest AutoField value on every supported database


@dataclass(frozen=True)
class DemoUser:
    key: str
    name: str
    given_name: str
    family_name: str
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


DEMO_USERS = [
    DemoUser("katherine", "Katherine Johnson", "Katherine", "Johnson", "Instructor"),
    DemoUser("ada", "Ada Lovelace", "Ada", "Lovelace", "Learner"),
    DemoUser("grace", "Grace Hopper", "Grace", "Hopper", "Learner"),
    DemoUser("alan", "Alan Turing", "Alan", "Turing", "Learner"),
]
DEMO_USERS_BY_KEY = {user.key: user for user in DEMO_USERS}
DEMO_USERS_BY_SUB = {user.sub: user for user in DEMO_USERS}


class DemoError(Exception):
    """A request the demo LMS refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# --- Keys and registration ---------------------------------------------------------


def demo_private_key() -> str:
    """The demo LMS's signing key, created on first use."""
    key = DemoPlatformKey.objects.order_by("pk").first()
    if key is None:
        private_pem, _ = generate_rsa_pair()
        key = DemoPlatformKey.objects.create(private_key=private_pem)
    return key.private_key


def demo_public_pem() -> str:
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(demo_private_key().encode(), password=None)
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def demo_jwks() -> dict[str, list[dict]]:
    """The demo LMS's public key set."""
    return {"keys": [public_jwk(demo_public_pem())]}


def demo_issuer(base: str) -> str:
    return f"{base}/demo"


@transaction.atomic
def demo_registration_ensure(*, base: str) -> LtiTool:
    """Register the demo LMS reached at ``base`` with the tool (idempotent)."""
    demo_private_key()
    existing = LtiTool.objects.filter(
        issuer=demo_issuer(base), client_id=DEMO_CLIENT_ID, is_active=True
    ).first()
    if existing and existing.key_set and json.loads(existing.key_set) == demo_jwks():
        return existing  # already registered: no writes on every page view
    tool, _ = platform_register(
        settings=PlatformSettings(
            issuer=demo_issuer(base),
            client_id=DEMO_CLIENT_ID,
            auth_login_url=f"{base}/demo/auth/",
            auth_token_url=f"{base}/demo/token/",
            key_set_url=f"{base}/demo/jwks/",
            # Also stored inline: launches then need no request to this same server.
            key_set=demo_jwks(),
            deployment_ids=[DEMO_DEPLOYMENT_ID],
            title="Demo LMS",
        ),
        source=PlatformRegistration.Source.DEMO,
        details={"platform_name": "Demo LMS", "product_family_code": "datagen-demo"},
    )
    return tool


# --- The platform, on lti1p3platform ------------------------------------------------


class DemoPlatformConf(LTI1P3PlatformConfAbstract):
    """The demo LMS's view of its one registration: the tool."""

    def init_platform_config(self, **kwargs: Any) -> None:
        self.base = kwargs["base"]

    def get_registration_by_params(self, **kwargs: Any) -> PlatformRegistrationData:
        launch_url = f"{self.base}/lti/launch/"
        return (
            PlatformRegistrationData()
            .set_iss(demo_issuer(self.base))
            .set_client_id(DEMO_CLIENT_ID)
            .set_deployment_id(DEMO_DEPLOYMENT_ID)
            .set_oidc_login_url(f"{self.base}/lti/login/")
            .set_launch_url(launch_url)
            .set_deeplink_launch_url(launch_url)
            .set_platform_private_key(demo_private_key())
            .set_platform_public_key(demo_public_pem())
            # The tool runs in this very process: read its key set directly rather
            # than fetching our own URL (a single-worker server would wait on itself).
            .set_tool_key_set(tool_jwks())
        )


def demo_platform(request: HttpRequest) -> DemoPlatformConf:
    conf = DemoPlatformConf(base=base_url(request))
    conf.get_registration()
    return conf


class _DjangoRequest(PlatformRequest):
    def build_metadata(self, request: HttpRequest) -> dict[str, Any]:
        return {
            "method": request.method,
            "form_data": dict(request.POST.items()),
            "get_data": dict(request.GET.items()),
            "headers": dict(request.headers),
            "content_type": request.content_type,
            "path": request.path,
            "json": None,
        }


class _DemoLogin(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class _DemoLaunch(LTIAdvantageMessageLaunchAbstract):
    def prepare_launch(self, preflight_response: dict[str, Any]) -> None:
        # Like Moodle, accept only the redirect URI registered for the tool, exactly.
        if preflight_response.get("redirect_uri") != self._registration.get_launch_url():
            raise DemoError(
                "The tool asked to return to "
                f"{preflight_response.get('redirect_uri')!r}, which is not its registered "
                f"launch URL {self._registration.get_launch_url()!r}."
            )

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> str:
        return auto_post_form(
            action=launch_data["launch_url"],
            fields={"id_token": launch_data["id_token"], "state": launch_data["state"]},
            title="Opening the tool…",
        )


def placement_id_from(text: Any) -> int | None:
    """A placement id from a query parameter or message hint; None unless a plausible key.

    Anything else ("abc", "²", a 30-digit number that no database integer holds) is
    no placement: the caller answers "not in the demo course", never a 500.
    """
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{1,18}", text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_PLACEMENT_ID else None


def demo_login_url(*, request: HttpRequest, user_key: str, placement_id: int | None) -> str:
    """Where the LMS sends the browser to start a launch: the tool's OIDC login URL."""
    if user_key not in DEMO_USERS_BY_KEY:
        raise DemoError(f"There is no demo user {user_key!r}.", status=404)
    hint = f"placement:{placement_id}" if placement_id else "deep-link"
    if placement_id and not DemoPlacement.objects.filter(pk=placement_id).exists():
        raise DemoError("That link is not in the demo course any more.", status=404)
    if not placement_id and not DEMO_USERS_BY_KEY[user_key].is_instructor:
        raise DemoError("Only the instructor can add the tool to the course.", status=403)
    platform = demo_platform(request)
    login = _DemoLogin(request, platform)
    login.set_lti_message_hint(hint=hint)
    return login.initiate_login(DEMO_USERS_BY_KEY[user_key].sub)


def demo_authorize(*, request: HttpRequest) -> str:
    """The OIDC authorization endpoint: sign the id_token and post it to the tool."""
    params = request.GET if request.method == "GET" else request.POST
    user = DEMO_USERS_BY_SUB.get(params.get("login_hint", ""))
    if user is None:
        raise DemoError("Unknown login_hint: the demo LMS does not know this user.")
    if params.get("client_id") != DEMO_CLIENT_ID:
        raise DemoError("Unknown client_id.")
    if params.get("response_type") != "id_token" or params.get("scope") != "openid":
        raise DemoError("Only response_type=id_token and scope=openid are supported.")
    platform = demo_platform(request)
    base = platform.base
    launch = _DemoLaunch(_DjangoRequest(request), platform)
    launch.set_user_data(
        user.sub, [ROLE + user.role], full_name=user.name, email_address=user.email
    )
    launch.set_extra_claims({"given_name": user.given_name, "family_name": user.family_name})
    launch.set_launch_context_claim(
        DEMO_CONTEXT["id"],
        context_types=["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
        context_title=DEMO_CONTEXT["title"],
        context_label=DEMO_CONTEXT["label"],
    )
    launch.set_launch_presentation_claim(document_target="iframe", return_url=f"{base}/demo/")
    launch.set_nrps(f"{base}/demo/memberships/")
    hint = params.get("lti_message_hint", "")
    if hint == "deep-link":
        if not user.is_instructor:
            raise DemoError("Only the instructor can add the tool to the course.", status=403)
        launch.set_dl(
            f"{base}/demo/deep-link-return/",
            title="New dataset assignment",
            accept_types={"ltiResourceLink"},
        )
        launch.set_ags(lineitems_url=f"{base}/demo/lineitems/")
    elif hint.startswith("placement:"):
        placement_id = placement_id_from(hint.split(":", 1)[1])
        placement = DemoPlacement.objects.filter(pk=placement_id).first() if placement_id else None
        if placement is None:
            raise DemoError("That link is not in the demo course any more.", status=404)
        launch.set_resource_link_claim(placement.resource_link_id, title=placement.title)
        launch.set_custom_parameters_claim(dict(placement.custom or {}))
        launch.set_ags(
            lineitems_url=f"{base}/demo/lineitems/",
            lineitem_url=(
                f"{base}/demo/lineitems/{placement.lineitem_id}/" if placement.lineitem_id else None
            ),
        )
    else:
        raise DemoError("Unknown lti_message_hint.")
    try:
        return launch.lti_launch()
    except DemoError:
        raise
    except Exception as exc:  # lti1p3platform raises bare assertion-style errors
        raise DemoError(f"The tool's authentication request is invalid: {exc!r}") from exc


# --- Deep linking return -------------------------------------------------------------


@transaction.atomic
def demo_deep_link_receive(*, request: HttpRequest) -> list[DemoPlacement]:
    """Validate the tool's LtiDeepLinkingResponse and place its links in the demo course."""
    token = request.POST.get("JWT", "")
    if not token:
        raise DemoError("The tool returned no JWT.")
    platform = demo_platform(request)
    platform.set_accepted_deeplinking_types(["ltiResourceLink"])
    try:
        items = platform.validate_deeplinking_resp({"JWT": token})
    except Exception as exc:
        raise DemoError(f"The tool's deep-linking response is invalid: {exc}") from exc
    placements = []
    for item in items:
        line = item.get("lineItem") or {}
        lineitem = None
        if line:
            lineitem = DemoLineItem.objects.create(
                label=str(line.get("label") or item.get("title") or "Tool"),
                score_maximum=float(line.get("scoreMaximum") or 100),
                resource_id=str(line.get("resourceId") or ""),
                tag=str(line.get("tag") or ""),
            )
        placement = DemoPlacement.objects.create(
            title=str(item.get("title") or "Dataset assignment"),
            custom=dict(item.get("custom") or {}),
            lineitem=lineitem,
        )
        if lineitem is not None:
            lineitem.resource_link_id = placement.resource_link_id
            lineitem.save(update_fields=["resource_link_id"])
        placements.append(placement)
    return placements


# --- Services: token, AGS, NRPS ------------------------------------------------------


def demo_access_token(*, request: HttpRequest) -> dict[str, Any]:
    """The client-credentials token endpoint (the tool authenticates with its signed JWT)."""
    platform = demo_platform(request)
    try:
        return dict(platform.get_access_token(dict(request.POST.items())))
    except Exception as exc:
        raise DemoError(f"invalid_client: {exc}", status=401) from exc


def demo_authorize_service(*, request: HttpRequest, scopes: list[str]) -> None:
    """Refuse a service call without a valid bearer token for one of ``scopes``."""
    auth = request.headers.get("Authorization", "").split()
    if len(auth) != 2 or auth[0].lower() != "bearer":
        raise DemoError("Missing bearer token.", status=401)
    platform = demo_platform(request)
    try:
        ok = platform.validate_token(auth[1], allowed_scopes=scopes)
    except Exception as exc:
        raise DemoError(f"Invalid token: {exc}", status=401) from exc
    if not ok:
        raise DemoError("The token lacks the scope this service needs.", status=403)


def lineitem_json(lineitem: DemoLineItem, *, base: str) -> dict[str, Any]:
    data = {
        "id": f"{base}/demo/lineitems/{lineitem.pk}/",
        "label": lineitem.label,
        "scoreMaximum": lineitem.score_maximum,
        "resourceId": lineitem.resource_id,
        "resourceLinkId": lineitem.resource_link_id,
        "tag": lineitem.tag,
    }
    return {key: value for key, value in data.items() if value not in ("", None)}


def demo_lineitems_list(*, request: HttpRequest) -> list[dict[str, Any]]:
    items = DemoLineItem.objects.order_by("pk")
    for param, field in (
        ("resource_id", "resource_id"),
        ("resource_link_id", "resource_link_id"),
        ("tag", "tag"),
    ):
        if request.GET.get(param):
            items = items.filter(**{field: request.GET[param]})
    base = base_url(request)
    return [lineitem_json(item, base=base) for item in items]


def demo_lineitem_create(*, request: HttpRequest) -> dict[str, Any]:
    data = _json_object(request, "line item")
    score_maximum = _float(data.get("scoreMaximum"))
    if not data.get("label") or score_maximum is None or score_maximum <= 0:
        raise DemoError("A line item needs a label and a scoreMaximum over 0.")
    lineitem = DemoLineItem.objects.create(
        label=str(data["label"])[:255],
        score_maximum=score_maximum,
        resource_id=str(data.get("resourceId") or "")[:255],
        resource_link_id=str(data.get("resourceLinkId") or "")[:255],
        tag=str(data.get("tag") or "")[:255],
    )
    return lineitem_json(lineitem, base=base_url(request))


@transaction.atomic
def demo_score_receive(*, request: HttpRequest, lineitem_id: int) -> DemoScore:
    """Record a score; an older timestamp than the one kept is ignored, as the spec asks."""
    lineitem = DemoLineItem.objects.filter(pk=lineitem_id).first()
    if lineitem is None:
        raise DemoError("No such line item.", status=404)
    data = _json_object(request, "score")
    user_id = str(data.get("userId") or "")[:255]
    try:
        stamp = parse_datetime(str(data.get("timestamp") or ""))
    except ValueError:
        stamp = None  # well formed but impossible, such as month 13
    if not user_id or stamp is None:
        raise DemoError("A score needs a userId and an ISO 8601 timestamp.")
    if timezone.is_naive(stamp):
        stamp = timezone.make_aware(stamp, UTC)
    score = DemoScore.objects.select_for_update().filter(lineitem=lineitem, user_id=user_id).first()
    if score is not None and score.timestamp > stamp:
        return score
    values = {
        "score_given": _float(data.get("scoreGiven")),
        "score_maximum": _float(data.get("scoreMaximum")),
        "comment": str(data.get("comment") or ""),
        "activity_progress": str(data.get("activityProgress") or ""),
        "grading_progress": str(data.get("gradingProgress") or ""),
        "timestamp": stamp,
    }
    score, _ = DemoScore.objects.update_or_create(
        lineitem=lineitem, user_id=user_id, defaults=values
    )
    return score


def _float(value: Any) -> float | None:
    """A finite number, or None: NaN and infinity are no score (and no JSON can carry them)."""
    if isinstance(value, bool):
        return None
    try:
        number = None if value is None else float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number is not None and math.isfinite(number) else None


def _json_object(request: HttpRequest, what: str) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError as exc:
        raise DemoError(f"The {what} is not JSON.") from exc
    if not isinstance(data, dict):
        raise DemoError(f"The {what} must be a JSON object.")
    return data


def demo_members_page(*, request: HttpRequest) -> tuple[dict[str, Any], str | None]:
    """One page of the demo course's roster, and the URL of the next page if any."""
    try:
        limit = max(1, min(int(request.GET.get("limit") or MEMBERS_PAGE_SIZE), 100))
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError as exc:
        raise DemoError("limit and page must be whole numbers.") from exc
    start = (page - 1) * limit
    chunk = DEMO_USERS[start : start + limit]
    base = base_url(request)
    body = {
        "id": f"{base}/demo/memberships/",
        "context": DEMO_CONTEXT,
        "members": [
            {
                "status": "Active",
                "user_id": user.sub,
                "name": user.name,
                "given_name": user.given_name,
                "family_name": user.family_name,
                "email": user.email,
                "roles": [ROLE + user.role],
            }
            for user in chunk
        ],
    }
    next_url = None
    if start + limit < len(DEMO_USERS):
        next_url = f"{base}/demo/memberships/?" + urlencode({"limit": limit, "page": page + 1})
    return body, next_url


def demo_gradebook_rows() -> tuple[list[DemoLineItem], list[dict[str, Any]]]:
    """Gradebook columns and one row per demo learner with their scores."""
    lineitems = list(DemoLineItem.objects.order_by("pk"))
    scores = {(s.lineitem_id, s.user_id): s for s in DemoScore.objects.all()}
    rows = []
    for user in DEMO_USERS:
        if user.is_instructor:
            continue
        rows.append(
            {"user": user, "cells": [scores.get((item.pk, user.sub)) for item in lineitems]}
        )
    return lineitems, rows
