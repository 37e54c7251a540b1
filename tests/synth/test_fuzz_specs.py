"""Fuzz: random, structurally plausible specs with hostile values through load_spec and generate.

Each spec either generates, giving data a preview can read (dates within years
1-9999, no infinite numbers), or raises a SpecError naming a path. Any other
exception (OverflowError, ArrowInvalid, a bare ValueError...) is a 500 in the
preview or an unexplained failure in the check job, and fails this test.

The specs are built from pools of table and column names, so that foreign keys,
expressions, checks and flaws often name something that exists; their values mix
plausible numbers with extremes (NaN, infinity, 1e308, 2**64), huge and unicode
strings, and values of the wrong type.
"""

from __future__ import annotations

import json
import math

import pyarrow as pa
import pyarrow.compute as pc
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datagen_lti.synth import SpecError, SpecLimits, generate, load_spec
from tests.synth.conftest import seed_for

LIMITS = SpecLimits(max_tables=6, max_columns=12, max_total_rows=3_000)
SEED = seed_for("fuzz")
TABLES = ["t0", "t1", "t2"]
COLUMNS = ["c0", "c1", "c2", "c3", "id"]

# --- plausible values: each field's valid range, extremes of it included -------------------

HUGE = [1e300, 1e308, 2.0**63, 2.0**64, 10.0**20, 1e15]
TINY = [5e-324, 1e-300, 1e-12]


def floats(low: float | None = None, high: float | None = None, extremes=()):
    """Finite floats in [low, high], mostly ordinary, now and then an extreme one."""
    ordinary = st.floats(
        max(-1e6, low) if low is not None else -1e6,
        min(1e6, high) if high is not None else 1e6,
        allow_nan=False,
    )
    picked = [x for x in extremes if (low is None or x >= low) and (high is None or x <= high)]
    if not picked:
        return ordinary
    return st.integers(0, 7).flatmap(lambda i: st.sampled_from(picked) if i == 0 else ordinary)


ANY_FLOAT = floats(extremes=[*HUGE, *(-x for x in HUGE), *TINY, -0.0])
POSITIVE = floats(1e-9, extremes=[*HUGE, *TINY])
COUNT = st.one_of(st.integers(1, 5), st.sampled_from([1, 100, 1000, 100_000]))
RATE = st.one_of(st.floats(0, 0.5), st.sampled_from([0, 0.9, 0.95, 0.999]))
SAFE_TEXT = st.text(alphabet=st.characters(codec="utf-8", blacklist_characters="\x00"), max_size=30)
LONG_TEXT = st.one_of(
    SAFE_TEXT, st.sampled_from(["é" * 1999, "💥" * 400, "'; DROP TABLE t0; --", "%s%n{0}"])
)
TABLE = st.sampled_from(TABLES)
COLUMN = st.sampled_from(COLUMNS)
REF = st.one_of(COLUMN, st.builds("{}.{}".format, TABLE, COLUMN))
YEARS = st.one_of(
    st.integers(1990, 2030),
    st.sampled_from([1, 2, 1000, 1970, 9800, 9999]),
)
# (start, end) pairs within the 200 years a time column may span, the calendar's ends included.
DATE_RANGE = st.tuples(YEARS, st.integers(0, 150), st.dates(), st.dates()).map(
    lambda t: tuple(
        sorted(
            [
                f"{t[0]:04d}-{t[2].month:02d}-{min(t[2].day, 28):02d}",
                f"{min(t[0] + t[1], 9999):04d}-{t[3].month:02d}-{min(t[3].day, 28):02d}",
            ]
        )
    )
)


def weights(n: int):
    return st.lists(floats(0, extremes=[0.0, *HUGE, *TINY]), min_size=n, max_size=n)


