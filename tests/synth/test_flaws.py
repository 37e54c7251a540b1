"""Teaching flaws: deterministic, rate-honouring, truthfully recorded and reflected in the schema."""

from __future__ import annotations

import contextlib
import datetime as dt
import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from pydantic import TypeAdapter, ValidationError

from datagen_lti.synth.errors import SpecError
from datagen_lti.synth.flaws import (
    DEFAULT_DATE_FORMATS,
    Flaw,
    FlawManifest,
    adjust_schema,
    apply_flaws,
    flaw_references,
)
from datagen_lti.synth.schema import Column, Comparison, DatasetSchema, ForeignKey, Table

FLAWS = TypeAdapter(list[Flaw])
N = 200


def rng_for(name: str) -> np.random.Generator:
    return np.random.default_rng(list(name.encode()))


@pytest.fixture(scope="module")
def schema() -> DatasetSchema:
    customers = Table(
        "customers",
        (
            Column("id", "integer", nullable=False, unique=True),
            Column("name", "string", max_length=10),
            Column("email", "string", unique=True),
            Column("tier", "category", allowed_values=("Gold", "Silver", "Bronze")),
            Column("signup", "date", minimum="2024-01-01"),
            Column("last_seen", "timestamp"),
            Column("score", "decimal", precision=5, scale=2, minimum=0, maximum=100),
        ),
        primary_key=("id",),
        unique_together=(("name", "email"),),
        checks=(Comparison("last_seen", ">=", "signup"),),
    )
    orders = Table(
        "orders",
        (
            Column("order_id", "integer", nullable=False),
            Column("customer_id", "integer", nullable=False),
            Column("amount", "decimal", precision=8, scale=2),
        ),
        primary_key=("order_id",),
        foreign_keys=(ForeignKey(("customer_id",), "customers", ("id",)),),
    )
    return DatasetSchema("Shop", "shop", "hash", "1.0", (customers, orders))


@pytest.fixture(scope="module")
def tables() -> dict[str, pa.Table]:
    rng = np.random.default_rng(7)
    signup = np.datetime64("2024-01-01") + rng.integers(0, 300, N)
    customers = pa.table(
        {
            "id": np.arange(1, N + 1),
            "name": [f"Name {i:03d}" for i in range(N)],
            "email": [f"user{i}@example.com" for i in range(N)],
            "tier": rng.choice(["Gold", "Silver", "Bronze"], N),
            "signup": pa.array(signup, pa.date32()),
            "last_seen": pa.array(
                signup.astype("datetime64[us]")
                + rng.integers(0, 10**11, N).astype("timedelta64[us]")
            ),
            "score": rng.normal(50, 10, N).round(2),
        }
    )
    orders = pa.table(
        {
            "order_id": np.arange(1, 3 * N + 1),
            "customer_id": rng.integers(1, N + 1, 3 * N),
            "amount": rng.gamma(2, 20, 3 * N).round(2),
        }
    )
    return {"customers": customers, "orders": orders}


def flaws(*items: dict) -> list[Flaw]:
    return FLAWS.validate_python(list(items))


def run(schema, tables, *items: dict) -> tuple[dict[str, pa.Table], FlawManifest]:
    return apply_flaws(flaws(*items), tables, rng_for=rng_for, schema=schema)


ALL = (
    {"kind": "missing_values", "table": "customers", "columns": ["name", "score"], "rate": 0.1},
    {"kind": "inconsistent_text", "table": "customers", "column": "tier", "rate": 0.2},
    {"kind": "outliers", "table": "orders", "column": "amount", "rate": 0.02, "direction": "both"},
    {"kind": "mixed_date_formats", "table": "customers", "column": "signup", "rate": 0.3},
    {"kind": "orphans", "table": "orders", "column": "customer_id", "rate": 0.05},
    {"kind": "missing_values", "table": "customers", "columns": ["score"], "rate": 0.1},
    {"kind": "duplicate_rows", "table": "customers", "rate": 0.05},
    {"kind": "duplicate_rows", "table": "orders", "rate": 0.05, "new_keys": False},
)


def test_same_rngs_give_identical_tables_and_manifests(schema, tables) -> None:
    first, manifest = run(schema, tables, *ALL)
    second, again = run(schema, tables, *ALL)
    assert all(first[name].equals(second[name]) for name in tables)
    assert manifest.records == again.records
    assert json.dumps(manifest.to_dict()) == json.dumps(again.to_dict())


