"""HTTP requests to URLs a platform supplied: public https hosts only, bounded in size and time.

Dynamic registration fetches URLs that arrive in a query string. Without these
limits the tool would be a proxy into its own network: every address a host
name resolves to must be public (checked before the request, and again on the
socket actually connected, so DNS rebinding cannot slip through), answers are
cut at ``MAX_RESPONSE_BYTES`` and at a deadline, and redirects are followed only
to URLs that pass the same checks. ``DATAGEN_REGISTRATION_ALLOW_PRIVATE`` lifts
the address check (and allows plain http) for development and tests.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

MAX_RESPONSE_BYTES = 1_000_000
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 10
# Whole request, including a slow trickle of bytes.
DEADLINE_SECONDS = 20
MAX_REDIRECTS = 3
REDIRECT_STATUSES = {301, 302, 303, 307, 308}


class OutboundError(Exception):
    """A request refused or failed; ``message`` is safe to show, ``detail`` is for the log."""

    def __init__(self, message: str, *, detail: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or message
        self.status = status


@dataclass(frozen=True)
class OutboundResponse:
    """A complete, size-bounded answer."""

    url: str
    status_code: int
    content: bytes

    def json(self) -> Any:
        """The body as JSON (raises ValueError when it is not)."""
        return json.loads(self.content.decode("utf-8"))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def private_targets_allowed() -> bool:
    """Whether private addresses and plain http are allowed (development and tests only)."""
    return bool(getattr(settings, "DATAGEN_REGISTRATION_ALLOW_PRIVATE", False))


def address_is_public(address: str) -> bool:
    """Whether an IP address is globally routable: not private, loopback, link-local, reserved…"""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address wrapped in IPv6 reaches the IPv4 host it names.
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not address_is_public(str(embedded)):
            return False
    return ip.is_global and not ip.is_multicast


def url_check(url: str, *, what: str, allow_private: bool | None = None) -> None:
    """Refuse a URL that is not https, or whose host resolves to any non-public address."""
    allow = private_targets_allowed() if allow_private is None else allow_private
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundError(f"{_cap(what)} is not a valid URL.") from exc
    schemes = {"https", "http"} if allow else {"https"}
    if parts.scheme not in schemes or not parts.hostname:
        raise OutboundError(f"{_cap(what)} must be an https URL.", detail=f"{what}: {url!r}")
    if parts.username or parts.password:
        raise OutboundError(f"{_cap(what)} must not carry a user name or password.")
    if allow:
        return
    host = parts.hostname
    try:
        infos = socket.getaddrinfo(
            host, port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except (OSError, UnicodeError) as exc:
        raise OutboundError(
            f"The host of {what} ({host}) could not be found.", detail=f"{host}: {exc}"
        ) from exc
    addresses = {info[4][0] for info in infos}
    private = sorted(a for a in addresses if not address_is_public(a))
    if not addresses or private:
        raise OutboundError(
            f"{_cap(what)} points at a private or reserved network address; the tool only contacts "
            "public hosts.",
            detail=f"{host} resolves to {', '.join(private) or 'nothing'}",
        )


# --- The socket check: the address connected to must be public too ------------------


class _PublicPeerMixin:
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        try:
            peer = sock.getpeername()[0]
        except OSError:
            peer = ""
        if not address_is_public(peer):
            sock.close()
            raise NewConnectionError(self, f"refused to talk to the non-public address {peer}")
        return sock


class _PublicHTTPConnection(_PublicPeerMixin, HTTPConnection):
    pass


class _PublicHTTPSConnection(_PublicPeerMixin, HTTPSConnection):
    pass


class _PublicHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class PublicOnlyAdapter(HTTPAdapter):
    """A requests adapter whose connections refuse non-public peers."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _PublicHTTPPool,
            "https": _PublicHTTPSPool,
        }


def _session(allow_private: bool) -> requests.Session:
    session = requests.Session()
    # Environment proxies would make the proxy the peer: these requests go direct.
    session.trust_env = False
    if not allow_private:
        adapter = PublicOnlyAdapter(max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.scheme, (parts.hostname or ""), port


def _read_bounded(response: requests.Response, *, deadline: float, what: str) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        raise OutboundError(
            f"The answer of {what} is too large.",
            detail=f"Content-Length {declared}",
            status=response.status_code,
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=16_384):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise OutboundError(
                f"The answer of {what} is too large.",
                detail=f"more than {MAX_RESPONSE_BYTES} bytes",
                status=response.status_code,
            )
        if time.monotonic() > deadline:
            raise OutboundError(f"{_cap(what)} took too long to answer.", detail="deadline passed")
        chunks.append(chunk)
    return b"".join(chunks)


def outbound_request(
    method: str,
    url: str,
    *,
    what: str,
    headers: dict[str, str] | None = None,
    json_body: Any = None,
) -> OutboundResponse:
    """Send one request to a platform-supplied URL under the checks above.

    GET follows up to ``MAX_REDIRECTS`` redirects, each checked again; other
    methods follow none. Raises ``OutboundError`` with a message safe to show.
    """
    allow_private = private_targets_allowed()
    deadline = time.monotonic() + DEADLINE_SECONDS
    with _session(allow_private) as session:
        for _ in range(MAX_REDIRECTS + 1):
            url_check(url, what=what, allow_private=allow_private)
            try:
                response = session.request(
                    method,
                    url,
                    headers=headers,
                    json=json_body,
                    timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                    allow_redirects=False,
                    stream=True,
                )
            except requests.Timeout as exc:
                raise OutboundError(
                    f"{_cap(what)} did not answer in time.", detail=repr(exc)
                ) from exc
            except requests.RequestException as exc:
                raise OutboundError(
                    f"The tool could not connect to {what}.", detail=repr(exc)
                ) from exc
            with response:
                location = response.headers.get("Location", "")
                if method == "GET" and response.status_code in REDIRECT_STATUSES and location:
                    target = urljoin(url, location)
                    if _origin(target) != _origin(url) and headers:
                        # As browsers and requests do: credentials stay with their host.
                        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
                    url = target
                    continue
                try:
                    content = _read_bounded(response, deadline=deadline, what=what)
                except requests.RequestException as exc:
                    raise OutboundError(
                        f"The answer of {what} was cut off.", detail=repr(exc)
                    ) from exc
                return OutboundResponse(url=url, status_code=response.status_code, content=content)
    raise OutboundError(f"{_cap(what)} redirected too many times.", detail=url)
