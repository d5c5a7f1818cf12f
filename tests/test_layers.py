"""The layers hold: import-linter's contracts (pyproject.toml), the front ends reach DuckDB only through the
Session, and EXPORT MODEL is registered by the composition root without loading the exporter."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FRONT_ENDS = ["sqlml/dbapi.py", "sqlml/sqlalchemy_dialect.py", "sqlml/cli.py", "sqlml/shell", "sqlml/server"]


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_ruff_finds_nothing(command):
    """ruff's lint rules and its formatting (pyproject.toml [tool.ruff]) hold for the package, tests and benchmarks."""
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run(
        [str(ruff), *command, "--no-cache", "sqlml", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_front_ends_never_reach_the_sessions_duckdb_cursor():
    files = [
        path
        for entry in FRONT_ENDS
        for path in ((ROOT / entry).rglob("*.py") if (ROOT / entry).is_dir() else [ROOT / entry])
    ]
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in files
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr == "duck"
    ]
    assert len(files) > 10 and found == []


def test_registering_export_model_loads_nothing_of_export():
    script = """
import importlib.util, sys, types
package = types.ModuleType("sqlml")  # the package without its __init__, which runs the registration
package.__path__ = list(importlib.util.find_spec("sqlml").submodule_search_locations)
sys.modules["sqlml"] = package
import sqlml.engine.session  # the engine, as the front ends load it
from sqlml.engine.model_statements import STATEMENTS
assert "ExportModel" not in STATEMENTS
before = set(sys.modules)
import sqlml.root
assert STATEMENTS["ExportModel"] == "sqlml.export.statement:export_statement"
print(sorted(set(sys.modules) - before))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    added = ast.literal_eval(result.stdout)
    assert added == ["sqlml.root"]  # registered by name: nothing of export loads before an EXPORT MODEL runs


def test_export_model_loads_the_exporter_when_it_runs(tmp_path):
    script = f"""
import sys
import sqlml
assert "sqlml.export.exporter" not in sys.modules, "importing sqlml loaded the exporter"
con = sqlml.connect()
con.execute("CREATE TABLE d AS SELECT range::DOUBLE AS x, 2 * range + 1.0 AS y FROM range(20)")
con.execute("CREATE MODEL m OPTIONS (model_type = 'linear_reg', input_label_cols = ['y']) AS SELECT * FROM d")
con.execute("EXPORT MODEL m OPTIONS (uri = {str(tmp_path / "m.onnx")!r})")
assert "sqlml.export.exporter" in sys.modules
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "m.onnx").stat().st_size > 0
