"""The container's health probe reaches /healthz whatever DJANGO_ALLOWED_HOSTS names."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.project.test_settings import ROOT, run_python

DOCKER = ROOT / "docker"


def dockerfile_probe_url() -> str:
    """The URL the image's HEALTHCHECK opens."""
    text = (DOCKER / "Dockerfile").read_text()
    healthcheck = text[text.index("HEALTHCHECK") :]
    return re.search(r"urlopen\('([^']+)'", healthcheck).group(1)


def compose_probe_url() -> str:
    """The URL the compose file's web healthcheck opens."""
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    command = " ".join(compose["services"]["web"]["healthcheck"]["test"])
    return re.search(r"urlopen\('([^']+)'", command).group(1)


def env_example(tmp_path: Path) -> dict[str, str]:
    """docker/env.example with its secrets filled in, as compose passes it to the web service."""
    values = {}
    for line in (DOCKER / "env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    values["DJANGO_SECRET_KEY"] = "s" * 60 + "-test-only"
    values["DATAGEN_SEED_SECRET"] = "seed-secret-for-tests"
    values.pop("POSTGRES_PASSWORD")  # the postgres service's, not the tool's
    return {
        **values,
        "DJANGO_DEBUG": "0",
        "DATAGEN_BEHIND_PROXY": "1",
        "DATAGEN_VAR_DIR": str(tmp_path),
    }


@pytest.fixture
def production_hosts(settings):
    """Production-like host handling, as with docker/env.example behind a proxy."""
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["datagen.example.edu"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.USE_X_FORWARDED_HOST = True
    return settings


def test_the_image_and_compose_probe_the_same_loopback_url() -> None:
    url = dockerfile_probe_url()
    assert url == compose_probe_url()
    parts = urlsplit(url)
    assert (parts.scheme, parts.hostname, parts.port, parts.path) == (
        "http",
        "127.0.0.1",
        8000,
        "/healthz",
    )


@pytest.mark.django_db
def test_the_images_probe_is_answered_with_production_hosts(client, production_hosts) -> None:
    parts = urlsplit(dockerfile_probe_url())
    response = client.get(parts.path, HTTP_HOST=parts.netloc)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000", "127.0.0.1"])
def test_healthz_answers_every_loopback_host(client, production_hosts, host: str) -> None:
    response = client.get("/healthz", HTTP_HOST=host)
    assert response.status_code == 200
    assert response.json()["database"]["ok"] is True


@pytest.mark.django_db
def test_healthz_still_answers_the_public_host_over_https(client, production_hosts) -> None:
    response = client.get(
        "/healthz", HTTP_HOST="datagen.example.edu", HTTP_X_FORWARDED_PROTO="https"
    )
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/lti/", "/admin/", "/healthz/", "/healthzz"])
def test_only_healthz_is_exempt_from_the_host_check(client, production_hosts, path: str) -> None:
    assert client.get(path, HTTP_HOST="127.0.0.1:8000").status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "localhost.evil"])
def test_healthz_refuses_hosts_that_are_neither_allowed_nor_loopback(
    client, production_hosts, host: str
) -> None:
    assert client.get("/healthz", HTTP_HOST=host).status_code == 400


PROBE_THROUGH_WSGI = """
import io, json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from datagen_lti.wsgi import application

def get(host):
    seen = {}
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": "/healthz", "QUERY_STRING": "",
        "SERVER_NAME": "0.0.0.0", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host, "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(), "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    body = b"".join(application(environ, lambda status, headers: seen.update(status=status)))
    return seen["status"], body.decode()

print(json.dumps({"loopback": get("127.0.0.1:8000"), "stranger": get("evil.example")}))
"""


def test_gunicorns_application_answers_the_probe_with_env_example(tmp_path: Path) -> None:
    """The web container, configured from docker/env.example, becomes healthy."""
    result = run_python(PROBE_THROUGH_WSGI, env_example(tmp_path))
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    status, body = answers["loopback"]
    assert status == "200 OK", body
    assert json.loads(body)["status"] == "ok"
    assert answers["stranger"][0].startswith("400")
