"""An LTI 1.3 platform's protocol work, on ``lti1p3platform``: shared by the demo LMS and the tests.

Both the demo LMS (Django views, rows in its tables) and the tests' platform (a WSGI
server on loopback, lists in memory) are platforms in front of the same tool. What
they have in common lives here and knows nothing of either: the registration they
hold for the tool, the OIDC login initiation, the signed id_token of a resource-link
or deep-linking launch, the token endpoint, bearer-token checks for AGS and NRPS,
the deep-linking response, NRPS paging and the validation of AGS scores and line
items. Callers turn their request into a :class:`RequestData` and an error into
their own answer (each :class:`PlatformError` carries an HTTP status).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTRUCTOR = MEMBERSHIP + "Instructor"
LEARNER = MEMBERSHIP + "Learner"
COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"
AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
AGS_LINEITEM = AGS + "lineitem"
AGS_LINEITEM_READONLY = AGS + "lineitem.readonly"
AGS_RESULT_READONLY = AGS + "result.readonly"
AGS_SCORE = AGS + "score"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


class PlatformError(Exception):
    """A request the platform refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# --- The platform's registration of the tool ------------------------------------------


@dataclass(frozen=True)
class PlatformIdentity:
    """Who the platform is to the tool, and where the tool's LTI endpoints are."""

    issuer: str
    client_id: str
    deployment_id: str
    tool_base: str
    private_pem: str
    public_pem: str
    # The tool's key set, when the platform holds it; otherwise it is fetched from
    # the tool's JWKS URL (a single-worker server must not fetch from itself).
    tool_key_set: dict[str, Any] | None = None

    @property
    def launch_url(self) -> str:
        return f"{self.tool_base}/lti/launch/"

    @property
    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        return public_jwks(self.public_pem)


def public_jwks(public_pem: str) -> dict[str, list[dict[str, Any]]]:
    """A platform's public key set, with the kid lti1p3platform puts in the id_tokens it signs."""
    return {"keys": [Registration.get_jwk(public_pem)]}


class PlatformConf(LTI1P3PlatformConfAbstract):
    """lti1p3platform's view of the one registration a :class:`PlatformIdentity` describes."""

    def init_platform_config(self, **kwargs: Any) -> None:
        self.identity: PlatformIdentity = kwargs["identity"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        who = self.identity
        registration = (
            Registration()
            .set_iss(who.issuer)
            .set_client_id(who.client_id)
            .set_deployment_id(who.deployment_id)
            .set_oidc_login_url(f"{who.tool_base}/lti/login/")
            .set_launch_url(who.launch_url)
            .set_deeplink_launch_url(who.launch_url)
            .set_platform_private_key(who.private_pem)
            .set_platform_public_key(who.public_pem)
        )
        if who.tool_key_set is not None:
            return registration.set_tool_key_set(who.tool_key_set)
        return registration.set_tool_key_set_url(f"{who.tool_base}/lti/jwks/")


def platform_conf(identity: PlatformIdentity) -> PlatformConf:
    conf = PlatformConf(identity=identity)
    conf.get_registration()
    return conf


# --- Requests and launches ----------------------------------------------------------------


@dataclass(frozen=True)
class RequestData:
    """What lti1p3platform reads from an HTTP request, whatever server received it."""

    method: str
    query: Mapping[str, str] = field(default_factory=dict)
    form: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None
    path: str = ""


class _Request(Request):
    def build_metadata(self, data: RequestData) -> dict[str, Any]:
        return {
            "method": data.method,
            "form_data": dict(data.form),
            "get_data": dict(data.query),
            "headers": dict(data.headers),
            "content_type": data.content_type,
            "path": data.path,
            "json": None,
        }


@dataclass(frozen=True)
class LaunchUser:
    sub: str
    name: str
    roles: list[str]
    email: str
    given_name: str = ""
    family_name: str = ""

    @property
    def is_instructor(self) -> bool:
        return INSTRUCTOR in self.roles


@dataclass(frozen=True)
class CourseContext:
    id: str
    title: str
    label: str

    def as_claim(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "label": self.label}


@dataclass(frozen=True)
class ResourceLink:
    """A placed link to the tool: what a resource-link launch is about."""

    id: str
    title: str
    custom: Mapping[str, str] = field(default_factory=dict)
    lineitem_url: str | None = None


def launch_form(action: str, fields: Mapping[str, str]) -> str:
    """A bare HTML form posting ``fields`` to ``action`` (a browser's script submits it)."""
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in fields.items()
    )
    return f'<form method="post" action="{html.escape(action)}">{inputs}</form>'


