"""The tool's RSA signing keys: create, rotate, and publish them as a JWKS."""

from __future__ import annotations

import json
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import transaction
from django.utils import timezone
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool, LtiToolKey
from pylti1p3.registration import Registration

from courses.models import ToolKeyState

# A platform may cache our JWKS for a while; keep a retired public key published
# long enough for every cache to pick up the new one.
KEY_GRACE_PERIOD = timedelta(days=7)
KEY_NAME_PREFIX = "datagen-tool-key"


def generate_rsa_pair(bits: int = 2048) -> tuple[str, str]:
    """A new RSA key pair as (private PEM, public PEM)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def public_jwk(public_pem: str) -> dict:
    """The JWK of a public key, with the kid pylti1p3 puts in the JWT headers it signs."""
    return dict(Registration.get_jwk(public_pem))


def current_tool_key() -> LtiToolKey | None:
    """The key the tool signs with now, if any."""
    state = ToolKeyState.objects.select_related("key").filter(is_current=True).first()
    return state.key if state else None


@transaction.atomic
def tool_key_ensure() -> LtiToolKey:
    """The current key, creating the first one when there is none."""
    key = current_tool_key()
    if key is not None:
        return key
    return tool_key_rotate()


@transaction.atomic
def tool_key_rotate() -> LtiToolKey:
    """Create a new current key, point every registration at it and retire the previous one."""
    now = timezone.now()
    private_pem, public_pem = generate_rsa_pair()
    kid = public_jwk(public_pem)["kid"]
    previous = list(ToolKeyState.objects.select_for_update().filter(is_current=True))
    for state in previous:
        state.is_current = False
        state.retired_at = now
        state.save(update_fields=["is_current", "retired_at"])
    key = LtiToolKey.objects.create(
        name=f"{KEY_NAME_PREFIX}-{now:%Y%m%dT%H%M%S%f}",
        private_key=private_pem,
        public_key=public_pem,
    )
    ToolKeyState.objects.create(key=key, kid=kid, is_current=True)
    LtiTool.objects.exclude(tool_key=key).update(tool_key=key)
    return key


def published_keys(*, now=None) -> list[LtiToolKey]:
    """Keys whose public half is in the JWKS: the current one and those retired within the grace period.

    Keys created outside ``lti_keys`` (in the admin, by hand) are published while
    a registration still signs with them.
    """
    now = now or timezone.now()
    cutoff = now - KEY_GRACE_PERIOD
    keys = list(
        LtiToolKey.objects.filter(state__is_current=True)
        .union(LtiToolKey.objects.filter(state__is_current=False, state__retired_at__gte=cutoff))
        .order_by("-id")
    )
    in_use = LtiToolKey.objects.filter(state__isnull=True, lti_tools__isnull=False).distinct()
    known = {key.pk for key in keys}
    keys.extend(key for key in in_use if key.pk not in known)
    return keys


def tool_jwks() -> dict[str, list[dict]]:
    """The tool's JWKS document: ``{"keys": [...]}``."""
    jwks = []
    for key in published_keys():
        if not key.public_key:
            continue
        jwk = json.loads(key.public_jwk) if key.public_jwk else public_jwk(key.public_key)
        jwks.append(jwk)
    return {"keys": jwks}