def test_each_flaw_draws_from_its_own_named_stream(schema, tables) -> None:
    names: list[str] = []

    def recording(name: str) -> np.random.Generator:
        names.append(name)
        return rng_for(name)

    apply_flaws(flaws(*ALL[:2]), tables, rng_for=recording, schema=schema)
    assert names == ["flaws/0/missing_values", "flaws/1/inconsistent_text"]


def test_every_cell_record_matches_the_flawed_table(schema, tables) -> None:
    flawed, manifest = run(schema, tables, *ALL)
    cell_records = [r for r in manifest.records if r.column is not None]
    assert cell_records
    clean_by_key = {
        name: {row[pk]: row for row in tables[name].to_pylist()}
        for name, pk in (("customers", "id"), ("orders", "order_id"))
    }
    for record in cell_records:
        final = flawed[record.table][record.column][record.row].as_py()
        assert final == record.flawed
        assert final != record.original
        # The recorded original is the clean value of the row with that key.
        assert clean_by_key[record.table][record.key][record.column] == record.original
        pk = schema.table(record.table).primary_key[0]
        assert flawed[record.table][pk][record.row].as_py() == record.key


def test_rates_are_honoured(schema, tables) -> None:
    flawed, manifest = run(schema, tables, *ALL[:5])
    counts = manifest.counts()
    assert counts["missing_values"] == 2 * 20
    assert counts["inconsistent_text"] == 40
    assert counts["outliers"] == 12
    assert counts["mixed_date_formats"] == 60
    assert counts["orphans"] == 30
    summary = manifest.summaries[0]
    assert (summary.kind, summary.affected, summary.columns) == (
        "missing_values",
        40,
        ("name", "score"),
    )
    assert flawed["customers"]["name"].null_count == 20


def test_missing_values_skip_cells_already_flawed(schema, tables) -> None:
    flawed, manifest = run(
        schema,
        tables,
        {"kind": "missing_values", "table": "customers", "columns": ["score"], "rate": 0.5},
        {"kind": "missing_values", "table": "customers", "columns": ["score"], "rate": 0.5},
    )
    rows = [r.row for r in manifest.records]
    assert len(rows) == len(set(rows)) == N
    assert flawed["customers"]["score"].null_count == N


def test_missing_values_on_a_primary_key_are_refused(schema, tables) -> None:
    with pytest.raises(SpecError, match="is the primary key") as info:
        run(
            schema,
            tables,
            {
                "kind": "missing_values",
                "table": "customers",
                "columns": ["name", "id"],
                "rate": 0.1,
            },
        )
    assert info.value.path == "flaws.0.columns.1"


def test_duplicates_with_new_keys_keep_the_key_valid(schema, tables) -> None:
    flawed, manifest = run(
        schema, tables, {"kind": "duplicate_rows", "table": "customers", "rate": 0.1}
    )
    result = flawed["customers"]
    assert result.num_rows == N + 20
    assert pc.count_distinct(result["id"]).as_py() == N + 20
    rows = result.to_pylist()
    for record in manifest.records:
        copy, source = rows[record.row], rows[record.source_row]
        assert copy["id"] == record.key and source["id"] == record.original
        assert {k: v for k, v in copy.items() if k != "id"} == {
            k: v for k, v in source.items() if k != "id"
        }
    # Copies are scattered through the table, not appended at its end.
    assert min(r.row for r in manifest.records) < N


def test_exact_duplicates_repeat_the_key(schema, tables) -> None:
    flawed, manifest = run(
        schema,
        tables,
        {"kind": "duplicate_rows", "table": "orders", "rate": 0.05, "new_keys": False},
    )
    rows = flawed["orders"].to_pylist()
    assert len(rows) == 3 * N + 30
    for record in manifest.records:
        assert rows[record.row] == rows[record.source_row]
        assert record.key == record.original == rows[record.row]["order_id"]


def test_duplicates_move_earlier_records_with_their_rows(schema, tables) -> None:
    flawed, manifest = run(
        schema,
        tables,
        {"kind": "missing_values", "table": "customers", "columns": ["name"], "rate": 0.1},
        {"kind": "duplicate_rows", "table": "customers", "rate": 0.2},
    )
    for record in manifest.records:
        if record.kind == "missing_values":
            assert flawed["customers"]["id"][record.row].as_py() == record.key
            assert flawed["customers"]["name"][record.row].as_py() is None


def test_outliers_lie_far_outside_the_distribution(schema, tables) -> None:
    flawed, manifest = run(
        schema,
        tables,
        {"kind": "outliers", "table": "orders", "column": "amount", "rate": 0.05, "factor": 3},
    )
    clean = tables["orders"]["amount"].to_numpy()
    q25, q75 = np.percentile(clean, [25, 75])
    iqr = q75 - q25
    assert len(manifest.records) == 30
    for record in manifest.records:
        assert record.flawed >= q75 + 3 * iqr - 0.01
        assert round(record.flawed, 2) == record.flawed  # keeps the decimal scale


