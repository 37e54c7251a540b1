"""Operational services: what a process can reach."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection


def check_database() -> dict[str, Any]:
    """Run a trivial query on the default database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "backend": connection.vendor, "error": str(exc)[:300]}
    return {"ok": True, "backend": connection.vendor}


def check_cache() -> dict[str, Any]:
    """Write, read and delete a key in the shared cache."""
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 2)[-2]
    key = f"healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=30)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception as exc:
        return {"ok": False, "backend": backend, "error": str(exc)[:300]}
    return (
        {"ok": ok, "backend": backend}
        if ok
        else {
            "ok": False,
            "backend": backend,
            "error": "the cache did not return what was written",
        }
    )


def check_queue() -> dict[str, Any]:
    """Ping Redis for the job queues, or report that jobs run inline."""
    if settings.JOBS_INLINE:
        return {"ok": True, "backend": "inline"}
    try:
        import django_rq
        from rq import Worker

        redis = django_rq.get_connection("default")
        redis.ping()
        workers = Worker.count(connection=redis)
    except Exception as exc:
        return {"ok": False, "backend": "redis", "error": str(exc)[:300]}
    return {"ok": True, "backend": "redis", "workers": int(workers)}


def check_storage() -> dict[str, Any]:
    """Write, read back and delete a small file in the default storage."""
    name = f"probes/{uuid.uuid4().hex}.txt"
    try:
        saved = default_storage.save(name, ContentFile(b"probe"))
        with default_storage.open(saved, "rb") as handle:
            ok = handle.read() == b"probe"
        default_storage.delete(saved)
    except Exception as exc:
        return {"ok": False, "error": str(exc)[:300]}
    return {"ok": ok}


def system_probe(*, progress: Callable[[float, str], None] | None = None) -> dict[str, Any]:
    """Report the process that runs this and whether it reaches the database and storage."""
    if progress:
        progress(0.1, "Checking the database")
    database = check_database()
    if progress:
        progress(0.5, "Checking file storage")
    storage = check_storage()
    return {
        "pid": os.getpid(),
        "hostname": socket.gethostname(),
        "database": database,
        "storage": storage,
    }
