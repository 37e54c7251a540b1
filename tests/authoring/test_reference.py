"""Fitting a spec to reference tables: correlations, cardinalities, privacy, quality, errors."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from datagen_lti.authoring.reference import ReferenceDataError, ReferenceLimits, spec_from_data
from datagen_lti.authoring.reference_files import read_reference_file, read_reference_files
from datagen_lti.authoring.reference_quality import frames_like, quality_report
from datagen_lti.synth import derive_seed, generate

CUSTOMERS = 600
CORRELATION = 0.8
MEAN_CHILDREN = 3.0  # among customers with orders
CHILDLESS = 0.15
PARENT_CORRELATION = 0.6  # orders.shipping_fee with the customer's income
FIRST = ["Maren", "Tobias", "Ilse", "Rafael", "Wiebke", "Joaquim", "Sunniva", "Oskar"]
LAST = ["Quellmann", "Abernathy", "Vasquez-Orr", "Lindqvist", "Okonkwo", "Brandauer"]


def shop_tables(seed: int = 7) -> dict[str, pd.DataFrame]:
    """A small shop: customers (with personal data) and their orders."""
    rng = np.random.default_rng(seed)
    n = CUSTOMERS
    z_income, z_noise = rng.standard_normal(n), rng.standard_normal(n)
    income = 52_000 + 11_000 * z_income
    # corr(income, spend) = 0.8 by construction.
    spend = 1_400 + 300 * (CORRELATION * z_income + np.sqrt(1 - CORRELATION**2) * z_noise)
    first = rng.choice(FIRST, n)
    last = rng.choice(LAST, n)
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(1, n + 1),
            "first_name": first,
            "last_name": last,
            "email": [
                f"{f}.{lname}{i}@shop-reference.test".lower()
                for i, (f, lname) in enumerate(zip(first, last, strict=True))
            ],
            "tel": [f"+49 30 {rng.integers(1_000_000, 9_999_999)}" for _ in range(n)],
            "segment": rng.choice(["retail", "business", "student"], n, p=[0.6, 0.3, 0.1]),
            "signup_date": pd.Timestamp("2021-01-01")
            + pd.to_timedelta(rng.integers(0, 1000, n), unit="D"),
            "income": income.round(2),
            "yearly_spend": spend.round(2),
            # Bimodal: no parametric fit, so quantiles are used.
            "basket_size": np.where(
                rng.random(n) < 0.5, rng.normal(20, 3, n), rng.normal(60, 5, n)
            ).round(2),
            "coupon_code": [f"{rng.integers(10**9, 10**10):x}Z" for _ in range(n)],
        }
    )
    counts = 1 + rng.poisson(MEAN_CHILDREN - 1, n)
    counts[rng.permutation(n)[: int(CHILDLESS * n)]] = 0
    total = int(counts.sum())
    orders = pd.DataFrame(
        {
            "order_id": [f"ORD-{i:06d}" for i in range(1, total + 1)],
            "customer_id": np.repeat(customers["customer_id"].to_numpy(), counts),
            "ordered_at": pd.Timestamp("2023-01-01")
            + pd.to_timedelta(rng.integers(0, 365 * 24 * 3600, total), unit="s"),
            "amount": rng.lognormal(3.5, 0.6, total).round(2),
            "status": rng.choice(["shipped", "returned", "open"], total, p=[0.8, 0.05, 0.15]),
        }
    )
    # Follows the customer's income (r about 0.6 on the joined rows): a cross-table trend.
    buyer_income = np.repeat(income, counts)
    z_buyer = (buyer_income - buyer_income.mean()) / buyer_income.std()
    orders["shipping_fee"] = (
        8
        + 2
        * (
            PARENT_CORRELATION * z_buyer
            + np.sqrt(1 - PARENT_CORRELATION**2) * rng.standard_normal(total)
        )
    ).round(2)
    orders.loc[rng.random(total) < 0.1, "amount"] = np.nan
    return {"customers": customers, "orders": orders}


@pytest.fixture(scope="module")
def reference() -> dict[str, pd.DataFrame]:
    return shop_tables()


@pytest.fixture(scope="module")
def fit(reference):
    return spec_from_data(reference, title="Shop", personal={("customers", "tel")})


def variant(spec, learner: int):
    seed = derive_seed(secret=b"reference-tests", assignment="shop", learner=str(learner))
    return generate(spec, seed=seed)


@pytest.fixture(scope="module")
def variants(fit):
    return [variant(fit.spec, learner) for learner in (1, 2, 3)]


def test_known_correlation_is_recovered(fit, variants) -> None:
    column = fit.spec.table("customers").column("yearly_spend")
    assert column.type == "linear" and column.x == "income"
    for dataset in variants:
        frame = dataset.tables["customers"].to_pandas()
        r = np.corrcoef(frame["income"], frame["yearly_spend"])[0, 1]
        assert abs(r - CORRELATION) < 0.07, r


def test_known_correlation_with_the_parent_row_is_recovered(fit, variants) -> None:
    column = fit.spec.table("orders").column("shipping_fee")
    assert column.type == "linear" and column.x == "customers.income"
    for dataset in variants:
        customers = dataset.tables["customers"].to_pandas().set_index("customer_id")
        orders = dataset.tables["orders"].to_pandas()
        income = orders["customer_id"].map(customers["income"])
        r = np.corrcoef(income, orders["shipping_fee"])[0, 1]
        assert abs(r - PARENT_CORRELATION) < 0.08, r


def test_known_children_per_parent_is_recovered(fit, variants, reference) -> None:
    fk = fit.spec.table("orders").column("customer_id")
    assert fk.per_parent is not None and fk.references == "customers"
    assert fk.childless_share == pytest.approx(CHILDLESS, abs=0.01)
    for dataset in variants:
        customers = dataset.tables["customers"].to_pandas()["customer_id"]
        orders = dataset.tables["orders"].to_pandas()["customer_id"]
        counts = orders.value_counts().reindex(customers, fill_value=0)
        assert counts[counts > 0].mean() == pytest.approx(MEAN_CHILDREN, abs=0.25)
        assert (counts == 0).mean() == pytest.approx(CHILDLESS, abs=0.02)
        assert len(dataset.tables["orders"]) == pytest.approx(len(reference["orders"]), rel=0.15)


def reproduced_rows(original: pd.DataFrame, generated: pd.DataFrame, metadata: dict) -> int:
    """Rows of ``original`` found exactly in ``generated`` on their shared columns, types aligned."""
    shared = [c for c in original.columns if c in generated.columns]
    frames = frames_like({"t": original[shared], "g": generated[shared]}, metadata)
    left, right = frames["t"].astype(str), frames["g"].astype(str)
    return len(left.merge(right.drop_duplicates(), on=shared, how="inner"))


def test_no_reference_row_appears_in_any_variant(fit, variants, reference) -> None:
    for name, original in reference.items():
        entry = fit.evaluation_metadata["tables"][name]
        # Compare on the columns that carry values (keys and generated text could only
        # make a match less likely), with each column's type aligned.
        columns = [
            c
            for c, info in entry["columns"].items()
            if info["sdtype"] != "id" and not info.get("pii")
        ]
        metadata = {
            "tables": {
                "t": {"columns": {c: entry["columns"][c] for c in columns}},
                "g": {"columns": {c: entry["columns"][c] for c in columns}},
            }
        }
        for dataset in variants:
            generated = dataset.tables[name].to_pandas()
            assert reproduced_rows(original[columns], generated, metadata) == 0, name
            # The comparison finds a row that is there.
            planted = pd.concat([generated, original.iloc[[5]]], ignore_index=True)
            assert reproduced_rows(original[columns], planted, metadata) == 1


def test_continuous_quantiles_are_not_reference_values(fit, reference) -> None:
    column = fit.spec.table("customers").column("basket_size")
    assert column.distribution.kind == "empirical"
    observed = set(reference["customers"]["basket_size"].round(2))
    assert not observed & {round(v, 2) for v in column.distribution.values}


def test_personal_columns_are_replaced_by_generated_text(fit, variants, reference) -> None:
    customers = fit.spec.table("customers")
    kinds = {c.name: c.kind for c in customers.columns if c.type == "text"}
    assert kinds == {
        "first_name": "first_name",
        "last_name": "last_name",
        "email": "email",
        "tel": "phone",  # flagged by the caller (SDV takes it for a code)
    }
    # A near-unique code is an identifier, not a list of the reference's codes.
    assert customers.column("coupon_code").type == "id"
    document = fit.spec.canonical_json()
    # The stored metadata keeps no observed values or extremes either.
    assert "range_" not in str(fit.metadata)
    for value in ["Quellmann", "shop-reference.test", reference["customers"]["coupon_code"][0]]:
        assert value not in document
    for dataset in variants:
        emails = set(dataset.tables["customers"].to_pandas()["email"])
        assert not emails & set(reference["customers"]["email"])
        phones = set(dataset.tables["customers"].to_pandas()["tel"])
        assert not phones & set(reference["customers"]["tel"])


def test_marginals_nulls_and_dates(fit, variants) -> None:
    orders = fit.spec.table("orders")
    assert orders.column("amount").null_rate == pytest.approx(0.1, abs=0.03)
    assert orders.column("ordered_at").type == "timestamp"
    assert fit.spec.table("customers").column("signup_date").type == "date"
    segment = fit.spec.table("customers").column("segment")
    shares = dict(
        zip(segment.values, np.array(segment.weights) / sum(segment.weights), strict=True)
    )
    assert shares["retail"] == pytest.approx(0.6, abs=0.06)
    generated = variants[0].tables["orders"].to_pandas()
    assert generated["amount"].isna().mean() == pytest.approx(0.1, abs=0.04)
    assert generated["amount"].median() == pytest.approx(np.exp(3.5), rel=0.15)


def test_quality_report_scores_a_variant_and_tells_a_bad_one(fit, variants) -> None:
    good = quality_report(fit.tables, variants[0].tables, fit.evaluation_metadata)
    assert 0.8 < good["score"] <= 1
    assert {p["name"] for p in good["properties"]} >= {"Column Shapes", "Column Pair Trends"}
    shapes = {(c["table"], c["column"]): c["score"] for c in good["column_shapes"]}
    assert ("customers", "income") in shapes and ("orders", "amount") in shapes
    assert ("customers", "email") not in shapes  # generated text is not compared
    pair = next(p for p in good["column_pairs"] if set(p["columns"]) == {"income", "yearly_spend"})
    assert pair["generated"] == pytest.approx(CORRELATION, abs=0.1)
    bad_tables = {name: t.to_pandas() for name, t in variants[0].tables.items()}
    bad_tables["customers"]["income"] = bad_tables["customers"]["income"] * 3
    bad = quality_report(fit.tables, bad_tables, fit.evaluation_metadata)
    bad_shapes = {(c["table"], c["column"]): c["score"] for c in bad["column_shapes"]}
    assert bad_shapes[("customers", "income")] < shapes[("customers", "income")] - 0.5


def test_corrected_metadata_is_used(reference) -> None:
    metadata = spec_from_data(reference, title="Shop").metadata
    metadata["tables"]["customers"]["columns"]["segment"] = {"sdtype": "id"}
    metadata["tables"]["orders"]["columns"]["status"] = {"sdtype": "categorical", "pii": True}
    assert metadata["tables"]["customers"]["columns"]["tel"]["sdtype"] == "categorical"
    fitted = spec_from_data(reference, title="Shop", metadata=metadata).spec
    assert fitted.table("customers").column("tel").type == "id"  # not flagged: an identifier
    assert fitted.table("customers").column("segment").type == "id"
    assert fitted.table("orders").column("status").type == "text"


def test_variants_are_deterministic_per_learner(fit) -> None:
    first, again, other = variant(fit.spec, 4), variant(fit.spec, 4), variant(fit.spec, 5)
    assert first.tables["orders"].equals(again.tables["orders"])
    assert not first.tables["orders"].equals(other.tables["orders"])


# --- errors ------------------------------------------------------------------------


def test_empty_table_is_refused(reference) -> None:
    with pytest.raises(ReferenceDataError, match=r"orders: the table is empty"):
        spec_from_data({**reference, "orders": reference["orders"].iloc[:0]}, title="Shop")
    with pytest.raises(ReferenceDataError, match="no table given"):
        spec_from_data({}, title="Shop")


def test_too_many_columns_are_refused() -> None:
    wide = pd.DataFrame(np.zeros((3, 12)), columns=[f"c{i}" for i in range(12)])
    with pytest.raises(ReferenceDataError, match="12 columns exceed the limit of 10 columns"):
        spec_from_data({"wide": wide}, title="Wide", limits=ReferenceLimits(max_columns=10))
    buffer = io.BytesIO(wide.to_csv(index=False).encode())
    with pytest.raises(ReferenceDataError, match="12 columns exceed the limit of 10 columns"):
        read_reference_file(buffer, filename="wide.csv", limits=ReferenceLimits(max_columns=10))


def test_bad_names_and_personal_columns_are_refused(reference) -> None:
    with pytest.raises(ReferenceDataError, match="is not a usable column name.*'order_date'"):
        spec_from_data({"t": pd.DataFrame({"Order Date": [1, 2]})}, title="T")
    with pytest.raises(ReferenceDataError, match="customers.ssn: is marked personal"):
        spec_from_data(reference, title="Shop", personal={("customers", "ssn")})
    metadata = spec_from_data(reference, title="Shop").metadata
    del metadata["tables"]["orders"]
    with pytest.raises(ReferenceDataError, match="tables.orders: the table is not described"):
        spec_from_data(reference, title="Shop", metadata=metadata)


# --- files -------------------------------------------------------------------------


def test_files_round_trip_in_every_format(tmp_path, reference) -> None:
    orders = reference["orders"].head(50)
    orders.to_csv(tmp_path / "orders.csv", index=False)
    orders.to_parquet(tmp_path / "Order Lines.parquet", index=False)
    orders.to_excel(tmp_path / "orders_sheet.xlsx", index=False)
    tables = read_reference_files(sorted(tmp_path.iterdir()))
    assert set(tables) == {"orders", "order_lines", "orders_sheet"}
    for frame in tables.values():
        assert list(frame.columns) == list(orders.columns)
        assert len(frame) == 50
        assert frame["order_id"].tolist() == orders["order_id"].tolist()


def test_file_limits_are_named(tmp_path, reference) -> None:
    orders = reference["orders"].head(30)
    orders.to_csv(tmp_path / "orders.csv", index=False)
    orders.to_parquet(tmp_path / "orders.parquet", index=False)
    orders.to_excel(tmp_path / "orders.xlsx", index=False)
    for name in ("orders.csv", "orders.parquet", "orders.xlsx"):
        with pytest.raises(ReferenceDataError, match="more than 20 rows, the limit per table"):
            read_reference_files([tmp_path / name], limits=ReferenceLimits(max_rows=20))
    with pytest.raises(ReferenceDataError, match="over the limit of 0.001 MB per file"):
        read_reference_files([tmp_path / "orders.csv"], limits=ReferenceLimits(max_file_bytes=1000))
    with pytest.raises(ReferenceDataError, match="exceed the limit of 1 files"):
        read_reference_files(
            [tmp_path / "orders.csv", tmp_path / "orders.xlsx"], limits=ReferenceLimits(max_files=1)
        )


def test_unreadable_files_are_refused_clearly(tmp_path) -> None:
    cases = {
        "broken.xlsx": (b"PK\x03\x04 not really a workbook", "not a readable Excel"),
        "broken.parquet": (b"PAR1 garbage", "not a readable Parquet file"),
        "latin.csv": ("name\nJosé\n".encode("latin-1"), "not UTF-8 text"),
        "empty.csv": (b"", "the file is empty"),
        "table.json": (b"{}", "cannot read .json"),
    }
    for filename, (content, message) in cases.items():
        (tmp_path / filename).write_bytes(content)
        with pytest.raises(ReferenceDataError, match=message):
            read_reference_files([tmp_path / filename])
    with pytest.raises(ReferenceDataError, match="cannot read the file"):
        read_reference_files([tmp_path / "missing.csv"])


def test_free_text_empty_and_rare_columns() -> None:
    rng = np.random.default_rng(3)
    n = 300
    words = ["parcel", "arrived", "late", "but", "intact", "thanks", "again", "courier"]
    frame = pd.DataFrame(
        {
            "review_id": np.arange(1, n + 1),
            "comment": [" ".join(rng.choice(words, 8)) for _ in range(n)],
            "empty": [None] * n,
            "voucher_batch": [f"k{int(v)}" for v in rng.zipf(1.5, n)],
        }
    )
    fitted = spec_from_data({"reviews": frame}, title="Reviews")
    table = fitted.spec.table("reviews")
    assert table.column("comment").type == "text" and table.column("comment").kind == "sentence"
    assert "empty" not in table.column_names
    codes = table.column("voucher_batch")
    assert codes.type == "category"
    counts = frame["voucher_batch"].value_counts()
    singletons = set(counts[counts == 1].index)
    assert singletons and not singletons & set(codes.values)  # seen once: folded into Other
    assert "Other" in codes.values
    dataset = variant(fitted.spec, 1)
    assert dataset.tables["reviews"].num_rows == n
