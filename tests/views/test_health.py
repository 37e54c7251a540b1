from __future__ import annotations

import pytest
from django.db.utils import OperationalError

from tests.services import in_ci


@pytest.mark.django_db
def test_healthz_names_what_it_reached(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["backend"] in {"sqlite", "postgresql"}
    assert body["cache"] == {"ok": True, "backend": body["cache"]["backend"]}
    assert body["queue"] == {"ok": True, "backend": "inline"}


@pytest.mark.django_db
def test_healthz_is_503_when_the_cache_is_down(client, settings) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["cache"]["ok"] is False
    assert body["database"]["ok"] is True


@pytest.mark.django_db
def test_healthz_is_503_when_the_queue_is_down(client, settings) -> None:
    settings.JOBS_INLINE = False
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["queue"]["ok"] is False
    assert response.json()["queue"]["backend"] == "redis"


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_is_down(client, monkeypatch) -> None:
    from django.db import connection

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == {
        "ok": False,
        "backend": connection.vendor,
        "error": "connection refused",
    }


@pytest.mark.django_db
def test_ci_runs_on_postgresql() -> None:
    """CI must exercise PostgreSQL, not the SQLite fallback."""
    from django.db import connection

    if not in_ci():
        pytest.skip("only meaningful in CI")
    assert connection.vendor == "postgresql", "set DATABASE_URL to PostgreSQL in .ci/run"
