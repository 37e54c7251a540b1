"""Fixtures for the exporter tests: the shop dataset, and fresh databases for load tests."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from tests.export.fixtures import shop_source
from tests.services import require_mysql, require_postgres


def unique_name(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(6)}"


@pytest.fixture(scope="session")
def shop():
    """The shop dataset, shared read-only by the tests."""
    return shop_source()


@pytest.fixture
def postgres_conninfo() -> Iterator[str]:
    """Conninfo of a fresh PostgreSQL schema (first on the search path), dropped afterwards.

    Skips when PostgreSQL is unreachable; fails instead when CI=true.
    """
    import psycopg
    from psycopg.conninfo import make_conninfo

    url = require_postgres()
    schema = unique_name("export_test")
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield make_conninfo(url, options=f"-c search_path={schema}")
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def mysql_params() -> Iterator[dict[str, Any]]:
    """pymysql arguments for a fresh MariaDB/MySQL database, dropped afterwards.

    Skips when the server is unreachable; fails instead when CI=true.
    """
    import pymysql

    server = {k: v for k, v in require_mysql().items() if k != "database"}
    database = unique_name("export_test")
    admin = pymysql.connect(**server)
    try:
        with admin.cursor() as cursor:
            cursor.execute(
                f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
            )
        yield {**server, "database": database, "charset": "utf8mb4"}
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
        admin.close()
