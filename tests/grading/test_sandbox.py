"""The SQL sandbox: what it refuses, what it stops, and what one query may see."""

from __future__ import annotations

import time

import duckdb
import pyarrow as pa
import pytest

from datagen_lti.synth import sandbox, sql_guard
from datagen_lti.synth.sandbox import QueryError, Sandbox, SandboxLimits, validate_select

TABLES = {
    "customers": pa.table({"customer_id": [1, 2, 3], "segment": ["Consumer", "Corporate", None]}),
    "orders": pa.table({"order_id": [10, 11, 12, 13], "customer_id": [1, 1, 2, 9]}),
}
# Generous for a loaded CI machine, far below "never stops".
STOPPED_WITHIN_SECONDS = 5.0


@pytest.fixture
def box():
    with Sandbox(TABLES) as opened:
        yield opened


def refusal(box: Sandbox, sql: str) -> QueryError:
    with pytest.raises(QueryError) as info:
        box.query(sql)
    return info.value


# --- Refused before running -------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql, words",
    [
        ("SELECT * FROM read_csv('/etc/passwd')", "read_csv() is not allowed"),
        ("ATTACH '/tmp/x.db'", "only a SELECT is allowed, not ATTACH"),
        ("INSTALL httpfs", "only a SELECT is allowed"),
        ("LOAD httpfs", "only a SELECT is allowed"),
        ("PRAGMA version", "only a SELECT is allowed, not PRAGMA"),
        ("SET memory_limit='10GB'", "only a SELECT is allowed, not SET"),
        ("CREATE TABLE x AS SELECT 1", "only a SELECT is allowed, not CREATE"),
        ("DROP TABLE orders", "only a SELECT is allowed, not DROP"),
        ("SELECT 1; SELECT 2", "the text holds 2 statements; write exactly one SELECT"),
        ("   ;  ", "the query is empty"),
    ],
)
def test_statements_other_than_one_select_are_refused(box, sql, words):
    error = refusal(box, sql)
    assert error.reason == "invalid"
    assert words in error.message


def test_copy_is_refused_and_writes_nothing(box, tmp_path):
    target = tmp_path / "x.csv"
    error = refusal(box, f"COPY orders TO '{target}'")
    assert error.reason == "invalid"
    assert "only a SELECT is allowed, not COPY" in error.message
    assert not target.exists()


def test_a_refused_query_leaves_the_tables_intact(box):
    refusal(box, "DROP TABLE orders")
    refusal(box, "CREATE TABLE orders AS SELECT 1 AS x")
    assert box.query("SELECT count(*) FROM orders").rows == [[4]]


@pytest.mark.parametrize(
    "sql, name",
    [
        # Comments and quoted names do not hide a function from the check.
        ("SELECT * FROM read_csv/**/('/etc/passwd')", "read_csv"),
        ("SELECT * FROM \"read_text\"('/etc/passwd')", "read_text"),
        ("SELECT * FROM glob --\n('/etc/*')", "glob"),
        ("SELECT current_setting/**/('temp_directory')", "current_setting"),
        ("SELECT * FROM duckdb_settings/**/()", "duckdb_settings"),
        # Table functions that run SQL given as text, past every check.
        ("SELECT * FROM query('SELECT 42')", "query"),
        ("SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))", "json_exec"),
        ("SELECT * FROM destroy_external_resource/**/('query', 'SELECT 42')", "destroy_external"),
        ("SELECT * FROM query_table('orders')", "query_table"),
    ],
)
def test_file_and_system_functions_are_refused_however_written(box, sql, name):
    error = refusal(box, sql)
    assert error.reason == "invalid"
    assert name in error.message
    assert "is not allowed: a query reads only the dataset's tables" in error.message


@pytest.mark.parametrize("view", ["duckdb_settings", "pg_catalog.pg_settings"])
def test_system_views_are_refused(box, view):
    error = refusal(box, f"SELECT * FROM {view}")
    assert error.reason == "invalid"
    assert "is not allowed" in error.message


