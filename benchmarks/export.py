"""Export throughput and memory per format, with baselines measured in the same run.

    python benchmarks/export.py [--rows 1000000] [--xlsx-rows 200000]

Each measurement runs in its own process, so peak RSS belongs to that writer alone.
Data is built in memory first (as pandas' baselines need it); "RSS over data" is the
peak minus the process's RSS once the data was built.
"""

from __future__ import annotations

import argparse
import json
import resource
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
BASELINES = {"csv": "pandas.to_csv", "parquet": "pandas.to_parquet", "xlsx": "openpyxl.write_only"}
TARGETS = {  # rows/s, or a ratio against the baseline
    "csv": ("rows/s", 1_000_000),
    "parquet": ("rows/s", 1_000_000),
    "sql": ("rows/s", 300_000),
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


def run_one(name: str, rows: int, out: Path) -> dict:
    """Build the data, then time one writer; runs inside a child process."""
    from datagen_lti.export import write_format

    schema = bench_schema(rows)
    data = bench_table(rows)
    source = InMemorySource(schema, {"orders": data})
    frame = data.to_pandas() if name.startswith("pandas") else None
    records = None
    if name == "openpyxl.write_only":
        records = list(zip(*(c.to_pylist() for c in data.columns), strict=True))
    data_rss = rss_mb()
    start = time.perf_counter()
    if name == "pandas.to_csv":
        frame.to_csv(out / "p.csv", index=False)
    elif name == "pandas.to_parquet":
        frame.to_parquet(out / "p.parquet", compression="zstd")
    elif name == "openpyxl.write_only":
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("orders")
        sheet.append(data.column_names)
        for record in records:
            sheet.append(record)
        book.save(out / "o.xlsx")
    else:
        write_format(source, name, out)
    seconds = time.perf_counter() - start
    return {
        "name": name,
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "peak_rss_mb": peak_rss_mb(),
        "rss_over_data_mb": max(peak_rss_mb() - data_rss, 0.0),
    }


def measure(name: str, rows: int) -> dict:
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, __file__, "--child", name, "--rows", str(rows), "--out", out]
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        return json.loads(result.stdout)


def verdict(name: str, result: dict, baselines: dict[str, dict]) -> tuple[str, str]:
    """(ratio text, pass/fail text) against the target of this format."""
    family = "sql" if name.startswith("sql:") else name
    base_name = BASELINES.get(family)
    ratio = ""
    if base_name in baselines:
        ratio_value = result["rows_per_s"] / baselines[base_name]["rows_per_s"]
        ratio = f"{ratio_value:.1f}x {base_name}"
    if family not in TARGETS:
        return ratio, ""
    kind, target = TARGETS[family]
    if kind == "rows/s":
        ok = result["rows_per_s"] >= target
        return ratio, f"{'ok' if ok else 'MISSED'} (>= {target:,} rows/s)"
    ok = bool(base_name in baselines and ratio_value >= target)
    return ratio, f"{'ok' if ok else 'MISSED'} (>= {target:g}x {base_name})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=200_000)
    parser.add_argument("--child")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.rows, Path(args.out))))
        return

    baselines = {
        "pandas.to_csv": measure("pandas.to_csv", args.rows),
        "pandas.to_parquet": measure("pandas.to_parquet", args.rows),
        "openpyxl.write_only": measure("openpyxl.write_only", args.xlsx_rows),
    }
    ours = {name: measure(name, args.rows) for name in OURS}
    ours["xlsx"] = measure("xlsx", args.xlsx_rows)

    header = f"{'writer':<22}{'rows':>10}{'s':>8}{'rows/s':>12}{'peak RSS':>10}{'over data':>11}"
    print(header + "  ratio / target")
    print("-" * (len(header) + 40))
    for name, result in [*baselines.items(), *ours.items()]:
        ratio, target = verdict(name, result, baselines) if name in ours else ("baseline", "")
        print(
            f"{name:<22}{result['rows']:>10,}{result['seconds']:>8.2f}"
            f"{result['rows_per_s']:>12,.0f}{result['peak_rss_mb']:>8.0f}MB"
            f"{result['rss_over_data_mb']:>9.0f}MB  {ratio}  {target}"
        )


if __name__ == "__main__":
    main()
