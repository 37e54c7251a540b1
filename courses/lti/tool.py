"""pylti1p3, configured: registrations from the database, launch data in the shared cache.

pylti1p3 gotchas handled here:
- nonces are only checked for existence, never consumed, and a launch that
  passed once passes the state check again: ``ToolMessageLaunch`` makes each
  nonce single-use, so a replayed id_token is refused;
- it decodes the id_token without any clock leeway: a platform whose clock
  runs a few seconds ahead would fail with "iat in the future";
- a platform that rotated its key is only seen after the cached JWKS expires:
  an unknown ``kid`` refetches the key set once.
"""

from __future__ import annotations

import hashlib

import jwt
from django.core.cache import cache
from django.http import HttpRequest
from django.template.loader import render_to_string
from pylti1p3.contrib.django import DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.contrib.django.launch_data_storage.cache import DjangoCacheDataStorage
from pylti1p3.contrib.django.lti1p3_tool_config import DjangoDbToolConf
from pylti1p3.exception import LtiException
from pylti1p3.registration import Registration

from courses.lti.claims import LOGIN_PARAMS

# Seconds of clock difference tolerated between the platform and the tool.
CLOCK_LEEWAY = 60
# A platform's public keys are cached this long between launches.
PLATFORM_JWKS_CACHE_SECONDS = 3600
NONCE_USED_PREFIX = "lti1p3-nonce-used-"
LAUNCH_DATA_LIFETIME = 8 * 3600


def tool_conf() -> DjangoDbToolConf:
    """Registrations, read from the ``LtiTool`` rows (one instance per request: it caches)."""
    return DjangoDbToolConf()


def launch_data_storage() -> DjangoCacheDataStorage:
    """pylti1p3's launch data and nonces, in the cache every process shares.

    That cache must never evict a live entry: a pending login's nonce evicted is a genuine
    launch refused, and a used-nonce marker evicted is a replay accepted. Redis (no
    ``maxmemory`` eviction) or the database cache with ``MAX_ENTRIES`` far above the entries
    alive at once (about four per launch, for up to a day): see the README.
    """
    return DjangoCacheDataStorage(cache_name="default")


def nonce_mark_used(nonce: str) -> bool:
    """Record a launch's nonce as used; False when it already was (a replayed id_token)."""
    return cache.add(NONCE_USED_PREFIX + nonce, True, timeout=LAUNCH_DATA_LIFETIME)


def platform_registration(*, issuer: str, client_id: str) -> Registration:
    """pylti1p3's view of a registration, for signing and calling platform services."""
    return tool_conf().find_registration_by_params(issuer, client_id)


class ToolOIDCLogin(DjangoOIDCLogin):
    """OIDC login initiation; renders our own cookie-check page."""

    def __init__(self, request: HttpRequest, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        self._http_request = request

    def get_cookies_allowed_js_check(self) -> str:
        params = {"lti1p3_new_window": "1"}
        for name in LOGIN_PARAMS:
            value = self._get_request_param(name)
            if value:
                params[name] = value
        # The parameters are the caller's, unchecked: they reach the page's script only
        # through json_script, and the script runs only with the response's CSP nonce.
        return render_to_string(
            "lti/cookie_check.html",
            {"params": params, "secure": self._request.is_secure()},
            request=self._http_request,
        )


class ToolMessageLaunch(DjangoMessageLaunch):
    """pylti1p3's launch validation, with single-use nonces, clock leeway and key refetch."""

    def __init__(self, request: HttpRequest, **kwargs) -> None:
        super().__init__(request, tool_conf(), launch_data_storage=launch_data_storage(), **kwargs)
        self.set_public_key_caching(launch_data_storage(), PLATFORM_JWKS_CACHE_SECONDS)
        self.set_launch_data_lifetime(LAUNCH_DATA_LIFETIME)

    def get_jwt_header(self) -> dict:
        return dict(self._jwt.get("header", {}))

    def fetch_public_key(self, key_set_url: str):
        # Record whether the platform's key set answered, for the administrators' check page.
        # A key set served from the cache says nothing new, so only real fetches count.
        cache_key = "key-set-url-" + hashlib.md5(key_set_url.encode("utf-8")).hexdigest()
        cached = cache.get("lti1p3-" + cache_key) is not None
        try:
            key_set = super().fetch_public_key(key_set_url)
        except LtiException as exc:
            self._health_record(ok=False, message=str(exc))
            raise
        if not cached:
            self._health_record(ok=True, message=f"Key set fetched from {key_set_url}.")
        return key_set

    def _health_record(self, *, ok: bool, message: str) -> None:
        from courses.lti.health import platform_health_record, registration_by_params

        if self._registration is None:
            return
        registration = registration_by_params(
            issuer=self._registration.get_issuer() or "",
            client_id=self._registration.get_client_id(),
        )
        platform_health_record(
            registration=registration, endpoint="key_set", ok=ok, message=message
        )

    def get_public_key(self):
        try:
            return super().get_public_key()
        except LtiException as exc:
            key_set_url = self._registration.get_key_set_url() if self._registration else None
            if "Unable to find public key" not in str(exc) or not key_set_url:
                raise
            # The platform may have rotated its key since we cached its JWKS.
            cache_key = "key-set-url-" + hashlib.md5(key_set_url.encode("utf-8")).hexdigest()
            cache.delete("lti1p3-" + cache_key)
            self._registration.set_key_set(None)
            return super().get_public_key()

    def validate_jwt_signature(self):
        id_token = self._get_id_token()
        public_key, key_alg = self.get_public_key()
        try:
            jwt.decode(
                id_token,
                public_key,
                algorithms=[key_alg],
                options={"verify_aud": False},
                leeway=CLOCK_LEEWAY,
            )
        except jwt.InvalidTokenError as exc:
            raise LtiException(f"Can't decode id_token: {exc}") from exc
        return self

    def save_launch_data(self):
        # Consume the nonce only once the token proved genuine, so that a forged
        # launch cannot burn a real one.
        if not nonce_mark_used(self._get_jwt_body().get("nonce", "")):
            raise LtiException("Nonce already used")
        return super().save_launch_data()