@pytest.mark.parametrize(
    "sql, words",
    [
        # Each of these, run, built one value outside the memory limit and past the time limit.
        ("SELECT len(range(300000000))", "range() as a value needs whole-number literals"),
        ("SELECT len(generate_series(1, 300000000))", "use it as a table"),
        ("SELECT len(range(customer_id * 300000000)) FROM customers", "whole-number literals"),
        ("SELECT length(repeat('x', 2000000000))", "repeat() needs a literal text and count"),
        ("SELECT repeat(segment, 3) FROM customers", "repeat() needs a literal text and count"),
        ("SELECT lpad('a', 1000000000, 'b')", "lpad() needs a literal width of at most 10,000"),
        ("SELECT segment.rpad(1000000000) FROM customers", "rpad() needs a literal width"),
        ("SELECT lpad(segment, customer_id) FROM customers", "lpad() needs a literal width"),
        ("SELECT len(list_resize([1], 300000000))", "list_resize() needs a literal size"),
        ("SELECT len(array_resize([1], 300000000))", "array_resize() needs a literal size"),
        ("SELECT format('{:>1000000000}', 'x')", "format() needs a literal format string"),
        ("SELECT format('{:>{}}', 'x', 1000000000)", "format() needs a literal format string"),
        ("SELECT printf('%1000000000d', 1)", "printf() needs a literal format string"),
        ("SELECT printf('%*d', 1000000000, 1)", "printf() needs a literal format string"),
        ("SELECT list_transform([1], x -> lpad('a', x * 1000000000))", "lpad() needs"),
    ],
)
def test_unbounded_value_builders_are_refused_before_running(box, sql, words):
    error = refusal(box, sql)
    assert error.reason == "invalid"
    assert words in error.message


@pytest.mark.parametrize(
    "sql, rows",
    [
        ("SELECT lpad(CAST(customer_id AS VARCHAR), 3, '0') FROM customers", [["001"], ["002"], ["003"]]),
        ("SELECT unnest(range(1, 4))", [[1], [2], [3]]),
        ("SELECT len(generate_series(1, 10000))", [[10000]]),
        ("SELECT repeat('ab', 3), printf('%05.1f', 3.14159), format('{}-{:.2f}', 'x', 2.5)",
         [["ababab", "003.1", "x-2.50"]]),
        ("SELECT count(*) FROM range(1000000)", [[1000000]]),
        ("SELECT count(*) FROM generate_series(1, 10) t(x), unnest([1, 2])", [[20]]),
        ("SELECT key, value FROM json_each('{\"a\": 1}')", [["a", "1"]]),
    ],
)  # fmt: skip
def test_bounded_uses_of_those_functions_still_run(box, sql, rows):
    assert box.query(sql).rows == rows


def test_every_alias_of_a_bounded_builder_is_covered():
    """A DuckDB upgrade that adds an alias of one of them must not open a way around the check."""
    bounded = {
        *sql_guard._LIST_BUILDERS,
        *sql_guard._SIZE_ARGUMENT,
        *sql_guard._FORMATTERS,
        "repeat",
    }
    connection = duckdb.connect()
    aliases = {
        name
        for (name,) in connection.execute(
            "SELECT DISTINCT function_name FROM duckdb_functions() "
            "WHERE function_type = 'scalar' AND alias_of IN (SELECT unnest($names))",
            {"names": sorted(bounded)},
        ).fetchall()
    }
    assert aliases - bounded == set()


def test_the_database_itself_refuses_files_and_config_changes():
    """Past the checks, the connection still reads no file and keeps its limits."""
    cursor = sandbox._database(sandbox.DEFAULT_LIMITS).cursor()
    try:
        with pytest.raises(duckdb.Error, match="disabled by configuration"):
            cursor.execute("SELECT * FROM read_csv('/etc/passwd')")
        with pytest.raises(duckdb.Error, match="configuration has been locked"):
            cursor.execute("SET memory_limit = '10GB'")
        with pytest.raises(duckdb.Error, match="configuration has been locked"):
            cursor.execute("SET enable_external_access = true")
    finally:
        cursor.close()


# --- Stopped while running ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) FROM range(1000000000) a, range(1000000000) b",
        "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t",
    ],
    ids=["cross-join", "endless-recursion"],
)
def test_a_runaway_query_is_stopped_and_the_sandbox_stays_usable(sql):
    with Sandbox(TABLES, limits=SandboxLimits(timeout_seconds=1)) as box:
        started = time.monotonic()
        with pytest.raises(QueryError) as info:
            box.query(sql)
        elapsed = time.monotonic() - started
        assert box.query("SELECT count(*) FROM orders").rows == [[4]]
    assert info.value.reason in ("timeout", "memory")
    assert "was stopped; simplify it" in info.value.message
    assert elapsed < STOPPED_WITHIN_SECONDS