def test_outliers_on_dates_stay_dates(schema, tables) -> None:
    flawed, manifest = run(
        schema,
        tables,
        {
            "kind": "outliers",
            "table": "customers",
            "column": "signup",
            "rate": 0.05,
            "direction": "low",
        },
    )
    assert flawed["customers"]["signup"].type == pa.date32()
    assert all(r.flawed < dt.date(2023, 1, 1) for r in manifest.records)


def test_inconsistent_text_variants_normalise_back(schema, tables) -> None:
    flawed, manifest = run(
        schema,
        tables,
        {
            "kind": "inconsistent_text",
            "table": "customers",
            "column": "tier",
            "rate": 0.3,
            "variants": ["case", "whitespace"],
        },
    )
    assert len(manifest.records) == 60
    for record in manifest.records:
        assert record.flawed != record.original
        assert record.flawed.strip().lower() == record.original.lower()
    # The same few variants recur, as they do in real data.
    variants = {r.flawed for r in manifest.records}
    assert len(variants) <= 3 * 5


def test_spelling_variants_are_small_edits(schema, tables) -> None:
    _, manifest = run(
        schema,
        tables,
        {
            "kind": "inconsistent_text",
            "table": "customers",
            "column": "tier",
            "rate": 0.3,
            "variants": ["spelling"],
        },
    )
    for record in manifest.records:
        assert abs(len(record.flawed) - len(record.original)) <= 1
        assert record.flawed != record.original


def test_mixed_date_formats_turn_the_column_into_text(schema, tables) -> None:
    flawed, manifest = run(
        schema,
        tables,
        {"kind": "mixed_date_formats", "table": "customers", "column": "signup", "rate": 0.3},
    )
    column = flawed["customers"]["signup"]
    assert column.type == pa.string()
    flawed_rows = {r.row: r for r in manifest.records}
    for row, (text, clean) in enumerate(
        zip(column.to_pylist(), tables["customers"]["signup"].to_pylist(), strict=True)
    ):
        if row in flawed_rows:
            parsed = set()
            for fmt in DEFAULT_DATE_FORMATS:
                with contextlib.suppress(ValueError):
                    parsed.add(dt.datetime.strptime(text, fmt).date())
            assert clean in parsed and text != clean.isoformat()
        else:
            assert text == clean.isoformat()


def test_mixed_formats_of_timestamps_keep_iso_for_untouched_rows(schema, tables) -> None:
    flawed, manifest = run(
        schema,
        tables,
        {
            "kind": "mixed_date_formats",
            "table": "customers",
            "column": "last_seen",
            "rate": 0.1,
            "formats": ["%d.%m.%Y %H:%M"],
        },
    )
    touched = {r.row for r in manifest.records}
    texts = flawed["customers"]["last_seen"].to_pylist()
    clean = tables["customers"]["last_seen"].to_pylist()
    untouched = [i for i in range(N) if i not in touched]
    assert all(texts[i] == clean[i].strftime("%Y-%m-%d %H:%M:%S") for i in untouched)
    assert all(texts[i] == clean[i].strftime("%d.%m.%Y %H:%M") for i in touched)


def test_orphans_point_at_missing_parents(schema, tables) -> None:
    flawed, manifest = run(
        schema,
        tables,
        {"kind": "orphans", "table": "orders", "column": "customer_id", "rate": 0.1},
        {"kind": "duplicate_rows", "table": "customers", "rate": 0.5},
    )
    parents = set(flawed["customers"]["id"].to_pylist())
    orphan_rows = {r.row for r in manifest.records if r.kind == "orphans"}
    assert len(orphan_rows) == 60
    for row, value in enumerate(flawed["orders"]["customer_id"].to_pylist()):
        assert (value not in parents) == (row in orphan_rows)


def test_orphans_need_a_foreign_key(schema, tables) -> None:
    with pytest.raises(SpecError, match="not a single-column foreign key") as info:
        run(schema, tables, {"kind": "orphans", "table": "orders", "column": "amount", "rate": 0.1})
    assert info.value.path == "flaws.0.column"


