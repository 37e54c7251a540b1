"""Reaching the external services some tests need, and the rule for when they are missing.

Without PostgreSQL or Redis those tests skip with a clear reason; with CI=true a
missing service is a failure, because CI must exercise the real thing.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest

SERVICE_SKIP_PREFIX = "service unavailable:"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def service_unavailable(reason: str) -> None:
    """Skip the calling test, or fail it when running in CI."""
    message = f"{SERVICE_SKIP_PREFIX} {reason}"
    if in_ci():
        pytest.fail(f"{message} (CI=true requires every service)", pytrace=False)
    pytest.skip(message)


def redis_url() -> str:
    """The Redis the tests use: REDIS_URL, else the conventional local one."""
    for name in ("REDIS_URL", "TEST_REDIS_URL"):
        if os.environ.get(name, "").strip():
            return os.environ[name].strip()
    return "redis://127.0.0.1:6379/0"


def require_redis() -> str:
    """Return a reachable Redis URL or skip (fail in CI)."""
    import redis

    url = redis_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:
        service_unavailable(f"Redis at {url} ({exc.__class__.__name__}: {exc})")
    return url


def postgres_url() -> str:
    return (
        os.environ.get("TEST_POSTGRES_URL", "").strip() or "postgres://postgres@127.0.0.1:5432/test"
    )


def mysql_url() -> str:
    return os.environ.get("TEST_MYSQL_URL", "").strip() or "mysql://root@127.0.0.1:3306/test"


def require_postgres() -> str:
    """Return a reachable PostgreSQL URL or skip (fail in CI)."""
    import psycopg

    url = postgres_url()
    try:
        psycopg.connect(url, connect_timeout=2).close()
    except Exception as exc:
        service_unavailable(f"PostgreSQL at {url} ({exc.__class__.__name__})")
    return url


def require_mysql() -> dict[str, object]:
    """Return pymysql connection arguments for a reachable MariaDB/MySQL, or skip."""
    import pymysql

    parts = urlsplit(mysql_url())
    kwargs: dict[str, object] = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": parts.username or "root",
        "password": parts.password or "",
        "database": parts.path.lstrip("/") or "test",
        "connect_timeout": 2,
    }
    try:
        pymysql.connect(**kwargs).close()
    except Exception as exc:
        service_unavailable(f"MariaDB/MySQL at {mysql_url()} ({exc.__class__.__name__})")
    return kwargs
