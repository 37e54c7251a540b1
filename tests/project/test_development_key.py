"""Debug mode's published development key never serves anything but this machine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.project.test_settings import production_env, run_python

# What `runserver 0.0.0.0:8000` receives: requests for this machine and for others.
REQUESTS_BY_HOST = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
client = Client()
hosts = ["localhost:8000", "127.0.0.1:8000", "[::1]:8000", "192.168.1.20:8000",
         "datagen.example.edu", "tool.localhost.example.com"]
print(json.dumps({
    "key": settings.SECRET_KEY,
    "allowed": settings.ALLOWED_HOSTS,
    "status": {host: client.get("/no-such-page/", HTTP_HOST=host).status_code for host in hosts},
}))
"""


def test_settings_from_nothing_answer_only_this_machine(tmp_path: Path) -> None:
    result = run_python(REQUESTS_BY_HOST, {"DATAGEN_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["key"].startswith("django-insecure-")
    assert values["allowed"] == ["localhost", "127.0.0.1", "[::1]", "testserver"]
    assert values["status"] == {
        "localhost:8000": 404,
        "127.0.0.1:8000": 404,
        "[::1]:8000": 404,
        "192.168.1.20:8000": 400,
        "datagen.example.edu": 400,
        "tool.localhost.example.com": 400,
    }


@pytest.mark.parametrize("hosts", ["datagen.example.edu", "*", "localhost,.example.edu"])
def test_public_hosts_need_a_secret_key_of_their_own(tmp_path: Path, hosts: str) -> None:
    env = {"DATAGEN_VAR_DIR": str(tmp_path), "DJANGO_ALLOWED_HOSTS": hosts}
    result = run_python("import django; django.setup()", env)
    assert result.returncode != 0
    assert "but the secret key is the development key" in result.stderr
    assert "Set DJANGO_SECRET_KEY" in result.stderr


def test_local_host_names_work_with_the_development_key(tmp_path: Path) -> None:
    env = {"DATAGEN_VAR_DIR": str(tmp_path), "DJANGO_ALLOWED_HOSTS": "localhost,tool.localhost"}
    result = run_python("import django; django.setup()", env)
    assert result.returncode == 0, result.stderr


def test_public_hosts_are_fine_with_a_secret_key_in_debug_mode(tmp_path: Path) -> None:
    env = {
        "DATAGEN_VAR_DIR": str(tmp_path),
        "DJANGO_ALLOWED_HOSTS": "dev.example.edu",
        "DJANGO_SECRET_KEY": "d" * 60 + "-a-developers-own-key",
    }
    result = run_python("import django; django.setup()", env)
    assert result.returncode == 0, result.stderr


def test_check_deploy_flags_the_development_key(tmp_path: Path) -> None:
    result = run_python("", {"DATAGEN_VAR_DIR": str(tmp_path)}, "manage.py", "check", "--deploy")
    output = result.stdout + result.stderr
    assert "security.W009" in output  # SECRET_KEY prefixed with "django-insecure-"
    assert "security.W018" in output  # DEBUG on


def test_the_development_key_cannot_be_given_as_a_production_key(tmp_path: Path) -> None:
    from django.conf import settings

    env = production_env(tmp_path, DJANGO_SECRET_KEY=settings.DEVELOPMENT_SECRET_KEY)
    result = run_python("import django; django.setup()", env)
    assert result.returncode != 0
    assert "but the secret key is the development key" in result.stderr
