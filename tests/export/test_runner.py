"""The device side: sqlml/export/runner.py, copied beside an exported model, runs in a virtual environment
that has only numpy and onnxruntime (no sqlml, DuckDB or scikit-learn) and prints ML.PREDICT's answers."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime
import pytest

import sqlml.export.runner
from tests.export.onnx_helpers import rows_of


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory) -> str:
    """A venv whose only packages are numpy and onnxruntime (linked from this environment)."""
    root = tmp_path_factory.mktemp("device")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    packages = root / "packages"
    packages.mkdir()
    for module in (np, onnxruntime):
        source = Path(module.__file__).parent
        (packages / source.name).symlink_to(source)
        libs = source.parent / f"{source.name}.libs"  # bundled shared libraries of manylinux wheels
        if libs.exists():
            (packages / libs.name).symlink_to(libs)
    site = next((root / "venv" / "lib").glob("python3*/site-packages"))
    (site / "device.pth").write_text(str(packages) + "\n")
    python = str(root / "venv" / "bin" / "python")
    for absent in ("sqlml", "duckdb", "sklearn", "lightgbm", "onnx", "pyarrow"):
        probe = subprocess.run([python, "-c", f"import {absent}"], capture_output=True, text=True)
        assert "ModuleNotFoundError" in probe.stderr, absent
    return python


@pytest.mark.parametrize(
    "model_type, options", [("boosted_tree_classifier", ""), ("dnn_classifier", ", hidden_units=[32], learn_rate=0.01")]
)
def test_runner_in_a_bare_environment_prints_ml_predict(data, tmp_path, bare_python, model_type, options):
    cur = data.cursor()
    cur.execute(
        f"CREATE OR REPLACE MODEL edge OPTIONS(model_type='{model_type}', input_label_cols=['species']"
        f"{options}) AS SELECT * EXCLUDE (year) FROM penguins"
    )
    cur.execute(f"EXPORT MODEL edge OPTIONS(uri='{tmp_path}/edge.onnx')")
    cur.execute(f"COPY (SELECT * EXCLUDE (species) FROM penguins) TO '{tmp_path}/rows.csv' (HEADER)")
    runner = tmp_path / "runner.py"
    runner.write_text(Path(sqlml.export.runner.__file__).read_text())
    run = subprocess.run(
        [bare_python, str(runner), str(tmp_path / "edge.onnx"), str(tmp_path / "rows.csv")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    printed = list(csv.DictReader(io.StringIO(run.stdout)))
    expected = rows_of(data, "SELECT * FROM ML.PREDICT(MODEL edge, TABLE penguins)")
    assert len(printed) == len(expected) == 344
    for got, want in zip(printed, expected):
        assert got["predicted_species"] == want["predicted_species"]
        for entry in want["predicted_species_probs"]:
            assert float(got[f"predicted_species_probs:{entry['label']}"]) == pytest.approx(entry["prob"], abs=1e-9)
