"""Keys, platform registrations and the URLs admins paste."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

from courses.lti.keys import KEY_GRACE_PERIOD, current_tool_key, tool_jwks
from courses.models import ToolKeyState

pytestmark = pytest.mark.django_db


def _kids(client) -> list[str]:
    return [key["kid"] for key in client.get("/lti/jwks/").json()["keys"]]


def test_lti_keys_creates_then_rotates_with_a_grace_period(client):
    call_command("lti_keys", stdout=StringIO())
    first = current_tool_key()
    call_command("lti_keys", stdout=StringIO())  # idempotent without --rotate
    assert current_tool_key() == first
    assert _kids(client) == [first.state.kid]

    call_command("lti_keys", "--rotate", stdout=StringIO())
    second = current_tool_key()
    assert second != first
    assert set(_kids(client)) == {first.state.kid, second.state.kid}

    ToolKeyState.objects.filter(key=first).update(
        retired_at=timezone.now() - KEY_GRACE_PERIOD - timedelta(minutes=1)
    )
    assert _kids(client) == [second.state.kid]


def test_rotation_moves_registrations_to_the_new_key():
    call_command(
        "lti_register",
        "--canvas",
        "--client-id",
        "1000",
        "--deployment-id",
        "d1",
        stdout=StringIO(),
    )
    call_command("lti_keys", "--rotate", stdout=StringIO())
    assert LtiTool.objects.get().tool_key == current_tool_key()


def test_jwks_is_a_single_key_set(client):
    call_command("lti_keys", stdout=StringIO())
    response = client.get("/lti/jwks/")
    body = response.json()
    assert list(body) == ["keys"]
    assert isinstance(body["keys"], list) and "keys" not in body["keys"][0]
    assert body["keys"][0]["alg"] == "RS256" and body["keys"][0]["use"] == "sig"
    assert body == tool_jwks()


def test_lti_register_canvas_preset_is_idempotent():
    out = StringIO()
    call_command(
        "lti_register",
        "--canvas",
        "--client-id",
        "10000000000001",
        "--deployment-id",
        "a",
        stdout=out,
    )
    call_command(
        "lti_register",
        "--canvas",
        "--client-id",
        "10000000000001",
        "--deployment-id",
        "b",
        stdout=StringIO(),
    )
    call_command(
        "lti_register",
        "--canvas",
        "--client-id",
        "10000000000001",
        "--deployment-id",
        "a",
        stdout=StringIO(),
    )
    tool = LtiTool.objects.get()
    assert tool.issuer == "https://canvas.instructure.com"
    assert tool.auth_login_url == "https://sso.canvaslms.com/api/lti/authorize_redirect"
    assert tool.auth_token_url == "https://sso.canvaslms.com/login/oauth2/token"
    assert tool.key_set_url == "https://sso.canvaslms.com/api/lti/security/jwks"
    assert json.loads(tool.deployment_ids) == ["a", "b"]
    assert "/lti/login/" in out.getvalue()


def test_lti_register_moodle_preset_derives_urls():
    call_command(
        "lti_register",
        "--moodle",
        "https://moodle.example.edu/",
        "--client-id",
        "abc",
        "--deployment-id",
        "3",
        stdout=StringIO(),
    )
    tool = LtiTool.objects.get()
    assert tool.issuer == "https://moodle.example.edu"
    assert tool.auth_login_url == "https://moodle.example.edu/mod/lti/auth.php"
    assert tool.auth_token_url == "https://moodle.example.edu/mod/lti/token.php"
    assert tool.key_set_url == "https://moodle.example.edu/mod/lti/certs.php"


def test_lti_register_manual_fields_and_key_set_file(tmp_path):
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{"kty": "RSA", "kid": "k1", "n": "AQAB", "e": "AQAB"}]}))
    call_command(
        "lti_register",
        "--issuer",
        "https://lms.example.org",
        "--client-id",
        "tool-1",
        "--auth-login-url",
        "https://lms.example.org/auth",
        "--auth-token-url",
        "https://lms.example.org/token",
        "--key-set-file",
        str(jwks),
        "--deployment-id",
        "x",
        stdout=StringIO(),
    )
    tool = LtiTool.objects.get()
    assert json.loads(tool.key_set)["keys"][0]["kid"] == "k1" and not tool.key_set_url


def test_lti_register_refuses_incomplete_input():
    with pytest.raises(CommandError, match="--auth-login-url"):
        call_command(
            "lti_register", "--issuer", "https://x.example", "--client-id", "1", stdout=StringIO()
        )
    with pytest.raises(CommandError, match="Moodle site URL"):
        call_command("lti_register", "--moodle", "moodle", "--client-id", "1", stdout=StringIO())


def test_canvas_json_configuration(client):
    config = client.get("/lti/canvas.json", HTTP_HOST="localhost").json()
    assert config["oidc_initiation_url"] == "http://localhost/lti/login/"
    assert config["target_link_uri"] == "http://localhost/lti/launch/"
    assert config["public_jwk_url"] == "http://localhost/lti/jwks/"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in config["scopes"]
    assert (
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
        in config["scopes"]
    )
    extension = config["extensions"][0]
    assert extension["privacy_level"] == "public"
    placements = {p["placement"]: p for p in extension["settings"]["placements"]}
    assert set(placements) == {"assignment_selection", "link_selection"}
    assert all(p["message_type"] == "LtiDeepLinkingRequest" for p in placements.values())


def test_urls_are_https_behind_a_proxy(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.USE_X_FORWARDED_HOST = True
    settings.ALLOWED_HOSTS = ["datagen.example.edu", "internal"]
    config = client.get(
        "/lti/canvas.json",
        HTTP_HOST="internal",
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_HOST="datagen.example.edu",
    ).json()
    assert config["oidc_initiation_url"] == "https://datagen.example.edu/lti/login/"


def test_public_url_setting_wins(client, settings):
    settings.DATAGEN_PUBLIC_URL = "https://tool.example.edu"
    config = client.get("/lti/canvas.json").json()
    assert config["public_jwk_url"] == "https://tool.example.edu/lti/jwks/"
