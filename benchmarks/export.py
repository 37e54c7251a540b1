"""Export throughput and memory per format, with baselines measured in the same run.

    python benchmarks/export.py [--rows 1000000] [--xlsx-rows 200000]

Each measurement runs in its own process, pinned to one CPU core with Arrow's thread
pools at one thread, so peak RSS belongs to that writer alone and every writer and
baseline gets the same single core. Data is built in memory first (as the baselines
need it); "RSS over data" is the peak minus the process's RSS once the data was built.
Each writer runs ``--repeat`` times in its process and the fastest run counts.

Baselines: pandas, the raw library calls each writer could be replaced by
(``pyarrow.parquet.write_table`` with default options; ``sqlite3`` ``executemany`` of
ready-made Python tuples into a table without constraints) and openpyxl for Excel.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from datagen_lti.synth.schema import (  # noqa: E402
    Column,
    DatasetSchema,
    InMemorySource,
    Table,
)

OURS = ["csv", "parquet", "sql:postgres", "sql:mysql", "sql:sqlite", "sql:sqlserver", "sqlite"]
BASELINES = {  # format family -> baselines to compare with, the first one for a ratio target
    "csv": ("pandas.to_csv",),
    "parquet": ("pyarrow.parquet.write_table", "pandas.to_parquet"),
    "sqlite": ("sqlite3.executemany",),
    "xlsx": ("openpyxl.write_only",),
}
TARGETS = {  # rows/s, or a ratio against the family's first baseline
    "csv": ("rows/s", 1_000_000),
    "parquet": ("rows/s", 3_000_000),
    "sqlite": ("rows/s", 1_000_000),
    "sql": ("rows/s", 500_000),
    "xlsx": ("ratio", 2.0),
}
CATEGORIES = ["new", "paid", "shipped", "returned"]


def bench_schema(rows: int) -> DatasetSchema:
    table = Table(
        name="orders",
        columns=(
            Column("id", "integer", nullable=False),
            Column("customer", "string", max_length=24),
            Column("amount", "decimal", precision=10, scale=2),
            Column("quantity", "integer"),
            Column("status", "category", allowed_values=tuple(CATEGORIES)),
            Column("paid", "boolean"),
            Column("ordered_on", "date"),
            Column("shipped_at", "timestamp"),
        ),
        primary_key=("id",),
        row_count=rows,
    )
    return DatasetSchema("Benchmark", "bench", "00" * 32, "bench", (table,))


def bench_table(rows: int) -> pa.Table:
    rng = np.random.default_rng(1)
    ids = np.arange(1, rows + 1)
    customers = pa.array([f"Customer {i % 50_000:05d}" for i in ids])
    amounts = np.round(rng.uniform(0, 1000, rows), 2)
    shipped = np.datetime64("2024-01-01", "us") + rng.integers(0, 3 * 10**13, rows).astype(
        "timedelta64[us]"
    )
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "customer": customers,
            "amount": pa.array(amounts),
            "quantity": pa.array(rng.integers(1, 20, rows), pa.int64()),
            "status": pa.array(CATEGORIES, pa.string()).take(pa.array(ids % 4)),
            "paid": pa.array(ids % 3 == 0),
            "ordered_on": pa.array((19_000 + ids % 700).astype(np.int32), pa.date32()),
            "shipped_at": pa.array(shipped, pa.timestamp("us")),
        }
    )


def rss_mb() -> float:
    """Current resident set size, MB."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pin_to_one_core() -> None:
    """Run this process, and Arrow's thread pools, on a single CPU core."""
    import os

    first = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {first})
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)


def storage_tuples(data: pa.Table) -> list[tuple]:
    """Rows as Python tuples in SQLite's storage classes (ISO text for time, 0/1)."""
    columns = []
    for values in data.columns:
        if pa.types.is_temporal(values.type):
            values = values.cast(pa.string())
        elif pa.types.is_boolean(values.type):
            values = values.cast(pa.int64())
        columns.append(values.to_pylist())
    return list(zip(*columns, strict=True))


