"""sqlml against the raw Python stack, measured side by side in one run.

    python -m benchmarks [--quick]        (or: python benchmarks/run.py)

Runs are interleaved, best of 5. Each line prints the sqlml time, the raw-stack time and their ratio in the direction of the target:
throughput ratio (>= target) for predict, time ratio (<= target) for training and pass-through,
milliseconds for the ML statement overhead, peak RSS for the 20M-row predict. Timing never gates CI.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import lightgbm as lgb
import numpy as np
import onnxruntime

import sqlml
from benchmarks import cluster, forecast_speed, recommend

FEATURES = [f"f{i}" for i in range(20)]


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def best_of(runs: int, *fns) -> tuple[float, ...]:
    """The shortest wall time of `runs` calls of each of `fns`, the calls interleaved (their order reversed every
    other run) so that a change in the machine's load affects every side alike."""
    times = [[] for _ in fns]
    for run in range(runs):
        order = list(enumerate(fns))
        for i, fn in order[::-1] if run % 2 else order:
            times[i].append(_seconds(fn))
    return tuple(min(t) for t in times)


def write_parquet(path: Path, rows: int, seed: int) -> None:
    """`rows` rows of 20 float features and a 0/1 label that depends on a few of them."""
    columns = ", ".join(f"random() AS f{i}" for i in range(20))
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SELECT setseed({seed / 100})")
    con.execute(
        f"COPY (SELECT *, (f0 + f1 * f2 + 0.3 * random() > 0.8)::INTEGER AS label FROM "
        f"(SELECT {columns} FROM range({rows}))) TO '{path}' (FORMAT parquet)"
    )


