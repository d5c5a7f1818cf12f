"""The benchmark harness keeps working (its numbers are read by people, never asserted here). Marked slow:
`pytest -m "not slow"` leaves it out of a quick developer loop; the full suite runs it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
HANG = 1800  # seconds: a harness that hangs fails the suite instead of stalling it (not a speed bar)


def _harness(module: str, *args: str, timeout: float = HANG) -> subprocess.CompletedProcess:
    """`python -m module args` from the repository's root, its output captured; a failure or a hang fails the test."""
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=timeout
    )


ROWS = [
    "tree predict, 2M rows (throughput ratio)",
    "logistic predict vs hand SQL, 10M (thr.)",
    "logistic vs folded hand SQL, 2M (thr.)",
    "k-means predict vs hand SQL, 10M (thr.)",
    "PCA predict vs hand SQL, 10M (thr.)",
    "training boosted tree, 500k rows (time)",
    "pass-through, 5,000 x SELECT 42 (time)",
    "ML.PREDICT on empty input (per statement)",
    "logistic, 20 features, empty input (time)",
    "cold start, sqlml DB -c SELECT 42 (median)",
    "ARIMA_PLUS, 100 daily series x 2 years",
    "ML.FORECAST per 1,000 series x 30 steps",
    "MF training, 1M implicit ratings (time)",
    "ML.RECOMMEND top-10, every user (thr.)",
    "cluster training, 1M rows, 2 workers (time)",
    "cluster training, 1M rows, 1 vs 2 workers",
    "ML.PREDICT 20M rows from Parquet, peak RSS",
]


def test_harness_runs_every_benchmark_quickly():
    """Every benchmark measured something, in order. The cluster's rows run benchmarks/cluster.py's measure once (2
    then 1 workers, the raw Dask stack); its report of several sizes is checked below on figures made by hand."""
    result = _harness("benchmarks", "--quick")
    # a row: its name in 44 columns, then a figure. A LocalCluster's worker processes share the harness's stdout,
    # where LightGBM's native code logs its network set-up from two processes at once, lines cut into pieces
    rows = [line for line in result.stdout.splitlines()[2:] if re.match(r".{44} *\d+(\.\d+)?(s|ms|MB) ", line)]
    assert [row[:44].strip() for row in rows] == ROWS, result.stdout


def test_cluster_report_fits_a_line_through_the_sizes(capsys):
    """benchmarks/cluster.py's report on figures made by hand: local 0.5 s + 0.5 ms a row, cluster 2.75 s +
    0.25 ms a row (through (1000, 3.0) and (3000, 3.5)), so cluster/local at 10M rows is 2502.75 / 5000.5."""
    from benchmarks.cluster import report

    sizes = [1_000, 3_000]
    times = {"local": [1.0, 2.0], "cluster": [3.0, 3.5], "raw_dask": [4.0, 7.0], "workers": {1: 4.0, 2: 2.0}}
    report({"sizes": sizes, **times})
    out = capsys.readouterr().out
    assert re.search(r"1,000 +1\.00s +3\.00s +4\.00s +3\.00x +0\.75x", out), out
    assert "fitted: local 0.50 s + 500.000 s per 1M rows; cluster 2.75 s + 250.000 s per 1M rows" in out
    assert f"at    10,000,000 rows: cluster/local {2502.75 / 5000.5:.2f}x" in out
    assert "1 worker 4.00s, 2 workers 2.00s: speed-up 2.00x" in out


def test_bigquery_dialect_harness_runs_quickly():
    result = _harness("benchmarks.bigquery", "--quick")
    rows = result.stdout.splitlines()[1:]  # after the header
    for row in ("GoogleSQL SELECT, 10k rows", "ML.PREDICT linear_reg", "wildcard table, 30 shards", "new process"):
        assert any(line.startswith(row) for line in rows), row
    assert len(rows) == 15 and all(re.search(r"\dms +\d+\.\d+ms +\d+\.\d+x", row) for row in rows), rows


def test_export_harness_runs_quickly():
    result = _harness("benchmarks.export", "--quick")
    for row in ("tree float16: bytes", "tree none: single-row p50", "dnn int8: bytes", "dnn int8: accuracy"):
        assert row in result.stdout, row