DISTRIBUTION = st.one_of(
    st.tuples(ANY_FLOAT, ANY_FLOAT).map(
        lambda t: {"kind": "uniform", "low": min(t), "high": max(t)}
    ),
    st.fixed_dictionaries({"kind": st.just("normal"), "mean": ANY_FLOAT, "sd": POSITIVE}),
    st.fixed_dictionaries(
        {"kind": st.just("lognormal"), "median": POSITIVE, "sigma": floats(1e-9, 5, [5.0])}
    ),
    st.fixed_dictionaries({"kind": st.just("exponential"), "mean": POSITIVE}),
    st.fixed_dictionaries({"kind": st.just("poisson"), "mean": floats(1e-9, 1e9, [1e9])}),
    st.fixed_dictionaries({"kind": st.just("zipf"), "a": floats(1.0001, 10, [1.0001, 10.0])}),
    st.fixed_dictionaries(
        {"kind": st.just("pareto"), "a": floats(1e-9, 50, [1e-9, 50.0]), "minimum": POSITIVE}
    ),
    st.integers(1, 6).flatmap(
        lambda n: st.fixed_dictionaries(
            {"kind": st.just("empirical"), "values": st.lists(ANY_FLOAT, min_size=n, max_size=n)},
            optional={"weights": weights(n)},
        )
    ),
)
CARDINALITY = st.one_of(
    st.fixed_dictionaries({"kind": st.just("fixed"), "n": COUNT}),
    st.fixed_dictionaries({"kind": st.just("poisson"), "mean": floats(1, 100_000, [100_000.0])}),
    st.tuples(COUNT, COUNT).map(lambda t: {"kind": "uniform", "low": min(t), "high": max(t)}),
    st.fixed_dictionaries(
        {"kind": st.just("zipf"), "a": floats(1.0001, 10, [1.0001])}, optional={"max": COUNT}
    ),
)

# --- expressions ----------------------------------------------------------------------

LITERALS = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.sampled_from(
        [
            "3000000000",
            "9223372036854775807",
            "99999999999999999999",
            "1e308",
            "1e309",
            "0.0",
            "0",
            "'2024-13-45'",
            "'2024-02-29'",
            "'9999-12-31'",
            "'abc'",
            "''",
            "null",
            "true",
        ]
    ),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)
FUNCTIONS = [
    ("add_days", 2),
    ("days_between", 2),
    ("date", 1),
    ("year", 1),
    ("round", 2),
    ("round", 1),
    ("sqrt", 1),
    ("abs", 1),
    ("floor", 1),
    ("ceil", 1),
    ("min", 2),
    ("max", 3),
    ("coalesce", 2),
    ("concat", 2),
    ("upper", 1),
    ("length", 1),
    ("if", 3),
    ("weekday", 1),
]
OPERATORS = ["+", "-", "*", "/", "%", "**", "<", "==", "and", "or"]

EXPRESSION = st.recursive(
    st.one_of(LITERALS, REF),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(OPERATORS), inner).map("({0[0]} {0[1]} {0[2]})".format),
        st.tuples(st.sampled_from(FUNCTIONS), st.lists(inner, min_size=3, max_size=3)).map(
            lambda t: f"{t[0][0]}({', '.join(t[1][: t[0][1]])})"
        ),
        inner.map("-{}".format),
        inner.map("(not {})".format),
    ),
    max_leaves=6,
)

# --- columns ----------------------------------------------------------------------------

COMMON = {
    "null_rate": st.one_of(st.just(0), st.floats(0, 0.5), st.just(0.999)),
    "unique": st.booleans(),
    "description": LONG_TEXT,
}


def _column(kind: str, required: dict, optional: dict):
    return st.fixed_dictionaries(
        {"name": COLUMN, "type": st.just(kind), **required}, optional={**COMMON, **optional}
    )


# min and max of a number column: neither, one, or both in order.
BOUNDS = st.tuples(ANY_FLOAT, ANY_FLOAT, st.sampled_from(["", "min", "max", "both"])).map(
    lambda t: {
        "": {},
        "min": {"min": t[0]},
        "max": {"max": t[1]},
        "both": {"min": min(t[:2]), "max": max(t[:2])},
    }[t[2]]
)


def _time_column(kind: str, optional: dict):
    return DATE_RANGE.flatmap(
        lambda pair: _column(
            kind,
            {"start": st.just(pair[0]), "end": st.just(pair[1])},
            {"trend": floats(-0.99, 100, [-0.99, 100.0]), **optional},
        )
    )


def _conditional_needs_given(column: dict) -> dict:
    conditional = column.pop("conditional_", None)
    if conditional and "given" in column:
        column["conditional"] = conditional
    return column


CATEGORY = st.lists(SAFE_TEXT.filter(bool), min_size=1, max_size=6, unique=True).flatmap(
    lambda values: _column(
        "category",
        {"values": st.just(values)},
        {
            "weights": weights(len(values)),
            "ordered": st.booleans(),
            "given": REF,
            "conditional_": st.lists(
                st.fixed_dictionaries({"when": SAFE_TEXT, "weights": weights(len(values))}),
                max_size=2,
            ),
        },
    ).map(_conditional_needs_given)
)

