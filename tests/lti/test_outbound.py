"""Requests to platform-supplied URLs: public https hosts only, bounded answers."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from courses.lti import outbound
from courses.lti.dynamic_registration import registration_post
from courses.lti.errors import RegistrationError
from courses.lti.outbound import OutboundError, address_is_public, outbound_request, url_check


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 around 127.0.0.1
        ("not-an-address", False),
    ],
)
def test_address_is_public(address, public):
    assert address_is_public(address) is public


def _resolving_to(monkeypatch, *addresses: str) -> None:
    def fake(host, port, *args, **kwargs):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(outbound.socket, "getaddrinfo", fake)


def test_url_check_needs_https_and_public_addresses(monkeypatch):
    _resolving_to(monkeypatch, "93.184.215.14")
    url_check("https://lms.example.edu/config", what="the URL", allow_private=False)
    with pytest.raises(OutboundError, match="must be an https URL"):
        url_check("http://lms.example.edu/config", what="the URL", allow_private=False)
    with pytest.raises(OutboundError, match="must be an https URL"):
        url_check("file:///etc/passwd", what="the URL", allow_private=False)
    with pytest.raises(OutboundError, match="user name"):
        url_check("https://u:p@lms.example.edu/", what="the URL", allow_private=False)
    # One private address among public ones is enough to refuse.
    _resolving_to(monkeypatch, "93.184.215.14", "10.0.0.5")
    with pytest.raises(OutboundError, match="private or reserved") as caught:
        url_check("https://lms.example.edu/config", what="the URL", allow_private=False)
    assert "10.0.0.5" in caught.value.detail and "10.0.0.5" not in caught.value.message


def test_url_check_with_the_development_setting_allows_loopback_http():
    url_check("http://127.0.0.1:8000/config", what="the URL", allow_private=True)
    with pytest.raises(OutboundError):
        url_check("ftp://127.0.0.1/config", what="the URL", allow_private=True)


def test_the_setting_is_off_by_default(settings):
    del settings.DATAGEN_REGISTRATION_ALLOW_PRIVATE
    assert outbound.private_targets_allowed() is False
    with pytest.raises(OutboundError, match="https"):
        url_check("http://127.0.0.1/", what="the URL")


def test_registration_endpoint_on_a_private_host_is_refused(settings):
    settings.DATAGEN_REGISTRATION_ALLOW_PRIVATE = False
    for endpoint, message in [
        ("http://127.0.0.1:9/register", "https"),
        ("https://localhost:9/register", "private or reserved"),
        ("https://[::1]:9/register", "private or reserved"),
    ]:
        with pytest.raises(RegistrationError, match=message):
            registration_post(endpoint=endpoint, document={}, registration_token="t", issuer="i")


class _Handler(BaseHTTPRequestHandler):
    body = b"{}"
    location = ""
    seen_auth: list

    def do_GET(self):
        self.seen_auth.append(self.headers.get("Authorization"))
        if self.location and self.path == "/start":
            self.send_response(302)
            self.send_header("Location", self.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()  # no Content-Length: the size is only known by reading
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    handler = type("Handler", (_Handler,), {"seen_auth": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def test_answers_are_cut_at_the_size_limit(server, settings, monkeypatch):
    settings.DATAGEN_REGISTRATION_ALLOW_PRIVATE = True
    handler, base = server
    monkeypatch.setattr(outbound, "MAX_RESPONSE_BYTES", 1000)
    handler.body = b"x" * 999
    assert outbound_request("GET", f"{base}/", what="the URL").content == handler.body
    handler.body = b"x" * 5000
    with pytest.raises(OutboundError, match="too large"):
        outbound_request("GET", f"{base}/", what="the URL")


def test_redirects_are_checked_like_the_first_url(server, settings):
    settings.DATAGEN_REGISTRATION_ALLOW_PRIVATE = True
    handler, base = server
    handler.location = "ftp://127.0.0.1/elsewhere"
    with pytest.raises(OutboundError, match="https"):
        outbound_request("GET", f"{base}/start", what="the URL")
    handler.location = "/final"
    assert outbound_request("GET", f"{base}/start", what="the URL").url == f"{base}/final"
    # The bearer token follows a redirect on the same host, and no further.
    handler.seen_auth.clear()
    auth = {"Authorization": "Bearer secret"}
    outbound_request("GET", f"{base}/start", what="the URL", headers=auth)
    assert handler.seen_auth == ["Bearer secret", "Bearer secret"]
    handler.seen_auth.clear()
    handler.location = base.replace("127.0.0.1", "localhost") + "/final"
    outbound_request("GET", f"{base}/start", what="the URL", headers=auth)
    assert handler.seen_auth == ["Bearer secret", None]


def test_the_connected_address_is_checked_too(server, settings, monkeypatch):
    """A host that resolved to a public address at the check, then to a private one
    (DNS rebinding), is refused on the socket actually connected."""
    settings.DATAGEN_REGISTRATION_ALLOW_PRIVATE = False
    _, base = server
    monkeypatch.setattr(outbound, "url_check", lambda *args, **kwargs: None)
    with pytest.raises(OutboundError, match="could not connect") as caught:
        outbound_request("GET", f"{base}/", what="the URL")
    assert "non-public address 127.0.0.1" in caught.value.detail
