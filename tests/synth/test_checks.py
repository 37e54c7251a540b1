"""Objective checks: models, pass/fail on hand-built tables, and the SQL sandbox."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from pydantic import TypeAdapter, ValidationError

from datagen_lti.synth import generate, load_spec
from datagen_lti.synth.checks import (
    Check,
    CheckReport,
    check_references,
    run_checks,
    run_select,
)
from datagen_lti.synth.errors import SpecError
from datagen_lti.synth.schema import Column, DatasetSchema, ForeignKey, Table

CHECKS = TypeAdapter(list[Check])


@pytest.fixture
def tables() -> dict[str, pa.Table]:
    customers = pa.table(
        {
            "customer_id": [1, 2, 3, 4, 5, 6],
            "segment": ["retail", "retail", "retail", "retail", "b2b", None],
            "age": [20.0, 30.0, 40.0, 50.0, 60.0, None],
            "spend": [110.0, 190.0, 320.0, 390.0, 500.0, 10.0],
            "joined": pa.array(
                np.array(
                    ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01", "NaT"],
                    "datetime64[D]",
                )
            ),
        }
    )
    orders = pa.table(
        {
            "order_id": [10, 11, 12, 13],
            "customer_id": [1, 1, 2, 3],
            "amount": [5.0, None, 7.0, np.nan],
        }
    )
    return {"customers": customers, "orders": orders}


def check(**fields: object) -> list[Check]:
    return CHECKS.validate_python([fields])


def result(checks: list[Check], tables: dict[str, pa.Table], **kwargs: object):
    return run_checks(checks, tables, **kwargs).results[0]


@pytest.mark.parametrize(
    ("bounds", "passed"),
    [({"min": 4}, True), ({"min": 5}, False), ({"max": 3}, False), ({"min": 1, "max": 4}, True)],
)
def test_row_count(tables, bounds, passed) -> None:
    outcome = result(check(kind="row_count", table="orders", **bounds), tables)
    assert outcome.passed is passed
    assert outcome.observed == 4
    if not passed:
        assert "orders has 4 rows; need at" in outcome.message


def test_childless_parents_counts_parents_without_children(tables) -> None:
    checks = check(
        kind="childless_parents", parent="customers", child="orders", column="customer_id", min=3
    )
    outcome = result(checks, tables)
    assert (outcome.passed, outcome.observed) == (True, 3)
    outcome = result(
        check(
            kind="childless_parents",
            parent="customers",
            child="orders",
            column="customer_id",
            min=4,
        ),
        tables,
    )
    assert not outcome.passed
    assert "customers has 3 rows without orders" in outcome.message
    assert "need at least 4" in outcome.message and "childless_share" in outcome.message


def test_childless_parents_takes_the_parent_key_from_the_schema(tables) -> None:
    tables = {
        **tables,
        "customers": tables["customers"].rename_columns(
            ["id", "segment", "age", "spend", "joined"]
        ),
    }
    schema = DatasetSchema(
        "t",
        "d",
        "h",
        "1",
        (
            Table("customers", (Column("id", "integer"),), primary_key=("id",)),
            Table(
                "orders",
                (Column("customer_id", "integer"),),
                foreign_keys=(ForeignKey(("customer_id",), "customers", ("id",)),),
            ),
        ),
    )
    checks = check(
        kind="childless_parents", parent="customers", child="orders", column="customer_id"
    )
    assert result(checks, tables, schema=schema).observed == 3
    # Without a schema, a parent column named "id" is the fallback.
    assert result(checks, tables).observed == 3


def test_null_count_counts_nulls_and_nan(tables) -> None:
    outcome = result(
        check(kind="null_count", table="orders", column="amount", min=2, max=2), tables
    )
    assert (outcome.passed, outcome.observed) == (True, 2)
    assert "2 nulls (50.0%)" in outcome.message
    outcome = result(
        check(kind="null_count", table="orders", column="amount", max_share=0.25), tables
    )
    assert not outcome.passed and "share of at most 0.25" in outcome.message


def test_distinct_count_ignores_nulls(tables) -> None:
    outcome = result(
        check(kind="distinct_count", table="customers", column="segment", min=2), tables
    )
    assert (outcome.passed, outcome.observed) == (True, 2)
    assert not result(
        check(kind="distinct_count", table="customers", column="segment", min=3), tables
    ).passed


def test_correlation_sign_and_strength(tables) -> None:
    strong = result(
        check(kind="correlation", table="customers", x="age", y="spend", min=0.9), tables
    )
    assert strong.passed and strong.observed == pytest.approx(
        np.corrcoef([20, 30, 40, 50, 60], [110, 190, 320, 390, 500])[0, 1]
    )
    negative = result(
        check(kind="correlation", table="customers", x="age", y="spend", max=-0.3), tables
    )
    assert not negative.passed and "need at most -0.3" in negative.message
    dates = result(
        check(kind="correlation", table="customers", x="joined", y="spend", min=0.9), tables
    )
    assert dates.passed


def test_correlation_of_a_constant_column_fails_clearly() -> None:
    data = {"t": pa.table({"x": [1.0, 1.0, 1.0, 1.0], "y": [1.0, 2.0, 3.0, 4.0]})}
    outcome = result(check(kind="correlation", table="t", x="x", y="y", min=0.1), data)
    assert not outcome.passed and outcome.observed is None and "undefined" in outcome.message


def test_correlation_needs_numbers(tables) -> None:
    with pytest.raises(SpecError, match="a correlation needs numbers") as info:
        run_checks(
            check(kind="correlation", table="customers", x="segment", y="age", min=0), tables
        )
    assert info.value.path == "checks.0.x"


def test_group_size_spread(tables) -> None:
    outcome = result(
        check(kind="group_size_spread", table="customers", by="segment", min_groups=2, min_ratio=4),
        tables,
    )
    assert (outcome.passed, outcome.observed) == (True, 4.0)
    outcome = result(
        check(kind="group_size_spread", table="customers", by="segment", min_ratio=5), tables
    )
    assert not outcome.passed and "largest/smallest is 4.00, need at least 5" in outcome.message
    outcome = result(
        check(kind="group_size_spread", table="orders", by="customer_id", min_std=1), tables
    )
    assert not outcome.passed


def test_sql_checks_with_bounds_and_booleans(tables) -> None:
    query = "SELECT count(*) FROM orders o JOIN customers c USING (customer_id)"
    assert result(check(kind="sql", query=query, expect_min=4), tables).passed
    outcome = result(check(kind="sql", query=query + ";", expect_max=3), tables)
    assert not outcome.passed and outcome.observed == 4.0 and "need at most 3" in outcome.message
    decimal_sum = result(
        check(kind="sql", query="SELECT sum(1.5) FROM orders", expect_min=6), tables
    )
    assert decimal_sum.passed and decimal_sum.observed == 6.0
    empty = result(
        check(kind="sql", query="SELECT max(amount) FROM orders WHERE false", expect_min=0), tables
    )
    assert not empty.passed and "NULL" in empty.message
    truth = "SELECT bool_and(amount > 0) FROM orders WHERE NOT isnan(amount)"
    assert result(check(kind="sql", query=truth, expect_true=True), tables).passed
    assert not result(check(kind="sql", query=truth, expect_true=False), tables).passed


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("DROP TABLE orders", "only a SELECT is allowed, not DROP"),
        ("COPY orders TO 'out.csv'", "only a SELECT is allowed, not COPY"),
        ("SELECT 1; SELECT 2", "2 statements"),
        ("SELECT count(*) FROM orders; DROP TABLE orders", "2 statements"),
        ("SELECT * FROM read_csv('/etc/passwd')", "read_csv\\(\\) is not allowed"),
        ("SELECT count(*) FROM read_text('/etc/hosts')", "read_text\\(\\) is not allowed"),
        ("ATTACH 'other.db'", "not ATTACH"),
        ("PRAGMA database_list", "not PRAGMA"),
        ("INSTALL httpfs", "only a SELECT"),
        ("SELECT FROM WHERE", "does not parse"),
    ],
)
def test_sql_check_rejects_anything_but_one_select(query: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        check(kind="sql", query=query, expect_min=0)
    assert info.value.errors()[0]["loc"] == (0, "sql", "query")


def test_sql_runs_without_file_access(tables, tmp_path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    with pytest.raises(SpecError, match="the query failed") as info:
        run_select(f"SELECT count(*) FROM '{secret}'", tables, path="checks.3.query")
    assert info.value.path == "checks.3.query"


def test_sql_must_return_one_value(tables) -> None:
    with pytest.raises(SpecError, match="exactly one row with one value"):
        run_checks(check(kind="sql", query="SELECT order_id FROM orders", expect_min=0), tables)
    with pytest.raises(SpecError, match="it must return a number"):
        run_checks(check(kind="sql", query="SELECT 'x'", expect_min=0), tables)
    with pytest.raises(SpecError, match="unknown_table") as info:
        run_checks(
            check(kind="sql", query="SELECT count(*) FROM unknown_table", expect_min=0), tables
        )
    assert info.value.path == "checks.0.query"


def test_slow_sql_is_interrupted(tables) -> None:
    query = "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b"
    with pytest.raises(SpecError, match="ran longer than 0.2 s"):
        run_select(query, tables, timeout=0.2)


def test_unknown_names_raise_spec_errors_with_paths(tables) -> None:
    checks = CHECKS.validate_python(
        [
            {"kind": "row_count", "table": "orders", "min": 1},
            {"kind": "row_count", "table": "nope", "min": 1},
        ]
    )
    with pytest.raises(SpecError, match="unknown table 'nope'; tables: customers, orders") as info:
        run_checks(checks, tables)
    assert info.value.path == "checks.1.table"
    with pytest.raises(SpecError, match="has no column 'zzz'") as info:
        run_checks(check(kind="null_count", table="orders", column="zzz", max=0), tables)
    assert info.value.path == "checks.0.column"


def test_report_separates_required_and_optional_failures(tables) -> None:
    checks = CHECKS.validate_python(
        [
            {"kind": "row_count", "table": "orders", "min": 1},
            {
                "kind": "row_count",
                "table": "orders",
                "min": 100,
                "required": False,
                "description": "nice",
            },
            {"kind": "distinct_count", "table": "customers", "column": "segment", "max": 1},
        ]
    )
    report = run_checks(checks, tables)
    assert isinstance(report, CheckReport)
    assert [r.passed for r in report.results] == [True, False, False]
    assert [r.index for r in report.failed_required] == [2]
    assert report.passed is False
    data = json.loads(json.dumps(report.to_dict()))
    assert data["failed_required"] == 1 and data["failed_optional"] == 1
    assert data["results"][1]["description"] == "nice"
    assert data["results"][2]["path"] == "checks.2"
    only_optional = run_checks(checks[:2], tables)
    assert only_optional.passed


def test_models_are_closed_and_validate_bounds() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        check(kind="row_count", table="orders", min=1, minimum=2)
    with pytest.raises(ValidationError, match="give at least one of min and max"):
        check(kind="row_count", table="orders")
    with pytest.raises(ValidationError, match="min must not exceed max"):
        check(kind="distinct_count", table="t", column="c", min=5, max=2)
    with pytest.raises(ValidationError, match="less than or equal to 1"):
        check(kind="correlation", table="t", x="a", y="b", min=1.5)
    with pytest.raises(ValidationError, match="give expect_min"):
        check(kind="sql", query="SELECT 1")
    with pytest.raises(ValidationError, match="does not match any of the expected tags"):
        check(kind="bogus", table="t")


def test_check_references_name_every_table_and_column() -> None:
    (childless,) = check(
        kind="childless_parents", parent="customers", child="orders", column="customer_id"
    )
    assert check_references(childless) == [
        ("customers", None, "parent"),
        ("orders", None, "child"),
        ("orders", "customer_id", "column"),
    ]
    (corr,) = check(kind="correlation", table="t", x="a", y="b", min=0)
    assert check_references(corr) == [("t", None, "table"), ("t", "a", "x"), ("t", "b", "y")]
    (sql,) = check(kind="sql", query="SELECT 1", expect_true=True)
    assert check_references(sql) == []
    (sql,) = check(
        kind="sql",
        query="WITH big AS (SELECT * FROM orders WHERE amount > 5) "
        "SELECT count(*) FROM big JOIN customers c ON c.customer_id = big.customer_id",
        expect_min=0,
    )
    assert check_references(sql) == [("customers", None, "query"), ("orders", None, "query")]


def test_json_schema_suits_strict_structured_outputs() -> None:
    schema = TypeAdapter(Check).json_schema()
    objects = [d for d in schema["$defs"].values() if d.get("type") == "object"]
    assert len(objects) == 7
    assert all(d["additionalProperties"] is False for d in objects)
    assert schema["discriminator"]["propertyName"] == "kind"


def test_childless_parents_over_a_column_of_another_type_is_a_spec_error() -> None:
    spec = load_spec(
        "spec_version: 1\ntitle: T\ntables:\n  t0:\n    rows: 2\n    columns:\n"
        "      c0: {type: id}\n      c1: {type: date, start: 1990-01-01, end: 1990-01-01}\n"
        "checks:\n  - {kind: childless_parents, parent: t0, child: t0, column: c1}\n"
    )
    with pytest.raises(SpecError, match="incomparable types") as info:
        generate(spec, seed=b"s" * 32)
    assert info.value.path == "checks.0.column"