COLUMN_SPECS = st.one_of(
    _column(
        "id",
        {},
        {
            "strategy": st.sampled_from(["sequence", "uuid", "code"]),
            "start": st.one_of(st.integers(0, 100), st.just(10**15)),
            "prefix": st.from_regex(r"[A-Za-z0-9_\-/.#]{0,20}", fullmatch=True),
            "digits": st.integers(1, 18),
        },
    ),
    st.tuples(_column("integer", {"distribution": DISTRIBUTION}, {}), BOUNDS).map(
        lambda t: {**t[0], **t[1]}
    ),
    st.tuples(
        _column(
            "decimal",
            {"distribution": DISTRIBUTION},
            {"scale": st.integers(0, 6), "precision": st.integers(1, 18)},
        ),
        BOUNDS,
    ).map(lambda t: {**t[0], **t[1]}),
    _column("boolean", {}, {"p_true": st.floats(0, 1)}),
    _column("boolean", {}, {}),
    _column("integer", {}, {}),
    CATEGORY,
    _time_column("date", {"weekly": weights(7), "annual": weights(12)}),
    _time_column("timestamp", {"business_hours": st.booleans()}),
    _column(
        "text",
        {
            "kind": st.sampled_from(
                ["first_name", "last_name", "full_name", "email", "city", "country", "phone"]
                + ["postal_code", "company", "product_name", "sentence", "paragraph", "state"]
            )
        },
        {"locale": st.sampled_from(["en_US", "de_DE", "ja_JP", "fr_FR"])},
    ),
    _column(
        "foreign_key",
        {"references": TABLE},
        {
            "per_parent": CARDINALITY,
            "childless_share": st.floats(0, 0.95),
            "pick": st.sampled_from(["uniform", "zipf"]),
            "fan_out": st.integers(1, 1000),
            "roots": st.integers(1, 1000),
        },
    ),
    _column(
        "derived",
        {"expression": EXPRESSION},
        {
            "output": st.sampled_from(
                ["integer", "decimal", "float", "string", "boolean", "date", "timestamp"]
            ),
            "scale": st.integers(0, 6),
        },
    ),
    st.one_of(
        st.fixed_dictionaries({"correlation": floats(1e-9, 1, [1.0, 1e-9])}),
        st.fixed_dictionaries({"noise_sd": floats(0, extremes=[0.0, *HUGE])}),
    )
    .flatmap(
        lambda noise: _column(
            "linear",
            {"x": REF, "slope": ANY_FLOAT, **{k: st.just(v) for k, v in noise.items()}},
            {"intercept": ANY_FLOAT, "scale": st.integers(0, 6)},
        )
    )
    .flatmap(lambda column: BOUNDS.map(lambda bounds: {**column, **bounds})),
)

CONSTRAINTS = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {
                "kind": st.just("order"),
                "left": COLUMN,
                "op": st.sampled_from(["<", "<=", ">", ">="]),
                "right": REF,
            }
        ),
        st.fixed_dictionaries(
            {"kind": st.just("unique"), "columns": st.lists(COLUMN, min_size=1, max_size=3)}
        ),
    ),
    max_size=2,
)


@st.composite
def table_specs(draw, index: int) -> dict:
    """Table ``t<index>``: an id column most of the time, then columns c0, c1..."""
    columns = draw(st.lists(COLUMN_SPECS, min_size=1, max_size=5))
    named = []
    if draw(st.integers(0, 9)):
        named.append({"name": "id", "type": "id"})
    for number, column in enumerate(columns):
        column = {**column, "name": f"c{number}"}
        if column["type"] == "foreign_key":
            # Parents come first; a table may also reference itself (a hierarchy).
            column["references"] = draw(st.sampled_from(TABLES[: index + 1]))
            if column["references"] == TABLES[index]:
                column.pop("per_parent", None)
            if "per_parent" not in column:
                column.pop("childless_share", None)
        named.append(column)
    table = {"name": TABLES[index], "columns": named}
    table["rows"] = draw(st.one_of(st.integers(1, 60), st.sampled_from([1, 3000, 10**9])))
    if draw(st.integers(0, 3)) == 0:
        table["scale_rows"] = draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        table["constraints"] = draw(CONSTRAINTS)
    if any(c["type"] == "foreign_key" and "per_parent" in c for c in named):
        table.pop("rows")
    return table


