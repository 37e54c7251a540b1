"""Benchmark the engine on the retail example at about 1M rows, on one core.

Prints rows/s and peak RSS, and ratios measured in the same run against:
(a) a Faker row loop producing the same columns, and (b) SDV GaussianCopula and
HMA sampling, fitted on a small sample of our output. Finally streams a
10M-row table to Parquet and reports its peak RSS.

Usage: python benchmarks/generate.py [--rows 1000000] [--stream-rows 10000000] [--skip-sdv]

Each phase runs in its own process, so peak RSS figures do not mix.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RETAIL = ROOT / "examples" / "specs" / "retail.yaml"
ROWS_AT_SCALE_1 = None  # measured


def _one_core() -> None:
    # Targets are per core: pin the process and keep Arrow's pools single-threaded.
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import pyarrow as pa

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _seed() -> bytes:
    from datagen_lti.synth import derive_seed

    return derive_seed(secret=b"benchmark", assignment="bench", learner="learner", variant=0)


def _scale_for(rows: int) -> float:
    from datagen_lti.synth import load_spec_file
    from datagen_lti.synth.plan import estimate_rows

    spec = load_spec_file(RETAIL)
    return rows / sum(estimate_rows(spec, 1.0).values())


def phase_engine(rows: int) -> dict:
    """Our generate() of the retail example at about ``rows`` rows."""
    from datagen_lti.synth import generate, load_spec_file

    spec = load_spec_file(RETAIL)
    generate(spec, seed=_seed())  # warm the pools once, as a long-running worker would
    scale = _scale_for(rows)
    best = None
    for _ in range(3):
        start = time.perf_counter()
        data = generate(spec, seed=_seed(), scale=scale)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    total = sum(data.row_counts.values())
    return {
        "rows": total,
        "row_counts": data.row_counts,
        "seconds": best,
        "rows_per_s": total / best,
        "checks_passed": not data.check_report.failed_required,
        "peak_rss_mb": _peak_rss_mb(),
    }


def phase_faker(rows: int) -> dict:
    """The idiomatic baseline: a Python loop calling Faker for every field of every row."""
    import datetime as dt
    from collections import OrderedDict

    from faker import Faker

    fake = Faker("en_US")
    Faker.seed(1)
    segments = OrderedDict([("Consumer", 0.7), ("Small Business", 0.2), ("Corporate", 0.1)])
    categories = ["Electronics", "Home", "Garden", "Toys", "Books"]
    channels = OrderedDict([("web", 0.5), ("mobile", 0.35), ("store", 0.15)])
    scale = _scale_for(rows)
    n_customers = max(1, int(200 * scale))
    start = time.perf_counter()
    customers, products, orders, items = [], [], [], []
    for i in range(n_customers):
        first, last = fake.first_name(), fake.last_name()
        customers.append(
            (
                i + 1,
                f"C-{i + 1:05d}",
                first,
                last,
                f"{first}.{last}@{fake.free_email_domain()}".lower(),
                fake.city(),
                fake.state(),
                fake.random_element(segments),
                fake.date_between(dt.date(2022, 1, 1), dt.date(2023, 12, 31)),
            )
        )
    for i in range(60):
        products.append(
            (
                i + 1,
                f"SKU-{i + 1:04d}",
                fake.catch_phrase(),
                fake.random_element(categories),
                fake.pyfloat(min_value=1, max_value=2000, right_digits=2),
            )
        )
    order_id = 1000
    item_id = 0
    for customer in customers:
        for _ in range(fake.random_int(0, 5)):
            order_id += 1
            order_date = fake.date_between(customer[8], dt.date(2024, 6, 30))
            orders.append((order_id, customer[0], order_date, fake.random_element(channels)))
            for _ in range(fake.random_int(1, 5)):
                item_id += 1
                product = fake.random_element(products)
                quantity = fake.random_int(1, 20)
                items.append(
                    (item_id, order_id, product[0], quantity, round(quantity * product[4], 2))
                )
    elapsed = time.perf_counter() - start
    total = len(customers) + len(products) + len(orders) + len(items)
    return {
        "rows": total,
        "seconds": elapsed,
        "rows_per_s": total / elapsed,
        "peak_rss_mb": _peak_rss_mb(),
    }


def phase_sdv(sample_customers: int, sample_rows: int) -> dict:
    """SDV GaussianCopula (orders) and HMA (all tables) fitted on a small sample of our output."""
    import warnings

    warnings.filterwarnings("ignore")
    from sdv.multi_table import HMASynthesizer
    from sdv.single_table import GaussianCopulaSynthesizer

    from datagen_lti.synth import generate, load_spec_file
    from datagen_lti.synth.sdv_metadata import spec_to_sdv_metadata

    spec = load_spec_file(RETAIL)
    data = generate(spec, seed=_seed(), scale=sample_customers / 200)
    frames = {n: t.to_pandas(date_as_object=False) for n, t in data.tables.items()}
    metadata = spec_to_sdv_metadata(spec)
    result = {}

    from sdv.metadata import Metadata

    orders_md = Metadata.load_from_dict(
        {
            "METADATA_SPEC_VERSION": "V1",
            "tables": {"orders": metadata.to_dict()["tables"]["orders"]},
        }
    )
    gc = GaussianCopulaSynthesizer(orders_md)
    gc.fit({"orders": frames["orders"]})
    start = time.perf_counter()
    sampled = gc.sample(num_rows=sample_rows)
    elapsed = time.perf_counter() - start
    if isinstance(sampled, dict):
        sampled = next(iter(sampled.values()))
    result["gaussian_copula"] = {
        "rows": len(sampled),
        "seconds": elapsed,
        "rows_per_s": len(sampled) / elapsed,
    }

    # Community HMA refuses relationship depth > 2: model customers -> orders.
    full = metadata.to_dict()
    two_tables = {
        "METADATA_SPEC_VERSION": "V1",
        "tables": {name: full["tables"][name] for name in ("customers", "orders")},
        "relationships": [r for r in full["relationships"] if r["child_table_name"] == "orders"],
    }
    hma = HMASynthesizer(Metadata.load_from_dict(two_tables))
    start = time.perf_counter()
    hma.fit({name: frames[name] for name in ("customers", "orders")})
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    sampled = hma.sample_scale(scale=4.0)
    elapsed = time.perf_counter() - start
    rows = sum(len(frame) for frame in sampled.values())
    result["hma"] = {
        "rows": rows,
        "seconds": elapsed,
        "rows_per_s": rows / elapsed,
        "fit_seconds": fit_seconds,
    }
    result["peak_rss_mb"] = _peak_rss_mb()
    return result


def phase_stream(rows: int) -> dict:
    """Stream the retail example with ``rows`` order lines to Parquet, batch by batch."""
    import pyarrow.parquet as pq

    from datagen_lti.synth import SpecLimits, load_spec_file, stream

    limits = SpecLimits(max_total_rows=rows * 2)
    spec = load_spec_file(RETAIL, limits=limits)
    from datagen_lti.synth.plan import estimate_rows

    items_at_1 = estimate_rows(spec, 1.0)["order_items"]
    source = stream(spec, seed=_seed(), scale=rows / items_at_1, limits=limits)
    start = time.perf_counter()
    counts = {}
    with tempfile.TemporaryDirectory() as tmp:
        sizes = {}
        for table in source.schema.tables:
            path = Path(tmp) / f"{table.name}.parquet"
            with pq.ParquetWriter(path, table.arrow_schema, compression="zstd") as writer:
                n = 0
                for batch in source.batches(table.name):
                    writer.write_batch(batch)
                    n += batch.num_rows
            counts[table.name] = n
            sizes[table.name] = path.stat().st_size
    elapsed = time.perf_counter() - start
    total = sum(counts.values())
    return {
        "row_counts": counts,
        "largest_table_rows": max(counts.values()),
        "parquet_mb": round(sum(sizes.values()) / 1e6, 1),
        "seconds": elapsed,
        "rows_per_s": total / elapsed,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _run_phase(name: str, *args) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", name, *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--faker-rows", type=int, default=50_000)
    parser.add_argument("--stream-rows", type=int, default=10_000_000)
    parser.add_argument("--sdv-sample-customers", type=int, default=100)
    parser.add_argument("--sdv-sample-rows", type=int, default=5_000)
    parser.add_argument("--skip-sdv", action="store_true")
    parser.add_argument("--skip-stream", action="store_true")
    parser.add_argument("--phase")
    parser.add_argument("args", nargs="*")
    options = parser.parse_args()
    if options.phase:
        _one_core()
        phase = globals()[f"phase_{options.phase}"]
        print(json.dumps(phase(*(int(a) for a in options.args)), default=str))
        return

    engine = _run_phase("engine", options.rows)
    print(
        f"engine: {engine['rows']:,} rows in {engine['seconds']:.2f} s = "
        f"{engine['rows_per_s']:,.0f} rows/s on one core; peak RSS {engine['peak_rss_mb']:.0f} MB; "
        f"checks passed: {engine['checks_passed']}"
    )
    print(f"        tables: {engine['row_counts']}")
    faker = _run_phase("faker", options.faker_rows)
    print(
        f"faker loop: {faker['rows']:,} rows in {faker['seconds']:.2f} s = "
        f"{faker['rows_per_s']:,.0f} rows/s -> engine is {engine['rows_per_s'] / faker['rows_per_s']:,.0f}x faster"
    )
    if not options.skip_sdv:
        sdv = _run_phase("sdv", options.sdv_sample_customers, options.sdv_sample_rows)
        for name in ("gaussian_copula", "hma"):
            figures = sdv[name]
            print(
                f"sdv {name}: sampled {figures['rows']:,} rows in {figures['seconds']:.2f} s = "
                f"{figures['rows_per_s']:,.0f} rows/s -> engine is "
                f"{engine['rows_per_s'] / figures['rows_per_s']:,.0f}x faster"
                + (f" (fit {figures['fit_seconds']:.1f} s)" if "fit_seconds" in figures else "")
            )
    if not options.skip_stream:
        streamed = _run_phase("stream", options.stream_rows)
        print(
            f"stream to Parquet: largest table {streamed['largest_table_rows']:,} rows "
            f"({streamed['row_counts']}), {streamed['parquet_mb']} MB in {streamed['seconds']:.1f} s = "
            f"{streamed['rows_per_s']:,.0f} rows/s; peak RSS {streamed['peak_rss_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
