"""Hand-made dataset schemas and sources for the exporter tests (no engine needed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from datagen_lti.synth.schema import (
    Column,
    Comparison,
    DatasetSchema,
    ForeignKey,
    InMemorySource,
    Table,
)

TRICKY_TEXT = [
    "O'Brien",
    'She said "hi"',
    "back\\slash",
    "comma, inside",
    "two\nlines",
    "Zoë Ñúñez 北京",
    "emoji 😀",
    "  padded  ",
    "<tag> & more",
    "",
    "-- not a comment",
    "semi; colon",
]
TIERS = ("bronze", "silver", "gold")


def shop_schema(*, customers: int = 1_200, orders: int = 3_000) -> DatasetSchema:
    """A small shop: every column type, a self reference, a junction table, a flawed key."""
    customers_table = Table(
        name="customers",
        description="People who bought something.",
        columns=(
            Column("id", "integer", nullable=False, unique=True, description="Customer number"),
            Column("name", "string", nullable=False, max_length=40, description="Full name"),
            Column("email", "string", unique=True, max_length=60, semantic="email"),
            Column("tier", "category", allowed_values=TIERS, ordered=True),
            Column("signup", "date", minimum="1950-01-01", maximum="2030-12-31"),
            Column("referrer_id", "integer", description="Who brought them in"),
            Column("vip", "boolean"),
            Column("external_id", "uuid", nullable=False, unique=True),
        ),
        primary_key=("id",),
        foreign_keys=(ForeignKey(("referrer_id",), "customers", ("id",)),),
        row_count=customers,
    )
    products_table = Table(
        name="product",
        columns=(
            Column("sku", "string", nullable=False, max_length=12),
            Column("title", "string", nullable=False),
            Column("price", "decimal", nullable=False, precision=8, scale=2, minimum=0.0),
        ),
        primary_key=("sku",),
        row_count=50,
    )
    orders_table = Table(
        name="order",  # a reserved word on purpose
        description="One row per order.",
        columns=(
            Column("id", "integer", nullable=False),
            Column("customer_id", "integer", nullable=False),
            Column("placed_at", "timestamp", nullable=False),
            Column("shipped_at", "timestamp"),
            Column("amount", "decimal", precision=10, scale=2, minimum=0.0, maximum=100_000.0),
            Column("discount", "float"),
            Column("status", "category", allowed_values=("new", "paid", "shipped", "it's late")),
            Column("note", "string"),
            Column("quantity", "integer", minimum=1, maximum=100),
        ),
        primary_key=("id",),
        foreign_keys=(ForeignKey(("customer_id",), "customers", ("id",)),),
        checks=(Comparison("placed_at", "<=", "shipped_at"),),
        row_count=orders,
    )
    lines_table = Table(
        name="order line",
        description="Products of an order (many-to-many).",
        columns=(
            Column("order_id", "integer", nullable=False),
            Column("sku", "string", nullable=False, max_length=12),
            Column("units", "integer", nullable=False),
        ),
        primary_key=("order_id", "sku"),
        foreign_keys=(
            ForeignKey(("order_id",), "order", ("id",)),
            ForeignKey(("sku",), "product", ("sku",)),
        ),
        row_count=None,
    )
    reviews_table = Table(
        name="reviews",
        description="Reviews, some by customers who no longer exist (orphans on purpose).",
        columns=(
            Column("customer_id", "integer"),
            Column("stars", "integer"),
            Column("written_on", "date"),
        ),
        primary_key=(),
        foreign_keys=(ForeignKey(("customer_id",), "customers", ("id",), enforced=False),),
        unique_together=(),
    )
    return DatasetSchema(
        title="Café Shop: orders",
        dataset_id="L42-v1",
        spec_hash="0f" * 32,
        engine_version="0.1.0",
        description="A test dataset.",
        tables=(customers_table, products_table, orders_table, lines_table, reviews_table),
        extra={"course": "SQL 101"},
    )


def _text(rng: np.random.Generator, n: int) -> list[str]:
    picks = rng.integers(0, len(TRICKY_TEXT), n)
    return [f"{TRICKY_TEXT[p]} {i}" if p % 3 else TRICKY_TEXT[p] for i, p in enumerate(picks)]


def shop_tables(schema: DatasetSchema, seed: int = 7) -> dict[str, pa.Table]:
    """Deterministic data for ``shop_schema``: nulls, tricky text, micro-second times."""
    rng = np.random.default_rng(seed)
    n_cust = schema.table("customers").row_count
    n_orders = schema.table("order").row_count
    ids = np.arange(1, n_cust + 1)
    referrer = np.where(rng.random(n_cust) < 0.5, rng.integers(1, n_cust + 1, n_cust), -1)
    signup = rng.integers(-7000, 20000, n_cust)  # days since 1970: before and after the epoch
    customers = pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "name": pa.array([f"Name {t}"[:40] for t in _text(rng, n_cust)]),
            "email": pa.array(
                [None if i % 10 == 0 else f"user{i}@example.org" for i in ids], pa.string()
            ),
            "tier": pa.array([None if i % 7 == 0 else TIERS[i % 3] for i in ids], pa.string()),
            "signup": pa.array(signup.astype("int32"), pa.date32()),
            "referrer_id": pa.array([None if r < 0 else int(r) for r in referrer], pa.int64()),
            "vip": pa.array([None if i % 11 == 0 else bool(i % 2) for i in ids], pa.bool_()),
            "external_id": pa.array(
                [f"{i:08x}-0000-4000-8000-{i * 7919:012x}" for i in ids], pa.string()
            ),
        }
    )
    skus = [f"SKU-{k:04d}" for k in range(50)]
    products = pa.table(
        {
            "sku": skus,
            "title": _text(rng, 50),
            "price": pa.array(np.round(rng.uniform(0, 500, 50), 2).tolist() + [], pa.float64()),
        }
    )
    base = np.datetime64("2024-01-01T00:00:00", "us")
    placed = base + rng.integers(0, 365 * 86_400_000_000, n_orders).astype("timedelta64[us]")
    placed[::5] = placed[::5].astype("datetime64[s]").astype("datetime64[us]")  # whole seconds
    delay = rng.integers(0, 10 * 86_400_000_000, n_orders).astype("timedelta64[us]")
    shipped = [None if k % 4 == 0 else (placed[k] + delay[k]).item() for k in range(n_orders)]
    amounts = np.round(rng.uniform(0, 1000, n_orders), 2)
    amounts[:4] = [19.99, 0.1, 0.29, 99_999.99]
    statuses = ("new", "paid", "shipped", "it's late")
    orders = pa.table(
        {
            "id": pa.array(np.arange(1, n_orders + 1), pa.int64()),
            "customer_id": pa.array(rng.integers(1, n_cust + 1, n_orders), pa.int64()),
            "placed_at": pa.array(placed, pa.timestamp("us")),
            "shipped_at": pa.array(shipped, pa.timestamp("us")),
            "amount": pa.array([None if k % 13 == 5 else float(a) for k, a in enumerate(amounts)]),
            "discount": pa.array([None if k % 6 == 0 else k / 3 for k in range(n_orders)]),
            "status": pa.array([statuses[k % 4] for k in range(n_orders)]),
            "note": pa.array(
                [None if k % 3 == 0 else t for k, t in enumerate(_text(rng, n_orders))]
            ),
            "quantity": pa.array(rng.integers(1, 101, n_orders), pa.int64()),
        }
    )
    pairs = sorted(
        {
            (int(o), int(s))
            for o, s in zip(
                rng.integers(1, n_orders + 1, n_orders * 2),
                rng.integers(0, 50, n_orders * 2),
                strict=True,
            )
        }
    )
    lines = pa.table(
        {
            "order_id": pa.array([o for o, _ in pairs], pa.int64()),
            "sku": pa.array([skus[s] for _, s in pairs]),
            "units": pa.array([(o * 31 + s) % 9 + 1 for o, s in pairs], pa.int64()),
        }
    )
    n_reviews = 400
    reviews = pa.table(
        {
            "customer_id": pa.array(rng.integers(1, n_cust + 200, n_reviews), pa.int64()),
            "stars": pa.array(
                [None if k % 9 == 0 else k % 5 + 1 for k in range(n_reviews)], pa.int64()
            ),
            "written_on": pa.array(
                [dt.date(2024, 1, 1) + dt.timedelta(days=k % 40) for k in range(n_reviews)],
                pa.date32(),
            ),
        }
    )
    # Duplicate rows on purpose: this table has no primary key.
    reviews = pa.concat_tables([reviews, reviews.slice(0, 10)])
    tables = {
        "customers": customers,
        "product": products,
        "order": orders,
        "order line": lines,
        "reviews": reviews,
    }
    return {name: data.cast(schema.table(name).arrow_schema) for name, data in tables.items()}


def shop_source(*, batch_rows: int = 700, **sizes: int) -> InMemorySource:
    """The shop dataset as a source that hands out several batches per table."""
    schema = shop_schema(**sizes)
    return InMemorySource(schema, shop_tables(schema), batch_rows=batch_rows)


def one_table_source() -> InMemorySource:
    """A dataset with one table (its CSV download is a plain .csv file)."""
    table = Table(
        name="scores",
        columns=(Column("student", "string", nullable=False), Column("score", "float")),
        primary_key=("student",),
    )
    schema = DatasetSchema("Scores", "S1", "ab" * 32, "0.1.0", (table,))
    data = pa.table({"student": ["ann", "bob", ""], "score": [1.5, None, 3.0]})
    return InMemorySource(schema, {"scores": data})


@dataclass
class StreamingSource:
    """A generated table, produced batch by batch, that records what the writer held."""

    rows: int
    batch_rows: int = 16_384
    schema: DatasetSchema = field(init=False)
    observed_arrow_bytes: list[int] = field(default_factory=list)
    on_batch: Callable[[int], None] | None = None
    batches_served: int = 0

    def __post_init__(self) -> None:
        table = Table(
            name="events",
            columns=(
                Column("id", "integer", nullable=False),
                Column("value", "decimal", precision=12, scale=2),
                Column("label", "category", allowed_values=("a", "b", "c")),
                Column("day", "date"),
            ),
            primary_key=("id",),
            row_count=self.rows,
        )
        self.schema = DatasetSchema("Stream", "big", "cd" * 32, "0.1.0", (table,))

    def batches(self, table: str) -> Iterator[pa.RecordBatch]:
        labels = pa.array(["a", "b", "c"])
        for start in range(0, self.rows, self.batch_rows):
            # Arrow memory held right now: earlier batches the writer kept, plus buffers.
            self.observed_arrow_bytes.append(pa.total_allocated_bytes())
            n = min(self.batch_rows, self.rows - start)
            ids = np.arange(start, start + n, dtype=np.int64)
            self.batches_served += 1
            if self.on_batch:
                self.on_batch(self.batches_served)
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array(ids),
                    pa.array(np.round((ids % 10_000) * 0.37, 2)),
                    labels.take(pa.array(ids % 3)),
                    pa.array((ids % 20_000).astype(np.int32), pa.date32()),
                ],
                schema=self.schema.tables[0].arrow_schema,
            )