@pytest.mark.parametrize(
    ("flaw", "path", "message"),
    [
        (
            {"kind": "duplicate_rows", "table": "nope", "rate": 0.1},
            "flaws.0.table",
            "unknown table 'nope'",
        ),
        (
            {"kind": "outliers", "table": "orders", "column": "zzz", "rate": 0.1},
            "flaws.0.column",
            "no column 'zzz'",
        ),
        (
            {"kind": "outliers", "table": "customers", "column": "name", "rate": 0.1},
            "flaws.0.column",
            "need numbers or dates",
        ),
        (
            {"kind": "outliers", "table": "orders", "column": "customer_id", "rate": 0.1},
            "flaws.0.column",
            "use an orphans flaw",
        ),
        (
            {"kind": "inconsistent_text", "table": "customers", "column": "score", "rate": 0.1},
            "flaws.0.column",
            "needs text",
        ),
        (
            {"kind": "mixed_date_formats", "table": "customers", "column": "tier", "rate": 0.1},
            "flaws.0.column",
            "needs dates",
        ),
    ],
)
def test_flaws_that_do_not_fit_raise_spec_errors(schema, tables, flaw, path, message) -> None:
    with pytest.raises(SpecError, match=message) as info:
        run(schema, tables, flaw)
    assert info.value.path == path


def test_adjust_schema_tells_the_truth(schema, tables) -> None:
    flawed, _ = run(schema, tables, *ALL)
    adjusted = adjust_schema(schema, flaws(*ALL), flawed)
    customers, orders = adjusted.table("customers"), adjusted.table("orders")
    assert customers.column("name").nullable and customers.column("score").nullable
    tier = customers.column("tier")
    assert (tier.type, tier.allowed_values) == ("string", None)
    assert tier.max_length == max(len(v) for v in flawed["customers"]["tier"].to_pylist() if v)
    signup = customers.column("signup")
    assert (signup.type, signup.minimum, signup.max_length) == (
        "string",
        None,
        len("September 27, 2000"),
    )
    assert customers.checks == ()  # compared a date column that is now text
    assert customers.primary_key == ("id",) and customers.column("id").unique
    assert not customers.column("email").unique and customers.unique_together == ()
    assert customers.row_count == N + 10
    assert orders.primary_key == ()
    assert orders.foreign_keys[0].enforced is False
    amount = orders.column("amount")
    assert (amount.minimum, amount.maximum) == (None, None)
    assert amount.precision >= len(str(int(pc.max(flawed["orders"]["amount"]).as_py()))) + 2
    # The arrow schema the writers derive now accepts the flawed data.
    for table in adjusted.tables:
        flawed[table.name].cast(table.arrow_schema)


def test_exact_duplicates_relax_references_to_the_table(schema) -> None:
    adjusted = adjust_schema(
        schema,
        flaws({"kind": "duplicate_rows", "table": "customers", "rate": 0.1, "new_keys": False}),
    )
    assert adjusted.table("customers").primary_key == ()
    assert not adjusted.table("customers").column("id").unique
    assert adjusted.table("orders").foreign_keys[0].enforced is False


def test_manifest_exports(schema, tables) -> None:
    _, manifest = run(schema, tables, *ALL)
    data = json.loads(json.dumps(manifest.to_dict()))
    assert data["counts"] == manifest.counts()
    assert len(data["records"]) == sum(manifest.counts().values())
    dates = [r for r in data["records"] if r["kind"] == "mixed_date_formats"]
    assert all(isinstance(r["original"], str) for r in dates)
    table = manifest.to_arrow()
    assert table.num_rows == len(manifest.records)
    assert table.column_names[:4] == ["flaw", "kind", "table", "row"]
    assert (
        len(manifest.for_table("orders"))
        == manifest.to_arrow().filter(pc.field("table") == "orders").num_rows
    )


def test_models_validate_and_are_closed() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        flaws({"kind": "orphans", "table": "t", "column": "c", "rate": 0.1, "parent": "p"})
    with pytest.raises(ValidationError, match="less than or equal to 0.9"):
        flaws({"kind": "duplicate_rows", "table": "t", "rate": 2})
    with pytest.raises(ValidationError, match="must show the year, the month and the day"):
        flaws(
            {
                "kind": "mixed_date_formats",
                "table": "t",
                "column": "c",
                "rate": 0.1,
                "formats": ["%m/%Y"],
            }
        )
    with pytest.raises(ValidationError, match="use only"):
        flaws(
            {
                "kind": "mixed_date_formats",
                "table": "t",
                "column": "c",
                "rate": 0.1,
                "formats": ["%Y %m %d %Z"],
            }
        )
    with pytest.raises(ValidationError, match="ISO format"):
        flaws(
            {
                "kind": "mixed_date_formats",
                "table": "t",
                "column": "c",
                "rate": 0.1,
                "formats": ["%Y-%m-%d"],
            }
        )
    with pytest.raises(ValidationError):
        flaws(
            {
                "kind": "inconsistent_text",
                "table": "t",
                "column": "c",
                "rate": 0.1,
                "variants": ["emoji"],
            }
        )
    schema = TypeAdapter(Flaw).json_schema()
    objects = [d for d in schema["$defs"].values() if d.get("type") == "object"]
    assert len(objects) == 6 and all(d["additionalProperties"] is False for d in objects)