class _Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class _Launch(LTIAdvantageMessageLaunchAbstract):
    def __init__(
        self,
        request: Request,
        conf: PlatformConf,
        render_form: Callable[[str, Mapping[str, str]], str],
    ) -> None:
        super().__init__(request, conf)
        self._render_form = render_form

    def prepare_launch(self, preflight_response: dict[str, Any]) -> None:
        # Like Moodle, accept only the redirect URI registered for the tool, exactly.
        launch_url = self._registration.get_launch_url()
        if preflight_response.get("redirect_uri") != launch_url:
            raise PlatformError(
                f"The tool asked to return to {preflight_response.get('redirect_uri')!r}, "
                f"which is not its registered launch URL {launch_url!r}."
            )

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> str:
        return self._render_form(
            launch_data["launch_url"],
            {"id_token": launch_data["id_token"], "state": launch_data["state"]},
        )


def login_url(conf: PlatformConf, *, user_sub: str, message_hint: str) -> str:
    """The tool's OIDC login URL with the platform's parameters: where a launch starts."""
    login = _Login(None, conf)
    login.set_lti_message_hint(hint=message_hint)
    return login.initiate_login(user_sub)


def check_authentication_request(conf: PlatformConf, params: Mapping[str, str]) -> None:
    """Refuse an OIDC authentication request this platform would not answer."""
    if params.get("client_id") != conf.identity.client_id:
        raise PlatformError("Unknown client_id.")
    if params.get("response_type") != "id_token" or params.get("scope") != "openid":
        raise PlatformError("Only response_type=id_token and scope=openid are supported.")


def launch_page(
    conf: PlatformConf,
    request: RequestData,
    *,
    user: LaunchUser,
    context: CourseContext,
    lineitems_url: str,
    memberships_url: str,
    resource_link: ResourceLink | None = None,
    deep_link_return_url: str | None = None,
    deep_link_title: str = "",
    return_url: str | None = None,
    render_form: Callable[[str, Mapping[str, str]], str] = launch_form,
) -> str:
    """Answer the tool's authentication request: a form posting a signed id_token to it.

    The launch is a deep-linking request when ``deep_link_return_url`` is given, else a
    resource-link launch of ``resource_link``.
    """
    check_authentication_request(conf, request.query or request.form)
    if (deep_link_return_url is None) == (resource_link is None):
        raise ValueError("A launch is either a deep-linking request or of one resource link.")
    launch = _Launch(_Request(request), conf, render_form)
    launch.set_user_data(user.sub, list(user.roles), full_name=user.name, email_address=user.email)
    given, _, family = user.name.partition(" ")
    launch.set_extra_claims(
        {"given_name": user.given_name or given, "family_name": user.family_name or family}
    )
    launch.set_launch_context_claim(
        context.id,
        context_types=[COURSE_OFFERING],
        context_title=context.title,
        context_label=context.label,
    )
    if return_url:
        launch.set_launch_presentation_claim(document_target="iframe", return_url=return_url)
    launch.set_nrps(memberships_url)
    if deep_link_return_url is not None:
        launch.set_dl(deep_link_return_url, title=deep_link_title, accept_types={"ltiResourceLink"})
        launch.set_ags(lineitems_url=lineitems_url)
    else:
        launch.set_resource_link_claim(resource_link.id, title=resource_link.title)
        launch.set_custom_parameters_claim(dict(resource_link.custom))
        launch.set_ags(lineitems_url=lineitems_url, lineitem_url=resource_link.lineitem_url)
    try:
        return launch.lti_launch()
    except PlatformError:
        raise
    except Exception as exc:  # lti1p3platform raises bare assertion-style errors
        raise PlatformError(f"The tool's authentication request is invalid: {exc!r}") from exc


def deep_link_items(conf: PlatformConf, token: str) -> list[dict[str, Any]]:
    """The content items of the tool's LtiDeepLinkingResponse, once its JWT is verified."""
    if not token:
        raise PlatformError("The tool returned no JWT.")
    conf.set_accepted_deeplinking_types(["ltiResourceLink"])
    try:
        return list(conf.validate_deeplinking_resp({"JWT": token}))
    except Exception as exc:
        raise PlatformError(f"The tool's deep-linking response is invalid: {exc}") from exc


# --- Services: token, bearer checks, AGS and NRPS bodies ----------------------------------