TABLE_LISTS = st.integers(1, 3).flatmap(
    lambda n: st.tuples(*(table_specs(i) for i in range(n))).map(list)
)


# --- checks and flaws ------------------------------------------------------------------

SQL = st.sampled_from(
    [
        "SELECT count(*) FROM t0",
        "SELECT 1/0",
        "SELECT sum(c1) FROM t0",
        "SELECT avg(c0) FROM t1 JOIN t0 USING (id)",
        "SELECT max(c2) FROM t2",
        "SELECT 'text'",
        "SELECT NULL",
        "SELECT 1e308 * 10",
        "SELECT 9223372036854775807 + 1",
        "SELECT count(*) FROM t0, t0 AS a, t0 AS b",
        "DROP TABLE t0",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT 1; SELECT 2",
    ]
)
CHECKS = st.one_of(
    st.fixed_dictionaries({"kind": st.just("row_count"), "table": TABLE, "min": COUNT}),
    st.fixed_dictionaries(
        {"kind": st.just("childless_parents"), "parent": TABLE, "child": TABLE, "column": COLUMN},
        optional={"min": COUNT, "parent_key": COLUMN},
    ),
    st.fixed_dictionaries(
        {"kind": st.just("null_count"), "table": TABLE, "column": COLUMN},
        optional={"max_share": st.floats(0, 1)},
    ),
    st.fixed_dictionaries(
        {"kind": st.just("distinct_count"), "table": TABLE, "column": COLUMN, "min": COUNT}
    ),
    st.fixed_dictionaries(
        {"kind": st.just("correlation"), "table": TABLE, "x": COLUMN, "y": COLUMN},
        optional={"min": st.floats(-1, 1)},
    ),
    st.fixed_dictionaries(
        {"kind": st.just("group_size_spread"), "table": TABLE, "by": COLUMN},
        optional={"min_groups": COUNT, "min_ratio": POSITIVE, "min_std": POSITIVE},
    ),
    st.fixed_dictionaries(
        {"kind": st.just("sql"), "query": SQL},
        optional={
            "expect_min": ANY_FLOAT,
            "required": st.booleans(),
        },
    ),
)
FLAW_RATE = st.floats(0.01, 0.9)
FLAWS = st.one_of(
    st.fixed_dictionaries(
        {
            "kind": st.just("missing_values"),
            "table": TABLE,
            "columns": st.lists(COLUMN, min_size=1, max_size=3),
            "rate": FLAW_RATE,
        }
    ),
    st.fixed_dictionaries(
        {"kind": st.just("duplicate_rows"), "table": TABLE, "rate": FLAW_RATE},
        optional={"new_keys": st.booleans()},
    ),
    st.fixed_dictionaries(
        {"kind": st.just("outliers"), "table": TABLE, "column": COLUMN, "rate": FLAW_RATE},
        optional={
            "factor": floats(1.5, 1000, [1.5, 1000.0]),
            "direction": st.sampled_from(["high", "low", "both"]),
        },
    ),
    st.fixed_dictionaries(
        {"kind": st.just("inconsistent_text"), "table": TABLE, "column": COLUMN, "rate": FLAW_RATE},
        optional={
            "variants": st.lists(
                st.sampled_from(["case", "whitespace", "spelling"]), min_size=1, max_size=3
            )
        },
    ),
    st.fixed_dictionaries(
        {
            "kind": st.just("mixed_date_formats"),
            "table": TABLE,
            "column": COLUMN,
            "rate": FLAW_RATE,
        },
        optional={
            "formats": st.lists(
                st.sampled_from(["%d/%m/%Y", "%b %d, %Y", "%Y", "%A %B %d %Y %H:%M", "%d.%m.%y"]),
                min_size=1,
                max_size=3,
            )
        },
    ),
    st.fixed_dictionaries(
        {"kind": st.just("orphans"), "table": TABLE, "column": COLUMN, "rate": FLAW_RATE}
    ),
)

PLAUSIBLE_SPECS = st.fixed_dictionaries(
    {
        "spec_version": st.just(1),
        "title": SAFE_TEXT.filter(lambda t: t.strip()),
        "tables": TABLE_LISTS,
    },
    optional={
        "locale": st.sampled_from(["en_US", "de_DE"]),
        "description": LONG_TEXT,
        "checks": st.lists(CHECKS, max_size=3),
        "flaws": st.lists(FLAWS, max_size=2),
    },
)

