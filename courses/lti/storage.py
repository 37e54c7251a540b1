"""LTI Platform Storage: the platform keeps the OIDC state and nonce when the frame has no cookies.

1EdTech "LTI Client Side postMessages" and "Platform OIDC Storage". A platform that
offers it adds ``lti_storage_target`` (``_parent`` or the name of one of its frames)
to the login initiation. The tool then answers the login with a page (not a
redirect) whose script asks the platform's storage target for ``lti.capabilities``,
stores ``state_<state>`` and ``nonce_<nonce>`` with ``lti.put_data``, and only then
goes on to the platform's authorization endpoint. At the launch, a small page reads
them back with ``lti.get_data`` and posts the id_token on.

What stays on the server: pylti1p3's login runs as for a cookie login (nonce in the
shared cache, single-use at the launch, see ``courses.lti.tool``), and a record per
state holds what its cookies would have held (the state, pylti1p3's session id) and
the hash of a secret the browser kept in the platform's storage (``state_<state>``'s
value). The launch is accepted only with that secret, once; the cookies are then
restored from the record, so pylti1p3 validates exactly as for a cookie launch.
When the frame does keep cookies, the launch goes the cookie way; when the platform
offers no storage, or its storage fails, the page goes back to the cookie login
(whose check page offers a new window when cookies are blocked).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import jwt
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from courses.lti.claims import LOGIN_PARAMS
from courses.lti.errors import LaunchError

TARGET_PARAM = "lti_storage_target"
PROOF_PARAM = "lti_storage_proof"
RECORD_PREFIX = "lti-storage-login:"
USED_PREFIX = "lti-storage-used:"
# A login has this long to come back as a launch (pylti1p3's state cookie lives 5 minutes).
RECORD_LIFETIME = 10 * 60
# pylti1p3's cookie names: ``lti1p3-<state>`` and its launch-data session id.
PYLTI_COOKIE_PREFIX = "lti1p3-"
PYLTI_SESSION_ID_COOKIE = "lti1p3-session-id"
# A frame name as platforms use them (``_parent``, ``post_message_forwarding``).
_TARGET_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


def storage_target_of(params: Mapping[str, str]) -> str:
    """The platform's storage target of a login, or "" when it offers none (or an odd name)."""
    target = (params.get(TARGET_PARAM) or "").strip()
    return target if _TARGET_NAME.fullmatch(target) else ""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _with_query(url: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    query = parts.query + ("&" if parts.query else "") + urlencode(params)
    return urlunsplit(parts._replace(query=query))


def _proof_hash(proof: str) -> str:
    return hashlib.sha256(proof.encode("utf-8")).hexdigest()


def _login_url(params: Mapping[str, str], **extra: str) -> str:
    kept = {name: params[name] for name in LOGIN_PARAMS if params.get(name)}
    return reverse("courses:lti_login") + "?" + urlencode({**kept, **extra})


def storage_login_page(
    *, request: HttpRequest, redirect: HttpResponse, target: str
) -> HttpResponse:
    """Turn pylti1p3's redirect to the platform into a page that first stores state and nonce.

    ``redirect`` is the login's answer (302 to the platform's authorization endpoint,
    with pylti1p3's cookies): the cookies are kept on the page, so that a frame that
    does keep cookies can still launch the cookie way.
    """
    location = redirect["Location"]
    query = parse_qs(urlsplit(location).query)
    state = (query.get("state") or [""])[0]
    nonce = (query.get("nonce") or [""])[0]
    if not state or not nonce:
        raise LaunchError(
            "The tool could not prepare this login (no state or nonce).",
            title="This launch could not be started",
        )
    params = request.POST if request.method == "POST" else request.GET
    session_cookie = redirect.cookies.get(PYLTI_SESSION_ID_COOKIE)
    proof = secrets.token_urlsafe(32)
    cache.set(
        RECORD_PREFIX + state,
        {
            "proof": _proof_hash(proof),
            "nonce": nonce,
            "session_id": session_cookie.value if session_cookie is not None else "",
            "target": target,
            "platform_origin": _origin(location),
            "login": {name: params[name] for name in LOGIN_PARAMS if params.get(name)},
        },
        timeout=RECORD_LIFETIME,
    )
    data = {
        "mode": "login",
        "target": target,
        "origin": _origin(location),
        "items": [
            {"key": f"state_{state}", "value": proof},
            {"key": f"nonce_{nonce}", "value": nonce},
        ],
        "next": _with_query(location, {TARGET_PARAM: target}),
        # Without the platform's storage: the cookie login, then a new window if need be.
        "fallback": _login_url(params),
    }
    response = render(request, "lti/storage_login.html", {"storage": data})
    for name, morsel in redirect.cookies.items():
        response.cookies[name] = morsel
    return response


def session_cookie_attributes() -> str:
    """The session cookie's attributes, for a page's script to test that the frame keeps it."""
    samesite = settings.SESSION_COOKIE_SAMESITE or ""
    attributes = f"; SameSite={samesite}" if samesite else ""
    if settings.SESSION_COOKIE_SECURE:
        attributes += "; Secure"
        if settings.DATAGEN_PARTITIONED_COOKIES and samesite.lower() == "none":
            attributes += "; Partitioned"
    return attributes


def _unverified_nonce(id_token: str) -> str:
    try:
        body = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return ""
    return str(body.get("nonce") or "") if isinstance(body, dict) else ""


def storage_launch_check(request: HttpRequest) -> HttpResponse | None:
    """For a launch whose login went through platform storage: the check page, or None.

    None means "validate as usual": not a storage login, a frame that kept its cookies,
    or a storage check passed (pylti1p3's cookies are then restored from the record).
    Raises LaunchError when the check failed or was already used.
    """
    state = request.POST.get("state", "")
    record: dict[str, Any] | None = cache.get(RECORD_PREFIX + state) if state else None
    if record is None:
        return None
    if request.COOKIES.get(PYLTI_COOKIE_PREFIX + state) == state:
        return None
    id_token = request.POST.get("id_token", "")
    nonce = _unverified_nonce(id_token)
    login = record.get("login") or {}
    issuer, client_id = login.get("iss", ""), login.get("client_id", "")
    if not hmac.compare_digest(nonce, record["nonce"]):
        raise LaunchError(
            "The id_token's nonce is not the one this login asked the LMS for.",
            hint="Start the launch again from the course.",
            issuer=issuer,
            client_id=client_id,
        )
    proof = request.POST.get(PROOF_PARAM, "")
    if not proof:
        data = {
            "mode": "launch",
            "target": storage_target_of(request.POST) or record["target"],
            "origin": record["platform_origin"],
            "state_key": f"state_{state}",
            "nonce_key": f"nonce_{nonce}",
            "nonce": nonce,
            "action": reverse("courses:lti_launch"),
            "fields": {"id_token": id_token, "state": state},
            "proof_field": PROOF_PARAM,
            "cookie_attributes": session_cookie_attributes(),
            "new_window": _login_url(login, lti1p3_new_window="1"),
        }
        return render(request, "lti/storage_launch.html", {"storage": data})
    if not hmac.compare_digest(_proof_hash(proof), record["proof"]):
        raise LaunchError(
            "The LMS's storage did not hold this login's state: the launch did not start "
            "in this browser.",
            title="This launch could not be confirmed",
            hint="Start the launch again from the course.",
            status=403,
            issuer=issuer,
            client_id=client_id,
        )
    if not cache.add(USED_PREFIX + state, True, timeout=RECORD_LIFETIME):
        raise LaunchError(
            "This launch was already used.",
            hint="Start the launch again from the course.",
            issuer=issuer,
            client_id=client_id,
        )
    # The record stays until it expires: a replay with the same secret meets the marker.
    # What the browser's cookies would have told pylti1p3, from the server's record.
    request.COOKIES[PYLTI_COOKIE_PREFIX + state] = state
    if record.get("session_id"):
        request.COOKIES[PYLTI_SESSION_ID_COOKIE] = record["session_id"]
    return None
