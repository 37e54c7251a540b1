"""Production settings link static files without a 500, collected or not."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from django.templatetags.static import static

from tests.project.test_settings import ROOT, production_env, run_python

STORAGE = "datagen_lti.staticfiles.ManifestOrPlainStaticFilesStorage"


@pytest.fixture
def production_static(settings, tmp_path: Path):
    """DJANGO_DEBUG=0's static files storage, over an empty STATIC_ROOT."""
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "staticfiles"
    settings.STATIC_ROOT.mkdir()
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": STORAGE}}
    return settings


def write_manifest(static_root: Path, paths: dict[str, str]) -> None:
    manifest = {"version": "1.1", "paths": paths, "hash": "0" * 12}
    (static_root / "staticfiles.json").write_text(json.dumps(manifest))


def test_uncollected_files_are_linked_by_their_plain_names(production_static, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="datagen_lti.staticfiles"):
        assert static("css/app.css") == "/static/css/app.css"
        assert static("js/questions.js") == "/static/js/questions.js"
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1, warnings  # said once, not per file
    assert "Static files are not collected" in warnings[0]
    assert "collectstatic" in warnings[0]


def test_collected_files_are_linked_by_their_hashed_names(production_static, caplog) -> None:
    write_manifest(production_static.STATIC_ROOT, {"css/app.css": "css/app.0123456789ab.css"})
    with caplog.at_level(logging.WARNING, logger="datagen_lti.staticfiles"):
        assert static("css/app.css") == "/static/css/app.0123456789ab.css"
    assert caplog.records == []


def test_a_file_added_after_collectstatic_is_linked_by_its_plain_name(
    production_static, caplog
) -> None:
    write_manifest(production_static.STATIC_ROOT, {"css/app.css": "css/app.0123456789ab.css"})
    with caplog.at_level(logging.WARNING, logger="datagen_lti.staticfiles"):
        assert static("js/new.js") == "/static/js/new.js"
    assert "js/new.js is not in the static files manifest" in caplog.records[0].getMessage()


@pytest.mark.django_db
def test_pages_render_in_production_without_collectstatic(client, production_static) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert b'href="/static/css/app.css"' in response.content


PAGES_WITHOUT_COLLECTSTATIC = """
import json
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
client = Client()
page = client.get("/", HTTP_X_FORWARDED_PROTO="https")
css = client.get("/static/css/app.css", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "storage": settings.STORAGES["staticfiles"]["BACKEND"],
    "finders": settings.WHITENOISE_USE_FINDERS,
    "page": page.status_code,
    "linked": 'href="/static/css/app.css"' in page.content.decode(),
    "css": css.status_code,
}))
"""


def test_production_settings_serve_pages_and_styles_before_collectstatic(tmp_path: Path) -> None:
    """DJANGO_DEBUG=0 without collectstatic used to answer 500 on every page."""
    if (ROOT / "staticfiles" / "staticfiles.json").exists():
        pytest.skip("static files are collected in this checkout")
    env = production_env(tmp_path, DJANGO_ALLOWED_HOSTS="testserver", DATAGEN_BEHIND_PROXY="1")
    result = run_python(PAGES_WITHOUT_COLLECTSTATIC, env)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "storage": STORAGE,
        "finders": True,
        "page": 200,
        "linked": True,
        "css": 200,
    }
    assert "Static files are not collected" in result.stderr


COLLECTED = """
import json
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
settings.STATIC_ROOT = {static_root!r}
call_command("collectstatic", interactive=False, verbosity=0)
from django.contrib.staticfiles.storage import staticfiles_storage
print(json.dumps({{"url": staticfiles_storage.url("css/app.css")}}))
"""


def test_collectstatic_still_writes_the_manifest_under_production_settings(
    tmp_path: Path,
) -> None:
    static_root = tmp_path / "staticfiles"
    result = run_python(COLLECTED.format(static_root=str(static_root)), production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (static_root / "staticfiles.json").is_file()
    url = json.loads(result.stdout.strip().splitlines()[-1])["url"]
    assert url.startswith("/static/css/app.") and url != "/static/css/app.css"
    assert (static_root / url.removeprefix("/static/")).is_file()