# --- hostile edits: values of the wrong type or size, anywhere ----------------------------

HOSTILE = st.one_of(
    st.sampled_from(
        [
            None,
            [],
            {},
            "",
            "x",
            "\x00",
            "\ud800",
            "💥" * 300,
            "é" * 5000,
            True,
            False,
            -1,
            0,
            2**63,
            2**64,
            -(2**63) - 1,
            10**30,
            10**400,
            1e308,
            -1e308,
            5e-324,
            float("nan"),
            float("inf"),
            -float("inf"),
            [1, "a", None],
            {"kind": "uniform"},
            "2024-13-45",
            "9999-12-31",
            "add_days(c0, 3000000000)",
        ]
    ),
    st.floats(),
    st.integers(),
    st.text(max_size=50),
)


def _paths(node, path=()):
    """Every place in a document a value can be replaced at."""
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _replace(node, path, value):
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {**node, head: _replace(node[head], rest, value)}
    copy = list(node)
    copy[head] = _replace(node[head], rest, value)
    return copy


@st.composite
def hostile_edits(draw, spec: dict) -> dict:
    """The spec with a few of its values (or keys) swapped for hostile ones; often none."""
    for _ in range(draw(st.sampled_from([0, 0, 0, 0, 0, 1, 1, 2, 3]))):
        paths = [p for p in _paths(spec) if p]
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["value", "value", "value", "drop", "extra"]))
        if action == "value":
            spec = _replace(spec, path, draw(HOSTILE))
        else:
            parent_path, key = path[:-1], path[-1]
            parent = spec
            for part in parent_path:
                parent = parent[part]
            if isinstance(parent, dict) and action == "drop":
                spec = _replace(spec, parent_path, {k: v for k, v in parent.items() if k != key})
            elif isinstance(parent, dict):
                spec = _replace(spec, parent_path, {**parent, "surprise": draw(HOSTILE)})
    return spec


SPECS = PLAUSIBLE_SPECS.flatmap(hostile_edits)


def _document(spec: dict, as_yaml: bool) -> str:
    if as_yaml:
        return yaml.safe_dump(spec, allow_unicode=True, sort_keys=False)
    return json.dumps(spec, allow_nan=True, ensure_ascii=False)


def _readable(dataset) -> None:
    """What the preview does with a variant: read rows as Python values; no infinities."""
    for name, table in dataset.tables.items():
        table.to_pylist()  # raises for a date beyond year 9999
        for field in table.schema:
            if pa.types.is_floating(field.type):
                column = table.column(field.name)
                finite = pc.is_finite(column)
                assert pc.all(pc.fill_null(finite, True)).as_py() in (True, None), (
                    f"{name}.{field.name} holds NaN or infinite values"
                )


