"""Training boosted trees on a Dask cluster against one process, on this machine, measured side by side.

    python -m benchmarks.cluster [--quick] [--sizes 250000 500000 1000000 2000000]

For each size: CREATE MODEL with compute='LOCAL' (one process, LightGBM on every core), with compute='CLUSTER' on a
LocalCluster of single-threaded worker processes (DuckDB stages the rows as Parquet, lightgbm.dask trains), and the
raw Dask stack on the same cluster (DuckDB COPY to Parquet, dask.dataframe.read_parquet, DaskLGBMClassifier: the
path the issue measured by hand). Then 1 against 2 workers at one size, and a straight line fitted to each side's
times: t(n) = fixed + per_row * n, from which the cluster's overhead ratio at larger n follows (it falls toward
the ratio of the per-row costs). Prints figures; timing never gates CI.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from functools import partial
from pathlib import Path

import duckdb
import numpy as np

import sqlml

TREES = 50
OPTIONS = f"model_type='boosted_tree_classifier', input_label_cols=['label'], max_iterations={TREES}, data_split_method='NO_SPLIT'"


def write_rows(path: Path, rows: int) -> None:
    """20 float features and a 0/1 label depending on a few of them, as one Parquet file."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute("SELECT setseed(0.4)")
    columns = ", ".join(f"random() AS f{i}" for i in range(20))
    con.execute(
        f"COPY (SELECT *, (f0 + f1 * f2 + 0.3 * random() > 0.8)::INTEGER AS label FROM "
        f"(SELECT {columns} FROM range({rows}))) TO '{path}' (FORMAT parquet)"
    )


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _create(con, compute: str, data: Path) -> float:
    # a query around the scan: staged by DuckDB with 1 worker as with 2 (1 file for 1 worker would be read directly)
    query = f"SELECT * FROM (SELECT * FROM read_parquet('{data}'))"
    cur = con.cursor()
    return _timed(lambda: cur.execute(f"CREATE OR REPLACE MODEL m OPTIONS({OPTIONS}, compute='{compute}') AS {query}"))


def _raw_dask(client, data: Path, staging: Path) -> float:
    """The raw stack on the cluster: DuckDB writes Parquet, Dask reads it, lightgbm.dask trains."""
    import dask.dataframe as dd
    import lightgbm.dask as lgbd

    def run():
        target = staging / f"raw-{time.monotonic_ns()}"
        duckdb.connect().execute(
            f"COPY (SELECT * FROM read_parquet('{data}')) TO '{target}' (FORMAT parquet, PER_THREAD_OUTPUT)"
        )
        frame = dd.read_parquet(str(target))
        rows = frame[[*(f"f{i}" for i in range(20)), "label"]].to_dask_array(lengths=True)
        X, y = rows[:, :-1], rows[:, -1]
        lgbd.DaskLGBMClassifier(
            client=client, n_estimators=TREES, learning_rate=0.3, max_depth=6, num_leaves=64, verbose=-1
        ).fit(X, y)

    return _timed(run)


def fit_line(sizes: list[int], times: list[float]) -> tuple[float, float]:
    """(fixed seconds, seconds per row) of the least-squares line through (size, time)."""
    per_row, fixed = np.polyfit(np.asarray(sizes, float), np.asarray(times, float), 1)
    return float(fixed), float(per_row)


def best_of(runs: int, *fns) -> tuple[float, ...]:
    """The shortest of `runs` results of each of `fns` (each returns its seconds), the calls interleaved."""
    times = [[fn() for fn in fns] for _ in range(runs)]
    return tuple(min(column) for column in zip(*times))


def measure(sizes: list[int], scaling_rows: int, runs: int) -> dict:
    """Times per size (local, cluster, raw Dask; the best of `runs`) on a 2-worker cluster, after a warm-up, and 1
    vs 2 workers at `scaling_rows`."""
    from distributed import Client, LocalCluster

    results: dict = {"sizes": sizes, "local": [], "cluster": [], "raw_dask": [], "workers": {}}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for workers in (2, 1):
            with (
                LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
                ) as cluster,
                Client(cluster) as client,
            ):
                staging = work / f"staging-{workers}"
                staging.mkdir()
                with sqlml.connect(cluster=cluster.scheduler_address, cluster_dir=str(staging)) as con:
                    warm_up = work / "warm-up.parquet"
                    if not warm_up.exists():
                        write_rows(warm_up, 2_000)
                    _create(con, "CLUSTER", warm_up)  # the workers' first fit imports LightGBM and sqlml
                    _raw_dask(client, warm_up, staging)
                    for rows in sizes if workers == 2 else [scaling_rows]:
                        data = work / f"rows-{rows}.parquet"
                        if not data.exists():
                            write_rows(data, rows)
                        if workers == 1:
                            results["workers"][1] = min(_create(con, "CLUSTER", data) for _ in range(runs))
                            continue
                        cluster_s, local_s, raw_s = best_of(
                            runs,
                            partial(_create, con, "CLUSTER", data),
                            partial(_create, con, "LOCAL", data),
                            partial(_raw_dask, client, data, staging),
                        )
                        results["cluster"].append(cluster_s)
                        results["local"].append(local_s)
                        results["raw_dask"].append(raw_s)
                        if rows == scaling_rows:
                            results["workers"][2] = cluster_s
    return results


def report(results: dict) -> None:
    sizes = results["sizes"]
    print(f"boosted_tree_classifier, {TREES} trees, 20 features, {os.cpu_count()} cores")
    print(f"{'rows':>10}{'local':>10}{'cluster':>10}{'raw dask':>10}{'cluster/local':>15}{'cluster/raw':>13}")
    for i, rows in enumerate(sizes):
        local, cluster, raw = results["local"][i], results["cluster"][i], results["raw_dask"][i]
        print(f"{rows:>10,}{local:>9.2f}s{cluster:>9.2f}s{raw:>9.2f}s{cluster / local:>14.2f}x{cluster / raw:>12.2f}x")
    if len(sizes) >= 2:
        local_line, cluster_line = fit_line(sizes, results["local"]), fit_line(sizes, results["cluster"])
        print(
            f"fitted: local {local_line[0]:.2f} s + {local_line[1] * 1e6:.3f} s per 1M rows; "
            f"cluster {cluster_line[0]:.2f} s + {cluster_line[1] * 1e6:.3f} s per 1M rows"
        )
        for rows in (10**7, 10**8, 10**9):
            local_t = local_line[0] + local_line[1] * rows
            cluster_t = cluster_line[0] + cluster_line[1] * rows
            print(f"  extrapolated at {rows:>13,} rows: cluster/local {cluster_t / local_t:.2f}x")
    one, two = results["workers"].get(1), results["workers"].get(2)
    if one and two:
        print(f"1 worker {one:.2f}s, 2 workers {two:.2f}s: speed-up {one / two:.2f}x")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the harness works")
    parser.add_argument("--sizes", type=int, nargs="+", default=[250_000, 500_000, 1_000_000, 2_000_000])
    args = parser.parse_args(argv)
    sizes = [5_000, 10_000] if args.quick else args.sizes
    report(measure(sizes, sizes[-1] if args.quick else 1_000_000, 1 if args.quick else 2))


if __name__ == "__main__":
    main()