def test_the_time_limit_is_named_in_the_message():
    limits = SandboxLimits(timeout_seconds=1)
    with Sandbox(TABLES, limits=limits) as box, pytest.raises(QueryError) as info:
        box.query("SELECT count(*) FROM range(1000000000000)")
    assert info.value.reason == "timeout"
    assert "ran longer than 1 s" in info.value.message


# --- Results ------------------------------------------------------------------------------------


def test_rows_are_capped_and_the_cut_is_reported():
    with Sandbox(TABLES, limits=SandboxLimits(max_rows=10)) as box:
        over = box.query("SELECT * FROM range(100)")
        exact = box.query("SELECT * FROM range(10)")
        asked = box.query("SELECT * FROM range(100)", max_rows=3)
    assert len(over.rows) == 10 and over.truncated
    assert len(exact.rows) == 10 and not exact.truncated
    assert asked.rows == [[0], [1], [2]] and asked.truncated


def test_value_needs_exactly_one_row_and_column(box):
    assert box.value("SELECT count(*) FROM orders") == 4
    with pytest.raises(QueryError) as info:
        box.value("SELECT customer_id FROM orders")
    assert info.value.reason == "shape"
    assert "more than one row" in info.value.message
    with pytest.raises(QueryError) as info:
        box.value("SELECT 1, 2")
    assert "2 column(s)" in info.value.message


def test_two_sandboxes_never_see_each_others_tables():
    mine = {"orders": pa.table({"order_id": [1, 2]}), "secret": pa.table({"x": [42]})}
    theirs = {"orders": pa.table({"order_id": [7, 8, 9]})}
    with Sandbox(mine) as a, Sandbox(theirs) as b:
        assert a.query("SELECT sum(order_id) FROM orders").rows == [[3]]
        assert b.query("SELECT sum(order_id) FROM orders").rows == [[24]]
        with pytest.raises(QueryError) as info:
            b.query("SELECT * FROM secret")
        a.close()
        assert b.query("SELECT count(*) FROM orders").rows == [[3]]
    assert "there is no table secret" in info.value.message
    assert info.value.message.endswith("the tables are orders")


def test_an_unknown_table_is_named_plainly_with_the_tables_there_are(box):
    error = refusal(box, "SELECT * FROM orderz")
    assert error.reason == "failed"
    assert "there is no table orderz" in error.message
    assert 'did you mean "orders"' in error.message
    assert "the tables are customers, orders" in error.message
    assert "Catalog Error" not in error.message and "LINE 1" not in error.message


@pytest.mark.parametrize(
    "sql, words",
    [
        ("SELECT segmnt FROM customers", 'there is no column segmnt (similar names: "segment")'),
        ("SELECT c.segmnt FROM customers c", "there is no column segmnt in c"),
    ],
)
def test_an_unknown_column_is_named_plainly(box, sql, words):
    error = refusal(box, sql)
    assert error.reason == "failed"
    assert words in error.message
    assert "Binder Error" not in error.message and "^" not in error.message


def test_parameters_bind_by_name_as_values_never_as_sql(box):
    sql = "SELECT order_id FROM orders WHERE customer_id = $customer ORDER BY order_id"
    assert box.query(sql, parameters={"customer": 1}).rows == [[10], [11]]
    text = "SELECT count(*) FROM customers WHERE segment = $segment"
    assert box.value(text, parameters={"segment": "Corporate"}) == 1
    assert box.value(text, parameters={"segment": "x' OR 1=1 --"}) == 0
    error = refusal(box, sql)
    assert "missing parameter(s) customer" in error.message


def test_values_come_back_as_json_friendly_values(box):
    row = box.query(
        "SELECT 1.50::DECIMAL(5, 2), 3::DECIMAL(5, 2), DATE '2024-02-29', "
        "TIMESTAMP '2024-02-29 10:30:00', 'nan'::DOUBLE, NULL"
    ).rows[0]
    assert row == [1.5, 3, "2024-02-29", "2024-02-29 10:30:00", "nan", None]


def test_validate_select_returns_the_query_without_its_trailing_semicolon():
    assert validate_select("  SELECT 1 ;  ") == "SELECT 1"