@pytest.mark.slow
@settings(
    max_examples=2000,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(spec=SPECS, as_yaml=st.integers(0, 9).map(lambda i: i == 0))
def test_random_specs_generate_or_raise_a_spec_error(spec, as_yaml):
    try:
        text = _document(spec, as_yaml)
    except (yaml.YAMLError, ValueError):
        return  # a value that YAML cannot write; the JSON form is tried in other examples
    try:
        loaded = load_spec(text, limits=LIMITS)
        dataset = generate(loaded, seed=SEED, scale=1.0, limits=LIMITS, max_attempts=2)
    except SpecError as exc:
        assert exc.path and exc.message
        return
    _readable(dataset)
    assert math.isfinite(sum(dataset.row_counts.values()))


# --- what the fuzz found, one by one ---------------------------------------------------------


def _spec(columns: list[str], extra: str = "", rows: str = "    rows: 20\n") -> str:
    lines = "".join(f"      {column}\n" for column in columns)
    return (
        f"spec_version: 1\ntitle: Found by fuzzing\ntables:\n  t0:\n{rows}"
        f"    columns:\n      id: {{type: id}}\n{lines}{extra}"
    )


def _generated(text: str):
    return generate(load_spec(text), seed=SEED, scale=1.0)


DATE = "d: {type: date, start: 2024-01-01, end: 2024-12-31}"
TIMESTAMP = "d: {type: timestamp, start: 2024-01-01, end: 2024-12-31}"
NUMBER = "n: {type: integer}"


def _derived(expression: str, output: str) -> str:
    return f"x: {{type: derived, expression: {json.dumps(expression)}, output: {output}}}"


@pytest.mark.parametrize(
    ("columns", "words"),
    [
        ([DATE, _derived("add_days(d, 3000000000)", "date")], "add_days"),
        ([DATE, _derived("add_days(d, 3000000)", "date")], "9999"),
        ([DATE, _derived("d + 3000000", "date")], "9999"),
        ([TIMESTAMP, _derived("add_days(d, 3000000)", "timestamp")], "9999"),
        ([DATE, _derived("date('2024-13-45')", "date")], "2024-13-45"),
        ([DATE, _derived("d < '2024-13-45'", "boolean")], "2024-13-45"),
        ([NUMBER, _derived("n * 9223372036854775807", "integer")], "overflow"),
        ([NUMBER, _derived("round(n * 1e30)", "integer")], "int64"),
        ([NUMBER, _derived("1e300 * 1e300 + n", "float")], "too large"),
        ([NUMBER, _derived("n * 1e308 * 10", "decimal")], "too large"),
    ],
)
def test_expression_errors_at_evaluation_are_spec_errors_at_the_column(columns, words):
    with pytest.raises(SpecError) as caught:
        _generated(_spec(columns))
    assert caught.value.path == "tables.t0.columns.x.expression"
    assert words in caught.value.message


def test_round_digits_are_bounded():
    text = _spec([NUMBER, _derived("round(n, 99999999999999)", "decimal")])
    with pytest.raises(SpecError, match="between -15 and 15"):
        load_spec(text)


def test_not_a_number_in_a_derived_column_is_null():
    text = _spec([NUMBER, _derived("(n - n) * (1e308 * 10)", "float")])
    values = _generated(text).tables["t0"].column("x")
    assert values.null_count == len(values)


def test_a_decimal_bound_too_large_to_put_on_its_grid_is_a_spec_error():
    with pytest.raises(SpecError) as caught:
        _generated(_spec(["c0: {type: decimal, min: 1.0e+308, scale: 4}"]))
    assert caught.value.path.startswith("tables.t0.columns.c0")


def test_integers_beyond_2_to_the_53_are_checked_against_their_bounds():
    text = _spec(["c0: {type: integer, distribution: {kind: uniform, low: 0, high: 1.0e+308}}"])
    try:
        dataset = _generated(text)
    except SpecError as exc:
        assert exc.path.startswith("tables.t0.columns.c0")
    else:
        _readable(dataset)


def test_a_generated_value_beyond_the_schema_is_a_spec_error_naming_the_column():
    """Integrity failures are GenerationErrors, which are SpecErrors with the column's path."""
    from datagen_lti.synth import GenerationError
    from datagen_lti.synth.generate import _problem_path

    assert issubclass(GenerationError, SpecError)
    assert _problem_path("t0.c1: 3 values beyond 1.0") == "tables.t0.columns.c1"
    assert _problem_path("t0(a, b): 2 repeated uniques") == "tables.t0"
    assert _problem_path("something else") == "tables"


def test_unique_combinations_with_nulls_in_three_columns_are_verified():
    from datagen_lti.synth.integrity import integrity_problems

    text = _spec(
        [
            "a: {type: integer, unique: true, null_rate: 0.3, "
            "distribution: {kind: uniform, low: 0, high: 1000}}",
            "b: {type: integer, null_rate: 0.3}",
            "c: {type: integer, null_rate: 0.3}",
        ],
        "    constraints:\n      - {kind: unique, columns: [a, b, c]}\n",
    )
    dataset = generate(load_spec(text), seed=SEED, verify=True)
    assert integrity_problems(dataset.schema, dataset.tables) == []


@pytest.mark.parametrize(
    "column",
    [
        "c: {type: category, values: [a, b], weights: [1.0e+308, 1.0e+308]}",
        "d: {type: date, start: 2020-01-01, end: 2024-12-31, weekly: [1.0e+308, 1.0e+308, 1, 1, 1, 1, 1]}",
        "e: {type: integer, distribution: {kind: empirical, values: [1, 2], weights: [1.0e+308, 1.0e+308]}}",
    ],
)
def test_weights_whose_total_overflows_are_refused(column):
    """Finite weights summing to infinity made every draw land on one value."""
    with pytest.raises(SpecError, match="too large to add up"):
        load_spec(_spec([column]))
