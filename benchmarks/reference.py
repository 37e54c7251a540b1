"""Benchmark fitting a spec to reference tables, and sampling learners' variants from it.

Measures, on one core: the time to fit a spec to a customers/orders shop
(``spec_from_data``: SDV metadata detection plus our fitting), rows/s of per-learner
sampling from the fitted spec through the engine, and rows/s of SDV's own
HMASynthesizer ``sample`` after fitting it to the same tables, all in the same run;
prints the ratio, and the peak RSS of each phase.

Usage: python benchmarks/reference.py [--customers 2000] [--engine-rows 500000]
                                      [--sdv-rows 3000] [--skip-sdv]

Each phase runs in its own process, so peak RSS figures do not mix.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import pyarrow as pa

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reference_tables(customers: int):
    """A shop's customers and orders (made up here, with a known structure)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(2024)
    n = customers
    z = rng.standard_normal(n)
    income = 48_000 + 12_000 * z
    spend = 1_200 + 250 * (0.7 * z + 0.71 * rng.standard_normal(n))
    first = rng.choice(["Ada", "Bruno", "Chiara", "Dmitri", "Elif", "Femi"], n)
    customers_frame = pd.DataFrame(
        {
            "customer_id": np.arange(1, n + 1),
            "first_name": first,
            "email": [f"{f.lower()}{i}@bench-shop.test" for i, f in enumerate(first)],
            "segment": rng.choice(["retail", "business", "student"], n, p=[0.6, 0.3, 0.1]),
            "signup_date": pd.Timestamp("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 1500, n), unit="D"),
            "income": income.round(2),
            "yearly_spend": spend.round(2),
        }
    )
    counts = 1 + rng.poisson(2.0, n)
    counts[rng.random(n) < 0.2] = 0
    total = int(counts.sum())
    orders = pd.DataFrame(
        {
            "order_id": np.arange(1, total + 1),
            "customer_id": np.repeat(customers_frame["customer_id"].to_numpy(), counts),
            "ordered_at": pd.Timestamp("2023-01-01")
            + pd.to_timedelta(rng.integers(0, 365 * 86_400, total), unit="s"),
            "amount": rng.lognormal(3.4, 0.6, total).round(2),
            "status": rng.choice(["shipped", "returned", "open"], total, p=[0.8, 0.05, 0.15]),
        }
    )
    return {"customers": customers_frame, "orders": orders}


def _fit(customers: int):
    from datagen_lti.authoring.reference import spec_from_data

    return spec_from_data(reference_tables(customers), title="Benchmark shop")


def phase_fit(customers: int, **_: object) -> dict:
    """Time spec_from_data, SDV's import included (a fresh process pays it once)."""
    tables = reference_tables(customers)
    start = time.perf_counter()
    from datagen_lti.authoring.reference import spec_from_data

    fit = spec_from_data(tables, title="Benchmark shop")
    seconds = time.perf_counter() - start
    again = time.perf_counter()
    spec_from_data(tables, title="Benchmark shop")
    warm = time.perf_counter() - again
    return {
        "reference_rows": sum(len(t) for t in tables.values()),
        "fit_seconds": round(seconds, 3),
        "fit_seconds_warm": round(warm, 3),
        "columns": {t.name: [c.type for c in t.columns] for t in fit.spec.tables},
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def phase_engine(customers: int, engine_rows: int, **_: object) -> dict:
    """Generate learners' variants from the fitted spec until ``engine_rows`` rows."""
    from datagen_lti.synth import derive_seed, generate
    from datagen_lti.synth.plan import estimate_rows

    fit = _fit(customers)
    per_variant = sum(estimate_rows(fit.spec, 1.0).values())
    scale = max(engine_rows / per_variant / 5, 0.01)
    rows, seconds = 0, 0.0
    for learner in range(5):
        seed = derive_seed(secret=b"benchmark", assignment="ref", learner=str(learner))
        start = time.perf_counter()
        dataset = generate(fit.spec, seed=seed, scale=scale)
        seconds += time.perf_counter() - start
        rows += sum(t.num_rows for t in dataset.tables.values())
    return {
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_s": round(rows / seconds),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def phase_sdv(customers: int, sdv_rows: int, **_: object) -> dict:
    """Fit SDV's HMASynthesizer to the same tables and time its ``sample``."""
    from sdv.metadata import Metadata
    from sdv.multi_table import HMASynthesizer

    tables = reference_tables(customers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        metadata = Metadata.detect_from_dataframes(tables)
        synthesizer = HMASynthesizer(metadata, verbose=False)
        start = time.perf_counter()
        synthesizer.fit(tables)
        fit_seconds = time.perf_counter() - start
        scale = sdv_rows / sum(len(t) for t in tables.values())
        start = time.perf_counter()
        if hasattr(synthesizer, "sample_scale"):  # SDV 2
            sampled = synthesizer.sample_scale(scale=scale)
        else:
            sampled = synthesizer.sample(scale=scale)
        seconds = time.perf_counter() - start
    rows = sum(len(t) for t in sampled.values())
    return {
        "fit_seconds": round(fit_seconds, 3),
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_s": round(rows / seconds),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


PHASES = {"fit": phase_fit, "engine": phase_engine, "sdv": phase_sdv}


def _run(phase: str, args: argparse.Namespace) -> dict:
    command = [
        sys.executable,
        __file__,
        "--phase",
        phase,
        "--customers",
        str(args.customers),
        "--engine-rows",
        str(args.engine_rows),
        "--sdv-rows",
        str(args.sdv_rows),
    ]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--engine-rows", type=int, default=500_000)
    parser.add_argument("--sdv-rows", type=int, default=3_000)
    parser.add_argument("--skip-sdv", action="store_true")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        _one_core()
        print(json.dumps(PHASES[args.phase](**vars(args))))
        return
    fit = _run("fit", args)
    print(
        f"fit: {fit['reference_rows']:,} reference rows in {fit['fit_seconds']:.2f} s "
        f"({fit['fit_seconds_warm']:.2f} s with SDV already imported), "
        f"peak RSS {fit['peak_rss_mb']:.0f} MB"
    )
    engine = _run("engine", args)
    print(
        f"engine: {engine['rows']:,} rows of learners' variants in {engine['seconds']:.2f} s = "
        f"{engine['rows_per_s']:,} rows/s, peak RSS {engine['peak_rss_mb']:.0f} MB"
    )
    if args.skip_sdv:
        return
    sdv = _run("sdv", args)
    print(
        f"SDV HMASynthesizer: fit {sdv['fit_seconds']:.2f} s; sample {sdv['rows']:,} rows in "
        f"{sdv['seconds']:.2f} s = {sdv['rows_per_s']:,} rows/s, peak RSS "
        f"{sdv['peak_rss_mb']:.0f} MB"
    )
    print(f"ratio: the engine samples {engine['rows_per_s'] / sdv['rows_per_s']:.0f}x faster")


if __name__ == "__main__":
    main()
