"""What needs a process of its own: bounded memory over 5M rows, and models persisting across processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("memory_probe.py")


@pytest.mark.slow
@pytest.mark.parametrize("model_type", ["linear_reg", "boosted_tree_regressor"])
def test_predict_over_5m_rows_adds_under_300_mb(model_type, tmp_path):
    out = subprocess.run(
        [sys.executable, str(PROBE), model_type, "5000000", str(tmp_path)], capture_output=True, text=True, check=True
    ).stdout.split()
    baseline, peak, rows = float(out[0]), float(out[1]), int(out[2])
    assert rows == 5_000_000
    assert peak - baseline < 300, f"peak RSS grew by {peak - baseline:.0f} MB"


def test_model_created_in_a_file_predicts_from_a_new_process(tmp_path):
    path = tmp_path / "models.duckdb"
    create = f"""
        import sqlml
        with sqlml.connect({str(path)!r}) as con:
            cur = con.cursor()
            cur.execute("CREATE TABLE t AS SELECT i::DOUBLE AS x, CASE WHEN i % 10 < 3 THEN 'a' ELSE 'b' END AS c, "
                        "3.0 * i + CASE WHEN i % 10 < 3 THEN 5 ELSE 0 END AS label FROM range(100) r(i)")
            cur.execute("CREATE MODEL m OPTIONS(model_type='linear_reg') AS SELECT * FROM t")
    """
    predict = f"""
        import sqlml
        with sqlml.connect({str(path)!r}) as con:
            cur = con.cursor()
            cur.execute("SELECT predicted_label FROM ML.PREDICT(MODEL m, (SELECT 10.0 AS x, 'a' AS c))")
            print(cur.fetchone()[0])
    """
    subprocess.run([sys.executable, "-c", textwrap.dedent(create)], check=True)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(predict)], capture_output=True, text=True, check=True
    )
    assert float(result.stdout) == pytest.approx(35.0)  # 3 * 10 + 5, fitted exactly by least squares
