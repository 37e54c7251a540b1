"""Property-based: random specs either validate and generate, or raise a SpecError."""

from __future__ import annotations

import contextlib
import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datagen_lti.synth import SpecError, generate, load_spec
from datagen_lti.synth.loading import spec_from_data as spec_from_data_for_tests
from tests.synth.conftest import seed_for


def rarely(common, rare):
    """Mostly ``common`` values, one draw in twenty from ``rare`` (usually invalid) ones."""
    # Hypothesis favours small integers, so the rare branch sits at the top of the range.
    return st.integers(0, 19).flatmap(lambda i: rare if i == 19 else common)


NAMES = rarely(st.sampled_from(["a", "b", "c", "orders", "x1"]), st.sampled_from(["bad name", ""]))
NUMBER = rarely(
    st.floats(0.5, 200, allow_nan=False),
    st.one_of(st.integers(-5, 0), st.floats(-1e3, 1e3, allow_nan=False), st.just(1e12)),
)
DATES = st.tuples(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 1, 1)),
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 1, 1)),
).map(sorted)
DATE = rarely(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 1, 1)), st.dates()
).map(str)

DISTRIBUTIONS = st.one_of(
    st.fixed_dictionaries({"kind": st.just("uniform"), "low": NUMBER, "high": NUMBER}),
    st.fixed_dictionaries({"kind": st.just("normal"), "mean": NUMBER, "sd": NUMBER}),
    st.fixed_dictionaries({"kind": st.just("lognormal"), "median": NUMBER, "sigma": NUMBER}),
    st.fixed_dictionaries({"kind": st.just("poisson"), "mean": NUMBER}),
    st.fixed_dictionaries({"kind": st.just("zipf"), "a": NUMBER}),
    st.fixed_dictionaries({"kind": st.sampled_from(["weird", "exponential"]), "mean": NUMBER}),
)


def column(table_names):
    return st.one_of(
        st.fixed_dictionaries(
            {"type": st.just("id")},
            optional={"strategy": st.sampled_from(["sequence", "uuid", "code", "x"])},
        ),
        st.fixed_dictionaries(
            {"type": st.sampled_from(["integer", "decimal"]), "distribution": DISTRIBUTIONS},
            optional={
                "min": NUMBER,
                "max": NUMBER,
                "unique": rarely(st.just(False), st.just(True)),
                "null_rate": rarely(st.floats(0, 0.5), st.floats(0, 1)),
            },
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("category"),
                "values": st.lists(st.text("abc", min_size=1, max_size=3), max_size=4),
            },
            optional={
                "unique": st.booleans(),
                "weights": rarely(st.just(None), st.lists(NUMBER, max_size=4)),
            },
        ),
        st.tuples(
            st.sampled_from(["date", "timestamp"]),
            rarely(DATES, st.tuples(DATE, DATE)),
            st.fixed_dictionaries(
                {},
                optional={
                    "weekly": rarely(st.lists(NUMBER, min_size=7, max_size=7), st.lists(NUMBER)),
                    "unique": st.booleans(),
                },
            ),
        ).map(lambda t: {"type": t[0], "start": str(t[1][0]), "end": str(t[1][1]), **t[2]}),
        st.fixed_dictionaries(
            {
                "type": st.just("text"),
                "kind": st.sampled_from(["email", "city", "first_name", "nope"]),
            },
            optional={
                "unique": st.booleans(),
                "locale": rarely(st.just("en_US"), st.just("xx_YY")),
            },
        ),
        st.fixed_dictionaries(
            {"type": st.just("foreign_key"), "references": st.sampled_from(table_names)},
            optional={
                "per_parent": st.fixed_dictionaries(
                    {"kind": st.just("poisson"), "mean": rarely(st.floats(1, 4), NUMBER)}
                ),
                "childless_share": rarely(st.floats(0, 0.5), st.floats(0, 1)),
            },
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("derived"),
                "expression": st.sampled_from(["c1 + 1", "c0 * 2", "year(c2)", "((", "c1 /"]),
                "output": st.sampled_from(["integer", "decimal", "string", "date"]),
            },
        ),
        rarely(
            st.fixed_dictionaries({"type": st.just("boolean")}),
            st.fixed_dictionaries({"type": st.just("unknown")}),
        ),
    )


@st.composite
def specs(draw):
    table_names = draw(st.lists(NAMES, min_size=1, max_size=3))
    tables = {}
    for name in table_names:
        columns = draw(st.lists(column(table_names + ["missing"]), min_size=1, max_size=5))
        body = {"columns": {f"c{i}": c for i, c in enumerate(columns)}}
        has_parent = any(c["type"] == "foreign_key" and "per_parent" in c for c in columns)
        if not has_parent or draw(rarely(st.just(False), st.just(True))):
            body["rows"] = draw(rarely(st.integers(1, 60), st.sampled_from([-1, 0, 10**9])))
        tables[name] = body
    version = draw(rarely(st.just(1), st.sampled_from([2, "1", None])))
    spec = {"spec_version": version, "title": "Random", "tables": tables}
    if draw(st.booleans()):
        spec["checks"] = [
            {"kind": "row_count", "table": draw(NAMES), "min": draw(st.integers(0, 5))}
        ]
    return spec


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_random_specs_validate_and_generate_or_raise_spec_error(data):
    try:
        spec = spec_from_data_for_tests(data)
    except SpecError as error:
        assert error.path and error.message
        return
    try:
        generated = generate(spec, seed=seed_for(), max_attempts=2)
    except SpecError as error:
        assert error.path and error.message
        return
    assert set(generated.tables) == {t.name for t in spec.tables}


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_random_text_never_escapes_as_another_exception(text):
    # Anything but a SpecError (or success) fails the test.
    with contextlib.suppress(SpecError):
        load_spec(text)
