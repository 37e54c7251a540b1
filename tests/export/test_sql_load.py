"""SQL scripts load into real PostgreSQL, MariaDB/MySQL and SQLite with foreign keys on."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess

import pytest

from datagen_lti.export import write_sql
from datagen_lti.export.sql_dialects import get_dialect
from tests.export.checksum import digest_rows, select_all, source_digest

ENFORCED_FOREIGN_KEYS = 4  # customers.referrer_id, order.customer_id, order line x2


def _assert_same_data(shop, fetch_all, quote) -> None:
    for table in shop.schema.tables:
        rows = fetch_all(select_all(table, quote))
        assert digest_rows(rows, table) == source_digest(shop, table), table.name


def test_sqlite_script_loads_with_foreign_keys(shop, tmp_path):
    script = write_sql(shop, tmp_path / "shop.sql", dialect="sqlite")
    connection = sqlite3.connect(tmp_path / "shop.db")
    connection.executescript(script.read_text(encoding="utf-8"))
    quote = get_dialect("sqlite").quote
    _assert_same_data(shop, lambda sql: connection.execute(sql).fetchall(), quote)
    assert connection.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        connection.execute(
            "INSERT INTO \"order\" (id, customer_id, placed_at) VALUES (-1, -1, '2024-01-01')"
        )
    connection.close()


@pytest.mark.services
def test_postgres_script_loads_with_constraints(shop, tmp_path, postgres_conninfo):
    import psycopg

    script = write_sql(shop, tmp_path / "shop.sql", dialect="postgres")
    with psycopg.connect(postgres_conninfo, autocommit=True) as connection:
        connection.execute(script.read_text(encoding="utf-8"))
        quote = get_dialect("postgres").quote
        _assert_same_data(shop, lambda sql: connection.execute(sql).fetchall(), quote)
        count = connection.execute(
            "SELECT count(*) FROM information_schema.table_constraints "
            "WHERE constraint_type = 'FOREIGN KEY' AND table_schema = current_schema()"
        ).fetchone()[0]
        assert count == ENFORCED_FOREIGN_KEYS
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            connection.execute(
                "INSERT INTO \"order\" (id, customer_id, placed_at) VALUES (-1, -1, '2024-01-01')"
            )
        with pytest.raises(psycopg.errors.CheckViolation):
            connection.execute(
                'INSERT INTO "order" (id, customer_id, placed_at, quantity) '
                "VALUES (-2, 1, '2024-01-01', 0)"
            )


@pytest.mark.services
def test_mysql_script_loads_with_constraints(shop, tmp_path, mysql_params):
    import pymysql
    from pymysql.constants import CLIENT

    script = write_sql(shop, tmp_path / "shop.sql", dialect="mysql")
    connection = pymysql.connect(
        **mysql_params, client_flag=CLIENT.MULTI_STATEMENTS, autocommit=True
    )
    with connection, connection.cursor() as cursor:
        cursor.execute(script.read_text(encoding="utf-8"))
        while cursor.nextset():
            pass
        cursor.execute("SELECT @@foreign_key_checks")
        assert cursor.fetchone() == (1,)

        def fetch_all(sql):
            cursor.execute(sql)
            return cursor.fetchall()

        _assert_same_data(shop, fetch_all, get_dialect("mysql").quote)
        cursor.execute(
            "SELECT count(*) FROM information_schema.referential_constraints "
            "WHERE constraint_schema = DATABASE()"
        )
        assert cursor.fetchone() == (ENFORCED_FOREIGN_KEYS,)
        with pytest.raises(pymysql.err.IntegrityError):
            cursor.execute(
                "INSERT INTO `order` (id, customer_id, placed_at) VALUES (-1, -1, '2024-01-01')"
            )
        with pytest.raises(pymysql.err.OperationalError, match="CONSTRAINT"):
            cursor.execute(
                "INSERT INTO `order` (id, customer_id, placed_at, quantity) "
                "VALUES (-2, 1, '2024-01-01', 0)"
            )


@pytest.mark.services
@pytest.mark.skipif(shutil.which("psql") is None, reason="the psql client is not installed")
def test_postgres_script_runs_in_psql(shop, tmp_path, postgres_conninfo):
    import psycopg

    script = write_sql(shop, tmp_path / "shop.sql", dialect="postgres")
    params = psycopg.conninfo.conninfo_to_dict(postgres_conninfo)
    env = {**os.environ, "PGOPTIONS": str(params.pop("options"))}
    command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(script)]
    command.append(psycopg.conninfo.make_conninfo(**params))
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    with psycopg.connect(postgres_conninfo) as connection:
        quote = get_dialect("postgres").quote
        _assert_same_data(shop, lambda sql: connection.execute(sql).fetchall(), quote)


@pytest.mark.services
@pytest.mark.skipif(shutil.which("mysql") is None, reason="the mysql client is not installed")
def test_mysql_script_runs_in_mysql_client(shop, tmp_path, mysql_params):
    import pymysql

    script = write_sql(shop, tmp_path / "shop.sql", dialect="mysql")
    command = [
        "mysql",
        "--default-character-set=utf8mb4",
        f"--host={mysql_params['host']}",
        f"--port={mysql_params['port']}",
        f"--user={mysql_params['user']}",
        mysql_params["database"],
    ]
    env = {**os.environ, "MYSQL_PWD": str(mysql_params["password"])}
    with script.open("rb") as stdin:
        result = subprocess.run(command, stdin=stdin, env=env, capture_output=True, check=False)
    assert result.returncode == 0, result.stderr.decode()
    with pymysql.connect(**mysql_params) as connection, connection.cursor() as cursor:

        def fetch_all(sql):
            cursor.execute(sql)
            return cursor.fetchall()

        _assert_same_data(shop, fetch_all, get_dialect("mysql").quote)
