"""Settings read from the environment: embedded defaults and production refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "debug": settings.DEBUG,
    "db": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "cache": settings.CACHES["default"]["BACKEND"],
    "inline": settings.JOBS_INLINE,
    "storage": settings.STORAGES["default"]["BACKEND"],
    "queues": sorted(settings.RQ_QUEUES),
    "session_samesite": settings.SESSION_COOKIE_SAMESITE,
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "proxy": getattr(settings, "SECURE_PROXY_SSL_HEADER", None),
    "demo": settings.DATAGEN_DEMO_MODE,
}))
"""


def run_python(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "datagen_lti.settings"}
    return subprocess.run(
        [sys.executable, *args] if args else [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "x" * 60 + "-production-secret-for-tests-only",
        "DJANGO_ALLOWED_HOSTS": "datagen.example.edu",
        "DATAGEN_SEED_SECRET": "seed-secret-for-tests",
        "DATAGEN_VAR_DIR": str(tmp_path),
        **extra,
    }


def test_defaults_without_environment(tmp_path: Path) -> None:
    result = run_python(PROBE, {"DATAGEN_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["debug"] is True
    assert values["db"] == "django.db.backends.sqlite3"
    assert values["db_name"] == str(tmp_path / "db.sqlite3")
    assert values["cache"].endswith("DatabaseCache")
    assert values["inline"] is True
    assert values["storage"].endswith("FileSystemStorage")
    assert values["queues"] == ["default", "generation", "grades"]
    assert values["demo"] is False


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["DJANGO_SECRET_KEY"]
    result = run_python(PROBE, env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_cookies_cross_site_and_secure(tmp_path: Path) -> None:
    result = run_python(PROBE, production_env(tmp_path, DATAGEN_BEHIND_PROXY="1"))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["debug"] is False
    assert values["session_samesite"] == "None"
    assert values["session_secure"] is True
    assert values["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["demo"] is False


def test_redis_url_switches_cache_and_queues(tmp_path: Path) -> None:
    result = run_python(PROBE, {"DATAGEN_VAR_DIR": str(tmp_path), "REDIS_URL": "redis://h:6379/3"})
    values = json.loads(result.stdout)
    assert values["cache"].endswith("RedisCache")
    assert values["inline"] is False


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    result = run_python(
        "", production_env(tmp_path), "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_about_a_derived_seed_secret(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["DATAGEN_SEED_SECRET"]
    result = run_python("", env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "datagen.W001" in result.stdout + result.stderr


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_a_bad_boolean_gets_a_clear_error(tmp_path: Path, value: str) -> None:
    result = run_python(PROBE, {"DATAGEN_VAR_DIR": str(tmp_path), "DJANGO_DEBUG": value})
    assert result.returncode != 0
    assert "is not a yes/no value" in result.stderr