def access_token(conf: PlatformConf, form: Mapping[str, str]) -> dict[str, Any]:
    """The client-credentials grant: a token for the tool that signed its assertion."""
    try:
        return dict(conf.get_access_token(dict(form)))
    except Exception as exc:
        raise PlatformError(f"invalid_client: {exc}", status=401) from exc


def require_bearer(conf: PlatformConf, authorization: str, scopes: list[str]) -> None:
    """Refuse a service call without a valid bearer token for one of ``scopes``."""
    parts = authorization.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise PlatformError("Missing bearer token.", status=401)
    try:
        ok = conf.validate_token(parts[1], allowed_scopes=scopes)
    except Exception as exc:
        raise PlatformError(f"Invalid token: {exc}", status=401) from exc
    if not ok:
        raise PlatformError("The token lacks the scope this service needs.", status=403)


def json_object(body: bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise PlatformError(f"The {what} is not JSON.") from exc
    if not isinstance(data, dict):
        raise PlatformError(f"The {what} must be a JSON object.")
    return data


def finite_number(value: Any) -> float | None:
    """A finite number, or None: NaN and infinity are no score (and no JSON can carry them)."""
    if isinstance(value, bool):
        return None
    try:
        number = None if value is None else float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number is not None and math.isfinite(number) else None


@dataclass(frozen=True)
class ScoreIn:
    """An AGS score as the tool posted it, checked."""

    user_id: str
    timestamp: datetime
    score_given: float | None
    score_maximum: float | None
    comment: str
    activity_progress: str
    grading_progress: str


def score_from_json(data: Mapping[str, Any]) -> ScoreIn:
    """Check an AGS score; it needs a userId and an ISO 8601 timestamp."""
    user_id = str(data.get("userId") or "")[:255]
    try:
        stamp = datetime.fromisoformat(str(data.get("timestamp") or "").replace("Z", "+00:00"))
    except ValueError:
        stamp = None  # malformed, or well formed but impossible, such as month 13
    if not user_id or stamp is None:
        raise PlatformError("A score needs a userId and an ISO 8601 timestamp.")
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return ScoreIn(
        user_id=user_id,
        timestamp=stamp,
        score_given=finite_number(data.get("scoreGiven")),
        score_maximum=finite_number(data.get("scoreMaximum")),
        comment=str(data.get("comment") or ""),
        activity_progress=str(data.get("activityProgress") or ""),
        grading_progress=str(data.get("gradingProgress") or ""),
    )


@dataclass(frozen=True)
class LineItemIn:
    label: str
    score_maximum: float
    resource_id: str
    resource_link_id: str
    tag: str


def lineitem_from_json(data: Mapping[str, Any]) -> LineItemIn:
    """Check a new AGS line item; it needs a label and a scoreMaximum over 0."""
    score_maximum = finite_number(data.get("scoreMaximum"))
    if not data.get("label") or score_maximum is None or score_maximum <= 0:
        raise PlatformError("A line item needs a label and a scoreMaximum over 0.")
    return LineItemIn(
        label=str(data["label"])[:255],
        score_maximum=score_maximum,
        resource_id=str(data.get("resourceId") or "")[:255],
        resource_link_id=str(data.get("resourceLinkId") or "")[:255],
        tag=str(data.get("tag") or "")[:255],
    )


def member_json(user: LaunchUser) -> dict[str, Any]:
    given, _, family = user.name.partition(" ")
    return {
        "status": "Active",
        "user_id": user.sub,
        "name": user.name,
        "given_name": user.given_name or given,
        "family_name": user.family_name or family,
        "email": user.email,
        "roles": list(user.roles),
    }


def members_page(
    members: list[dict[str, Any]],
    *,
    memberships_url: str,
    context: CourseContext,
    query: Mapping[str, str],
    default_limit: int,
    next_params: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], str | None]:
    """One NRPS page of ``members`` (``page`` and ``limit`` from the query), and the next page's URL.

    ``next_params`` are added to the next page's URL as given, as LMSs add their own.
    """
    try:
        limit = max(1, min(int(query.get("limit") or default_limit), 100))
        page = max(1, int(query.get("page") or 1))
    except ValueError as exc:
        raise PlatformError("limit and page must be whole numbers.") from exc
    start = (page - 1) * limit
    body = {
        "id": memberships_url,
        "context": context.as_claim(),
        "members": members[start : start + limit],
    }
    next_url = None
    if start + limit < len(members):
        params = {"limit": limit, "page": page + 1, **(next_params or {})}
        next_url = f"{memberships_url}?{urlencode(params)}"
    return body, next_url