def numpy_rows(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The raw path's input: DuckDB -> Arrow -> numpy."""
    table = duckdb.connect().sql(f"SELECT * FROM '{path}'").to_arrow_table()
    X = np.column_stack([table.column(name).to_numpy() for name in FEATURES])
    return X, table.column("label").to_numpy()


def lightgbm_params() -> dict:
    """The LightGBM parameters sqlml uses for boosted_tree_classifier with the OPTIONS below."""
    return {
        "objective": "binary",
        "learning_rate": 0.3,
        "max_depth": 6,
        "num_leaves": 64,
        "lambda_l2": 1.0,
        "min_sum_hessian_in_leaf": 1,
        "min_data_in_leaf": 1,
        "seed": 0,
        "deterministic": True,
        "verbosity": -1,
    }


TREE_OPTIONS = "model_type='boosted_tree_classifier', max_iterations=100, max_tree_depth=6, early_stop=FALSE"


def bench_tree_predict(work: Path, rows: int, runs: int) -> tuple[float, float]:
    train, data = work / "tree_train.parquet", work / "tree_predict.parquet"
    write_parquet(train, 50_000, 1)
    write_parquet(data, rows, 2)
    con = sqlml.connect()
    cur = con.cursor()
    cur.execute(f"CREATE MODEL m OPTIONS({TREE_OPTIONS}, data_split_method='NO_SPLIT') AS SELECT * FROM '{train}'")
    X_train, y_train = numpy_rows(train)
    booster = lgb.train(lightgbm_params(), lgb.Dataset(X_train, y_train), 100)

    def ours():
        cur.execute(f"SELECT count(*), sum(predicted_label) FROM ML.PREDICT(MODEL m, (FROM '{data}'))")
        cur.fetchall()

    def raw():
        X, _ = numpy_rows(data)
        (booster.predict(X) > 0.5).sum()

    return best_of(runs, ours, raw)


def _scoring_data(work: Path, rows: int) -> Path:
    """The Parquet file the SQL-scoring benchmarks read (written once)."""
    data = work / f"scoring_{rows}.parquet"
    if not data.exists():
        write_parquet(data, rows, 3)
    return data


def against_hand_sql(runs: int, cur, query: str, hand_written: str) -> tuple[float, float]:
    """best_of `query` on sqlml's cursor `cur` and `hand_written` on a plain DuckDB connection."""
    plain = duckdb.connect()
    return best_of(runs, lambda: cur.execute(query).fetchall(), lambda: plain.execute(hand_written).fetchall())


def bench_linear_scoring(work: Path, rows: int, runs: int) -> tuple[float, float]:
    data = _scoring_data(work, rows)
    cur = sqlml.connect().cursor()
    specs, state = _trained(cur, data, "model_type='logistic_reg', data_split_method='NO_SPLIT'", "*")
    w, b = state["coef"][0], state["intercept"][0]
    score = " + ".join(f"{wi!r} * {zi}" for wi, zi in zip(w, _standardized(specs)))
    hand_written = f"SELECT count(*), sum((1 / (1 + exp(-({score} + {b!r})))) > 0.5) FROM '{data}'"
    return against_hand_sql(
        runs, cur, f"SELECT count(*), sum(predicted_label) FROM ML.PREDICT(MODEL u, (FROM '{data}'))", hand_written
    )


def _standardized(specs: list[dict]) -> list[str]:
    """Hand-written SQL of each standardized feature."""
    return [f"((coalesce({s['name']}, {s['mean']!r}) - {s['mean']!r}) / {s['std']!r})" for s in specs]


def _trained(cur, data: Path, options: str, columns: str = "* EXCLUDE (label)") -> tuple[list[dict], dict]:
    """Train on `columns` of 50,000 rows of `data`; the feature specs and artifact state, as stored."""
    cur.execute(f"CREATE OR REPLACE TABLE train AS SELECT {columns} FROM '{data}' LIMIT 50000")
    cur.execute(f"CREATE OR REPLACE MODEL u OPTIONS({options}) AS SELECT * FROM train")
    cur.execute("SELECT features, artifact FROM sqlml.model_versions WHERE model_name = 'u' ORDER BY version DESC")
    features, artifact = cur.fetchone()
    return json.loads(features), json.loads(artifact)


def folded_logistic(specs: list[dict], state: dict) -> str:
    """A logistic model's positive-class probability written by hand, standardization folded into the weights."""
    w, b = state["coef"][0], state["intercept"][0]
    folded = [wi / s["std"] for wi, s in zip(w, specs)]
    intercept = b - sum(fi * s["mean"] for fi, s in zip(folded, specs))
    terms = " + ".join(f"{fi!r} * {s['name']}" for fi, s in zip(folded, specs))
    return f"1 / (1 + exp(-({terms} + {intercept!r})))"


def bench_folded_logistic(work: Path, rows: int, runs: int) -> tuple[float, float]:
    """SELECT avg(predicted_label) of a 20-feature logistic_reg vs the same model written by hand."""
    data = _scoring_data(work, rows)
    cur = sqlml.connect().cursor()
    specs, state = _trained(cur, data, "model_type='logistic_reg', data_split_method='NO_SPLIT'", "*")
    hand_written = f"SELECT avg(({folded_logistic(specs, state)} > 0.5)::INTEGER) FROM '{data}'"
    return against_hand_sql(
        runs, cur, f"SELECT avg(predicted_label) FROM ML.PREDICT(MODEL u, (FROM '{data}'))", hand_written
    )


def bench_kmeans_scoring(work: Path, rows: int, runs: int) -> tuple[float, float]:
    """ML.PREDICT of an 8-cluster k-means vs its nearest centroid written by hand in SQL."""
    data = _scoring_data(work, rows)
    cur = sqlml.connect().cursor()
    specs, state = _trained(cur, data, "model_type='kmeans', num_clusters=8")
    # written well: each feature standardized once, squares as products (pow() is 5x slower)
    z = ", ".join(f"{zi} AS z{i}" for i, zi in enumerate(_standardized(specs)))
    distances = ", ".join(
        "sqrt(" + " + ".join(f"(z{i} - {ci!r}) * (z{i} - {ci!r})" for i, ci in enumerate(c)) + ")"
        for c in state["centroids"]
    )
    hand_written = (
        f"SELECT count(*), sum(list_position(d, list_min(d))) FROM "
        f"(SELECT [{distances}] AS d FROM (SELECT {z} FROM '{data}'))"
    )
    return against_hand_sql(
        runs, cur, f"SELECT count(*), sum(CENTROID_ID) FROM ML.PREDICT(MODEL u, (FROM '{data}'))", hand_written
    )


def bench_pca_scoring(work: Path, rows: int, runs: int) -> tuple[float, float]:
    """ML.PREDICT of a 3-component PCA vs its projections written by hand in SQL."""
    data = _scoring_data(work, rows)
    cur = sqlml.connect().cursor()
    specs, state = _trained(cur, data, "model_type='pca', num_principal_components=3")
    z = _standardized(specs)
    projections = " + ".join(
        "(" + " + ".join(f"{w!r} * ({zi} - {m!r})" for w, zi, m in zip(row, z, state["mean"])) + ")"
        for row in state["components"]
    )
    hand_written = f"SELECT count(*), sum({projections}) FROM '{data}'"
    return against_hand_sql(
        runs,
        cur,
        "SELECT count(*), sum(principal_component_1 + principal_component_2 + "
        f"principal_component_3) FROM ML.PREDICT(MODEL u, (FROM '{data}'))",
        hand_written,
    )


def bench_training(work: Path, rows: int, runs: int) -> tuple[float, float]:
    data = work / "training.parquet"
    write_parquet(data, rows, 4)
    con = sqlml.connect()
    cur = con.cursor()
    cur.execute(f"CREATE TABLE t AS SELECT * FROM '{data}'")

    def ours():
        cur.execute(
            f"CREATE OR REPLACE MODEL m OPTIONS({TREE_OPTIONS}, data_split_method='NO_SPLIT') AS SELECT * FROM t"
        )

    def raw():
        X, y = numpy_rows(data)
        lgb.train(lightgbm_params(), lgb.Dataset(X, y), 100)

    return best_of(runs, ours, raw)


def bench_pass_through(statements: int, runs: int) -> tuple[float, float]:
    ours, theirs = sqlml.connect().cursor(), duckdb.connect().cursor()

    def loop(cursor):
        for _ in range(statements):
            cursor.execute("SELECT 42").fetchall()

    return best_of(runs, lambda: loop(ours), lambda: loop(theirs))


def _per_statement(cur, query: str, runs: int) -> float:
    """Seconds per run of `query` on `cur` (warm: run once first), the best of `runs` loops of 200."""
    cur.execute(query).fetchall()
    calls = 200

    def loop():
        for _ in range(calls):
            cur.execute(query).fetchall()

    return min(_seconds(loop) for _ in range(runs)) / calls


def bench_ml_overhead(runs: int) -> tuple[float, float]:
    """ML.PREDICT over an empty input: parse + plan + catalog lookup (+ model load on a cold cache)."""
    cur = sqlml.connect().cursor()
    cur.execute("CREATE TABLE t AS SELECT random() AS x, random() AS label FROM range(1000)")
    cur.execute(f"CREATE MODEL m OPTIONS({TREE_OPTIONS.replace('_classifier', '_regressor')}) AS SELECT * FROM t")
    return _per_statement(cur, "SELECT * FROM ML.PREDICT(MODEL m, (SELECT * FROM t WHERE false))", runs), 0.0


def bench_small_statement(work: Path, runs: int) -> tuple[float, float]:
    """ML.PREDICT of a 20-feature logistic_reg over an empty table vs DuckDB running the same model written by
    hand over it: what a small ML statement costs beyond DuckDB's own planning."""
    data = _scoring_data(work, 50_000)
    cur = sqlml.connect().cursor()
    specs, state = _trained(cur, data, "model_type='logistic_reg', data_split_method='NO_SPLIT'", "*")
    cur.execute("CREATE TABLE empty AS SELECT * FROM train WHERE false")
    plain = duckdb.connect()
    plain.execute(f"CREATE TABLE empty AS SELECT * FROM '{data}' WHERE false")
    p = folded_logistic(specs, state)
    hand_written = (
        "SELECT * EXCLUDE (p), (p > 0.5)::INTEGER AS predicted_label, [{'label': 0, 'prob': 1 - p}, "
        f"{{'label': 1, 'prob': p}}] AS predicted_label_probs FROM (SELECT *, {p} AS p FROM empty)"
    )
    ours = _per_statement(cur, "SELECT * FROM ML.PREDICT(MODEL u, TABLE empty)", runs)
    return ours, _per_statement(plain, hand_written, runs)


def bench_cold_start(work: Path, runs: int) -> tuple[float, float]:
    """Median wall time of a new `sqlml DB -c "SELECT 42"` process vs a new Python process doing the same with
    DuckDB alone, on a database holding a table and a model; `runs` of each, interleaved."""
    path = work / "cold.duckdb"
    with sqlml.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT random() AS x, random() AS y FROM range(1000)")
        con.execute("CREATE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS SELECT * FROM t")
    ours = [sys.executable, "-m", "sqlml.cli", str(path), "-c", "SELECT 42"]
    raw = [sys.executable, "-c", f"import duckdb; duckdb.connect({str(path)!r}).sql('SELECT 42').fetchall()"]
    times_ours, times_raw = [], []
    for run in range(runs):
        for command, times in [(ours, times_ours), (raw, times_raw)][:: 1 if run % 2 else -1]:
            times.append(_seconds(lambda command=command: subprocess.run(command, check=True, capture_output=True)))
    return statistics.median(times_ours), statistics.median(times_raw)


MEMORY_SCRIPT = """
import re, sys, sqlml
def peak_mb():  # VmHWM starts afresh at exec; ru_maxrss would carry the parent's peak over
    return int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) / 1024
path = sys.argv[1]
cur = sqlml.connect().cursor()
cur.execute("CREATE TABLE train AS SELECT (i % 1000) / 100.0 AS x1, ((i * 7) % 13)::DOUBLE AS x2, "
            "['a', 'b', 'c'][i % 3 + 1] AS cat, (i % 1000) / 50.0 + (i % 3) AS label FROM range(2000) r(i)")
cur.execute("CREATE MODEL m OPTIONS(model_type='boosted_tree_regressor') AS SELECT * FROM train")
cur.execute("SELECT count(*) FROM ML.PREDICT(MODEL m, TABLE train)").fetchall()
baseline = peak_mb()
cur.execute(f"SELECT count(*), avg(predicted_label) FROM ML.PREDICT(MODEL m, (FROM '{path}'))").fetchall()
print(baseline, peak_mb())
"""


def bench_memory(work: Path, rows: int) -> tuple[float, float]:
    """(baseline, peak) RSS in MB of a fresh process predicting `rows` rows read from Parquet."""
    path = work / "memory.parquet"
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(
        f"COPY (SELECT i AS id, (i % 1000) / 100.0 AS x1, ((i * 7) % 13)::DOUBLE AS x2, "
        f"['a', 'b', 'c'][i % 3 + 1] AS cat FROM range({rows}) r(i)) TO '{path}' (FORMAT parquet)"
    )
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(path)], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), float(out[1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, one run: checks the harness works")
    args = parser.parse_args(argv)
    scale, runs = (0.01, 1) if args.quick else (1.0, 5)
    n = lambda rows: max(int(rows * scale), 1000)
    print(
        f"sqlml benchmarks on {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, duckdb {duckdb.__version__}, lightgbm {lgb.__version__}, "
        f"onnxruntime {onnxruntime.__version__}"
    )
    print(f"{'benchmark':<44}{'sqlml':>10}{'raw':>10}{'ratio':>9}  target")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ours, raw = bench_tree_predict(work, n(2_000_000), runs)
        print(f"{'tree predict, 2M rows (throughput ratio)':<44}{ours:>9.3f}s{raw:>9.3f}s{raw / ours:>8.2f}x  >= 1.0")
        ours, raw = bench_linear_scoring(work, n(10_000_000), runs)
        print(f"{'logistic predict vs hand SQL, 10M (thr.)':<44}{ours:>9.3f}s{raw:>9.3f}s{raw / ours:>8.2f}x  >= 0.8")
        ours, raw = bench_folded_logistic(work, n(2_000_000), runs)
        print(f"{'logistic vs folded hand SQL, 2M (thr.)':<44}{ours:>9.3f}s{raw:>9.3f}s{raw / ours:>8.2f}x  >= 0.9")
        ours, raw = bench_kmeans_scoring(work, n(10_000_000), runs)
        print(f"{'k-means predict vs hand SQL, 10M (thr.)':<44}{ours:>9.3f}s{raw:>9.3f}s{raw / ours:>8.2f}x  >= 0.8")
        ours, raw = bench_pca_scoring(work, n(10_000_000), runs)
        print(f"{'PCA predict vs hand SQL, 10M (thr.)':<44}{ours:>9.3f}s{raw:>9.3f}s{raw / ours:>8.2f}x  >= 0.8")
        ours, raw = bench_training(work, n(500_000), runs)
        print(f"{'training boosted tree, 500k rows (time)':<44}{ours:>9.3f}s{raw:>9.3f}s{ours / raw:>8.2f}x  <= 1.15")
        ours, raw = bench_pass_through(n(5_000), runs)
        print(f"{'pass-through, 5,000 x SELECT 42 (time)':<44}{ours:>9.3f}s{raw:>9.3f}s{ours / raw:>8.2f}x  <= 1.10")
        ours, _ = bench_ml_overhead(runs)
        print(f"{'ML.PREDICT on empty input (per statement)':<44}{ours * 1000:>8.2f}ms{'':>10}{'':>9}  <= 5 ms")
        ours, raw = bench_small_statement(work, runs)
        print(
            f"{'logistic, 20 features, empty input (time)':<44}{ours * 1000:>8.2f}ms{raw * 1000:>8.2f}ms"
            f"{ours / raw:>8.2f}x  <= 5 ms (raw = DuckDB, the model by hand)"
        )
        ours, raw = bench_cold_start(work, 3 if args.quick else 11)
        print(
            f"{'cold start, sqlml DB -c SELECT 42 (median)':<44}{ours:>9.3f}s{raw:>9.3f}s{ours / raw:>8.2f}x  <= 1.5 "
            "(raw = python -c 'import duckdb; ...')"
        )
        series = 5 if args.quick else 100  # python -m benchmarks.forecast_speed: 1,000 series
        t = forecast_speed.measure(series)
        print(
            f"{'ARIMA_PLUS, 100 daily series x 2 years':<44}{t['create_model']:>9.3f}s{t['raw']:>9.3f}s"
            f"{t['create_model'] / t['raw']:>8.2f}x  <= 1.2 (raw = statsforecast MSTL + AutoARIMA)"
        )
        print(
            f"{'ML.FORECAST per 1,000 series x 30 steps':<44}{t['forecast'] * 1e6 / series:>8.0f}ms{'':>10}{'':>9}"
            "  <= 1000 ms"
        )
        t = recommend.speed(work, args.quick)  # python -m benchmarks.recommend: MovieLens accuracy too
        ours, raw = t["training"]
        print(
            f"{'MF training, 1M implicit ratings (time)':<44}{ours:>9.3f}s{raw:>9.3f}s{ours / raw:>8.2f}x  <= 1.2 "
            "(raw = implicit)"
        )
        ours, raw = t["top10"]
        print(
            f"{'ML.RECOMMEND top-10, every user (thr.)':<44}{ours:>9.3f}s{raw:>9.3f}s{raw / ours:>8.2f}x  >= 0.5 "
            "(raw = numpy top-k)"
        )
        rows = n(1_000_000)  # python -m benchmarks.cluster: 250k to 2M rows, the fitted lines, the raw Dask stack
        t = cluster.measure([rows], rows, 1 if args.quick else 2)
        ours, raw = t["cluster"][0], t["local"][0]
        print(
            f"{'cluster training, 1M rows, 2 workers (time)':<44}{ours:>9.3f}s{raw:>9.3f}s{ours / raw:>8.2f}x  "
            "(raw = compute='LOCAL', the same statement in one process)"
        )
        one, two = t["workers"][1], t["workers"][2]
        print(
            f"{'cluster training, 1M rows, 1 vs 2 workers':<44}{two:>9.3f}s{one:>9.3f}s{one / two:>8.2f}x  "
            "(raw = 1 worker; the speed-up of the second)"
        )
        baseline, peak = bench_memory(work, n(20_000_000))
        print(
            f"{'ML.PREDICT 20M rows from Parquet, peak RSS':<44}{peak:>8.0f}MB{baseline:>8.0f}MB"
            f"{'':>9}  <= 1500 MB (raw = the process before predicting)"
        )


if __name__ == "__main__":
    main()