def sqlite_executemany(data: pa.Table, records: list[tuple], path: Path) -> None:
    """The raw sqlite3 baseline: no journal, no fsync, one transaction, no constraints."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = OFF")
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("BEGIN")
    connection.execute(f"CREATE TABLE orders ({', '.join(data.column_names)})")
    marks = ", ".join("?" for _ in data.column_names)
    connection.executemany(f"INSERT INTO orders VALUES ({marks})", records)
    connection.execute("COMMIT")
    connection.close()


def write_once(
    name: str, source: InMemorySource, frame, records: list[tuple] | None, out: Path
) -> None:
    """Write the data once with writer ``name`` into the empty folder ``out``."""
    import openpyxl
    import pyarrow.parquet as pq

    from datagen_lti.export import write_format

    data = source.tables["orders"]
    if name == "pandas.to_csv":
        frame.to_csv(out / "p.csv", index=False)
    elif name == "pandas.to_parquet":
        frame.to_parquet(out / "p.parquet", compression="zstd")
    elif name == "pyarrow.parquet.write_table":
        pq.write_table(data, out / "a.parquet")
    elif name == "sqlite3.executemany":
        sqlite_executemany(data, records, out / "s.sqlite")
    elif name == "openpyxl.write_only":
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("orders")
        sheet.append(data.column_names)
        for record in records:
            sheet.append(record)
        book.save(out / "o.xlsx")
    else:
        write_format(source, name, out)


def run_one(name: str, rows: int, out: Path, repeat: int) -> dict:
    """Build the data, then time one writer ``repeat`` times; runs inside a child process.

    The fastest run counts, as timeit's does: slower ones measured other load on the
    machine (and, the first time, libraries that load parts of themselves on first use).
    """
    # Every library is imported before the clock starts, ours and the baselines' alike.
    import openpyxl  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import datagen_lti.export  # noqa: F401

    pin_to_one_core()
    schema = bench_schema(rows)
    data = bench_table(rows)
    source = InMemorySource(schema, {"orders": data})
    frame = data.to_pandas() if name.startswith("pandas") else None
    records = None
    if name == "openpyxl.write_only":
        records = list(zip(*(c.to_pylist() for c in data.columns), strict=True))
    elif name == "sqlite3.executemany":
        records = storage_tuples(data)
    data_rss = rss_mb()
    times = []
    for attempt in range(repeat):
        folder = out / str(attempt)
        folder.mkdir()
        start = time.perf_counter()
        write_once(name, source, frame, records, folder)
        times.append(time.perf_counter() - start)
    seconds = min(times)
    return {
        "name": name,
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "peak_rss_mb": peak_rss_mb(),
        "rss_over_data_mb": max(peak_rss_mb() - data_rss, 0.0),
    }


def measure(name: str, rows: int, repeat: int) -> dict:
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, __file__, "--child", name, "--rows", str(rows), "--out", out]
        command += ["--repeat", str(repeat)]
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        return json.loads(result.stdout)


def family(name: str) -> str:
    return "sql" if name.startswith("sql:") else name


def verdict(name: str, result: dict, baselines: dict[str, dict]) -> tuple[str, bool | None]:
    """(ratios and target text, whether the target is met; None without a target)."""
    names = [b for b in BASELINES.get(family(name), ()) if b in baselines]
    ratios = {b: result["rows_per_s"] / baselines[b]["rows_per_s"] for b in names}
    text = "  ".join(f"{ratio:.1f}x {b}" for b, ratio in ratios.items())
    if family(name) not in TARGETS:
        return text, None
    kind, target = TARGETS[family(name)]
    if kind == "rows/s":
        ok = result["rows_per_s"] >= target
        goal = f">= {target:,} rows/s"
    else:
        ok = bool(names) and ratios[names[0]] >= target
        goal = f">= {target:g}x {names[0] if names else 'baseline'}"
    return f"{text}  {'ok' if ok else 'MISSED'} ({goal})".strip(), ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per writer; the fastest counts")
    parser.add_argument("--child")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.rows, Path(args.out), args.repeat)))
        return

    baselines = {
        name: measure(name, args.xlsx_rows if kind == "xlsx" else args.rows, args.repeat)
        for kind, names in BASELINES.items()
        for name in names
    }
    ours = {name: measure(name, args.rows, args.repeat) for name in OURS}
    ours["xlsx"] = measure("xlsx", args.xlsx_rows, args.repeat)

    header = f"{'writer':<28}{'rows':>10}{'s':>7}{'rows/s':>12}{'peak RSS':>10}{'over data':>11}"
    print(header + "  ratios / target (one core)")
    print("-" * (len(header) + 60))
    missed = []
    for name, result in [*baselines.items(), *ours.items()]:
        text, ok = verdict(name, result, baselines) if name in ours else ("baseline", None)
        if ok is False:
            missed.append(name)
        print(
            f"{name:<28}{result['rows']:>10,}{result['seconds']:>7.2f}"
            f"{result['rows_per_s']:>12,.0f}{result['peak_rss_mb']:>8.0f}MB"
            f"{result['rss_over_data_mb']:>9.0f}MB  {text}"
        )
    met = sum(1 for name in ours if family(name) in TARGETS) - len(missed)
    print(f"\ntargets met: {met}; missed: {', '.join(missed) or 'none'}")


if __name__ == "__main__":
    main()