def test_c_export_harness_runs_quickly():
    result = _harness("benchmarks.export_c", "--quick")
    rows = {(line[:9].strip(), line[9:28].strip()): line for line in result.stdout.splitlines()[1:14]}
    forms = {"boosted": ["sqlml none", "sqlml int16", "tl2cgen", "tl2cgen quantize", "m2cgen"]}
    forms["forest"] = ["sqlml none", "sqlml int16", "emlearn float", "emlearn int16", "emlearn int16 p8"]
    forms["dnn"] = ["sqlml none", "sqlml int8", "emlearn mlp"]
    assert set(rows) == {(model, form) for model, names in forms.items() for form in names}, result.stdout
    # each form compiled, sized (the Cortex-M4 column is "-" without arm-none-eabi-gcc), agreed and timed
    assert all(re.search(r"[\d,-]+ +[\d,]+ +\d+\.\d\d% +\d+\.\d$", row) for row in rows.values()), result.stdout
    for target in ("tl2cgen quantize size", "emlearn int16 size", "dnn int8 weight bytes", "dnn accuracy"):
        assert target in result.stdout, target


def test_wide_table_harness_runs_quickly():
    result = _harness("benchmarks.wide", "--quick")
    assert [line.split()[0] for line in result.stdout.splitlines()[2:]] == ["100", "200", "400"]


def test_server_harness_runs_quickly():
    result = _harness("benchmarks.server", "--rounds", "3", timeout=300)
    for row in ("SELECT 1 alone", "SELECT 1 beside issue 14's texts", "SELECT 1 beside a 16 MiB query"):
        assert row in result.stdout, row


def test_forecast_accuracy_harness_runs_quickly():
    result = _harness("benchmarks.forecast_accuracy", "--series", "Nile", "USAccDeaths")
    rows = [line.split("|")[1:-1] for line in result.stdout.splitlines() if line.startswith("| ")]
    series = {row[0].strip(): row for row in rows}
    assert set(series) >= {"Nile", "USAccDeaths", "mean sMAPE (%)", "mean MASE", "90% interval coverage"}
    # Nile: 100 years, the last 10 held out; USAccDeaths: 72 months, the last 12
    assert [cell.strip() for cell in series["Nile"][1:4]] == ["yearly", "90", "10"]
    assert [cell.strip() for cell in series["USAccDeaths"][1:4]] == ["monthly", "60", "12"]
    assert all(re.fullmatch(r" *\d+\.\d+ *", cell) for cell in series["Nile"][4:10]), series["Nile"]
    assert "held-out points (target 80-97%)" in result.stdout


def test_forecast_coverage_harness_runs_quickly():
    """Both rows print; the windows' intervals are never narrower than the ARIMA's (their mean standard error)."""
    result = _harness("benchmarks.forecast_coverage", "--series", "8")
    rows = [line.split() for line in result.stdout.splitlines()[2:]]
    assert [row[0] for row in rows] == ["0", "2"], result.stdout
    assert all(re.fullmatch(r"\d+\.\d%", row[1]) for row in rows), result.stdout
    assert float(rows[1][2]) >= float(rows[0][2])


def test_forecast_speed_harness_runs_quickly():
    result = _harness("benchmarks.forecast_speed", "--series", "5")
    rows = result.stdout.splitlines()[2:]  # after the title and the header
    assert [row[:44].strip() for row in rows] == [
        "CREATE MODEL vs statsforecast fit+forecast",
        "CREATE MODEL again, same process",
        "ML.FORECAST, all series x 30 steps",
    ]
    assert all(re.search(r"\ds ", row) for row in rows), rows


def test_forecast_metrics_are_the_documented_ones():
    """sMAPE (BigQuery ML's, in percent) and MASE, against values computed by hand."""
    from benchmarks.forecast_accuracy import mase, smape

    actual, predicted = np.array([100.0, 200.0]), np.array([110.0, 180.0])
    assert smape(actual, predicted) == pytest.approx((2 * 10 / 210 + 2 * 20 / 380) / 2 * 100)
    # in-sample seasonal naive with period 2 on [1, 2, 4, 8]: errors 3 and 6, MAE 4.5; the forecast's MAE is 15
    assert mase(actual, predicted, np.array([1.0, 2.0, 4.0, 8.0]), 2) == pytest.approx(15 / 4.5)


def test_wide_and_deep_harness_runs_quickly():
    result = _harness("benchmarks.wide_and_deep", "--quick")
    for model_type in ("logistic_reg", "dnn_classifier", "dnn_linear_combined_classifier"):
        assert re.search(rf"^{model_type} +0\.\d{{4}} +\d+\.\ds$", result.stdout, re.M), result.stdout


def test_recommend_harness_runs_quickly():
    result = _harness("benchmarks.recommend", "--quick")
    for row in ("EXPLICIT test RMSE", "IMPLICIT map@10", "IMPLICIT ndcg@10", "MF training", "ML.RECOMMEND top-10"):
        assert row in result.stdout, row
