"""The benchmark harness keeps working (its numbers are read by people, never asserted here). Marked slow:
`pytest -m "not slow"` leaves it out of a quick developer loop; the full suite runs it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


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
    "ML.PREDICT 20M rows from Parquet, peak RSS",
]


def test_harness_runs_every_benchmark_quickly():
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    rows = result.stdout.splitlines()[2:]  # after the versions and the header
    assert [row[:44].strip() for row in rows] == ROWS
    assert all(re.search(r"\d(s|ms|MB) ", row) for row in rows), rows  # each one measured something


def test_bigquery_dialect_harness_runs_quickly():
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.bigquery", "--quick"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    rows = result.stdout.splitlines()[1:]  # after the header
    for row in ("GoogleSQL SELECT, 10k rows", "ML.PREDICT linear_reg", "wildcard table, 30 shards", "new process"):
        assert any(line.startswith(row) for line in rows), row
    assert len(rows) == 15 and all(re.search(r"\dms +\d+\.\d+ms +\d+\.\d+x", row) for row in rows), rows


def test_export_harness_runs_quickly():
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.export", "--quick"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    for row in ("tree float16: bytes", "tree none: single-row p50", "dnn int8: bytes", "dnn int8: accuracy"):
        assert row in result.stdout, row


def test_wide_table_harness_runs_quickly():
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.wide", "--quick"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert [line.split()[0] for line in result.stdout.splitlines()[2:]] == ["100", "200", "400"]


def test_server_harness_runs_quickly():
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.server", "--rounds", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    for row in ("SELECT 1 alone", "SELECT 1 beside issue 14's texts", "SELECT 1 beside a 16 MiB query"):
        assert row in result.stdout, row
