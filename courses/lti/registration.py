"""Platform registrations: add or update one (command, dynamic registration, demo), presets."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

from courses.lti.errors import RegistrationError
from courses.lti.keys import tool_key_ensure
from courses.middleware import forget_frame_ancestors
from courses.models import PlatformRegistration

CANVAS_ISSUER = "https://canvas.instructure.com"
CANVAS_AUTH_LOGIN_URL = "https://sso.canvaslms.com/api/lti/authorize_redirect"
CANVAS_AUTH_TOKEN_URL = "https://sso.canvaslms.com/login/oauth2/token"
CANVAS_KEY_SET_URL = "https://sso.canvaslms.com/api/lti/security/jwks"


@dataclass
class PlatformSettings:
    """What the tool must know about a platform to accept its launches and call its services."""

    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str = ""
    key_set: dict | None = None
    auth_audience: str = ""
    deployment_ids: list[str] = field(default_factory=list)
    title: str = ""


def canvas_preset() -> dict[str, str]:
    """Canvas Cloud's issuer and endpoints (the same for every Canvas Cloud school)."""
    return {
        "issuer": CANVAS_ISSUER,
        "auth_login_url": CANVAS_AUTH_LOGIN_URL,
        "auth_token_url": CANVAS_AUTH_TOKEN_URL,
        "key_set_url": CANVAS_KEY_SET_URL,
    }


def moodle_preset(site_url: str) -> dict[str, str]:
    """A Moodle site's issuer and endpoints, derived from its URL (the issuer is the site URL)."""
    site = site_url.strip().rstrip("/")
    parts = urlsplit(site)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise RegistrationError(
            f"{site_url!r} is not a Moodle site URL; give it as https://moodle.example.edu"
        )
    return {
        "issuer": site,
        "auth_login_url": f"{site}/mod/lti/auth.php",
        "auth_token_url": f"{site}/mod/lti/token.php",
        "key_set_url": f"{site}/mod/lti/certs.php",
    }


def _check_url(name: str, value: str) -> None:
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError as exc:
        raise RegistrationError(f"{name} must be a full http(s) URL, not {value!r}.") from exc


def _validate(settings: PlatformSettings) -> None:
    if not settings.issuer:
        raise RegistrationError(
            "The issuer is missing (for Canvas: https://canvas.instructure.com)."
        )
    if not settings.client_id:
        raise RegistrationError(
            "The client id is missing: copy it from the platform's tool settings."
        )
    _check_url("The auth login URL", settings.auth_login_url)
    _check_url("The auth token URL", settings.auth_token_url)
    if settings.key_set_url:
        _check_url("The key set URL", settings.key_set_url)
    elif not settings.key_set:
        raise RegistrationError("Give the platform's key set URL (JWKS) or its key set.")
    if settings.key_set is not None and not isinstance(settings.key_set.get("keys"), list):
        raise RegistrationError('The key set must be a JWKS: {"keys": [...]}.')


@transaction.atomic
def platform_register(
    *,
    settings: PlatformSettings,
    source: str = PlatformRegistration.Source.COMMAND,
    replace_deployments: bool = False,
    details: dict | None = None,
) -> tuple[LtiTool, bool]:
    """Add or update the registration of (issuer, client id); returns (registration, created).

    Deployment ids accumulate across runs unless ``replace_deployments``, so that
    re-running with one more ``--deployment-id`` never drops an existing one.
    """
    _validate(settings)
    key = tool_key_ensure()
    tool = (
        LtiTool.objects.select_for_update()
        .filter(issuer=settings.issuer, client_id=settings.client_id)
        .first()
    )
    created = tool is None
    if created:
        tool = LtiTool(issuer=settings.issuer, client_id=settings.client_id, tool_key=key)
        existing: list[str] = []
    else:
        existing = json.loads(tool.deployment_ids or "[]")
    deployments = list(settings.deployment_ids) if replace_deployments else list(existing)
    for deployment_id in settings.deployment_ids:
        if deployment_id and deployment_id not in deployments:
            deployments.append(deployment_id)
    tool.title = settings.title or tool.title or _default_title(settings.issuer)
    tool.is_active = True
    tool.auth_login_url = settings.auth_login_url
    tool.auth_token_url = settings.auth_token_url
    tool.auth_audience = settings.auth_audience or None
    tool.key_set_url = settings.key_set_url or None
    tool.key_set = json.dumps(settings.key_set) if settings.key_set else None
    tool.deployment_ids = json.dumps(deployments)
    tool.save()
    PlatformRegistration.objects.update_or_create(
        registration=tool, defaults={"source": source, **(details or {})}
    )
    transaction.on_commit(forget_frame_ancestors)
    return tool, created


def _default_title(issuer: str) -> str:
    if issuer.rstrip("/") == CANVAS_ISSUER:
        return "Canvas"
    return urlsplit(issuer).netloc or issuer