def test_flaw_references() -> None:
    missing, orphans, duplicates = flaws(
        {"kind": "missing_values", "table": "t", "columns": ["a", "b"], "rate": 0.1},
        {"kind": "orphans", "table": "t", "column": "fk", "rate": 0.1},
        {"kind": "duplicate_rows", "table": "t", "rate": 0.1},
    )
    assert flaw_references(missing) == [
        ("t", None, "table"),
        ("t", "a", "columns.0"),
        ("t", "b", "columns.1"),
    ]
    assert flaw_references(orphans) == [("t", None, "table"), ("t", "fk", "column")]
    assert flaw_references(duplicates) == [("t", None, "table")]


def test_flaws_after_duplicates_treat_copies_as_fresh_rows(schema, tables) -> None:
    flawed, manifest = run(
        schema,
        tables,
        {"kind": "missing_values", "table": "customers", "columns": ["tier"], "rate": 0.4},
        {"kind": "duplicate_rows", "table": "customers", "rate": 0.5},
        {"kind": "inconsistent_text", "table": "customers", "column": "tier", "rate": 0.4},
        {"kind": "missing_values", "table": "customers", "columns": ["tier"], "rate": 0.2},
    )
    cells = [(r.row, r.column) for r in manifest.records if r.column is not None]
    assert len(cells) == len(set(cells))  # no cell flawed twice
    for record in manifest.records:
        if record.column is not None:
            assert flawed["customers"]["tier"][record.row].as_py() == record.flawed
            assert flawed["customers"]["id"][record.row].as_py() == record.key
        else:
            assert flawed["customers"]["id"][record.row].as_py() == record.key
            assert flawed["customers"]["id"][record.source_row].as_py() == record.original


def test_every_flaw_on_every_column_type_fits_or_raises_a_spec_error() -> None:
    rows = 30
    columns = {
        "id": ("uuid", pa.array([f"00000000-0000-4000-8000-{i:012d}" for i in range(rows)])),
        "i": ("integer", pa.array(np.arange(rows) % 7)),
        "dec": ("decimal", pa.array(np.linspace(0, 9.99, rows).round(2))),
        "s": ("string", pa.array([f"Value {i}" for i in range(rows)])),
        "cat": ("category", pa.array(["a", "b", "c"] * (rows // 3))),
        "bo": ("boolean", pa.array(np.arange(rows) % 2 == 0)),
        "d": ("date", pa.array(np.datetime64("2024-01-01") + np.arange(rows), pa.date32())),
        "ts": (
            "timestamp",
            pa.array(np.datetime64("2024-01-01T00:00", "us") + np.arange(rows) * 3_600_000_000),
        ),
    }
    parent = Table(
        "p", tuple(Column(name, kind) for name, (kind, _) in columns.items()), primary_key=("id",)
    )
    child = Table(
        "c",
        (Column("n", "integer"), Column("p_id", "uuid")),
        primary_key=("n",),
        foreign_keys=(ForeignKey(("p_id",), "p", ("id",)),),
    )
    schema = DatasetSchema("t", "t", "h", "1", (parent, child))
    data = {
        "p": pa.table({name: values for name, (_, values) in columns.items()}),
        "c": pa.table({"n": np.arange(rows), "p_id": columns["id"][1]}),
    }
    targets = [("p", name) for name in columns] + [("c", "p_id")]
    kinds = ["missing_values", "outliers", "inconsistent_text", "mixed_date_formats", "orphans"]
    applied = 0
    for table, column in targets:
        for kind in kinds:
            item = {"kind": kind, "table": table, "rate": 0.2}
            item.update({"columns": [column]} if kind == "missing_values" else {"column": column})
            chosen = flaws(item)
            try:
                flawed, _ = apply_flaws(chosen, data, rng_for=rng_for, schema=schema)
            except SpecError as error:
                assert error.path.startswith("flaws.0.")
                continue
            adjusted = adjust_schema(schema, chosen, flawed)
            for name in ("p", "c"):
                flawed[name].cast(adjusted.table(name).arrow_schema)
            applied += 1
    assert applied >= 12
