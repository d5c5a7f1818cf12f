"""Every sql_examples/*.sql script runs end to end; what it built is checked against the raw data."""

from __future__ import annotations

from pathlib import Path

import pytest

import sqlml
from sqlml.cli import run

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "sql_examples").glob("*.sql"))


def _one(con, sql):
    cur = con.cursor()
    cur.execute(sql)
    return cur.fetchone()


def check_cars(con):
    (nulls,) = _one(con, "SELECT count(*) FILTER (mpg IS NULL) FROM cars WHERE model_year < 1982")
    assert _one(con, "SELECT dropped_rows FROM sqlml.model_versions WHERE model_name = 'mpg_linear'") == (nulls,)
    (r2,) = _one(con, "SELECT r2_score FROM ML.EVALUATE(MODEL mpg_linear, (FROM cars WHERE model_year = 1982))")
    assert 0.3 < r2 < 1


def check_penguins(con):
    # RANDOM split, 30% of 344 rows to evaluation; the 11 penguins without a sex are dropped for sex_boosted
    assert _one(con, "SELECT training_rows, eval_rows FROM sqlml.model_versions "
                     "WHERE model_name = 'species_forest'") == (241, 103)
    assert _one(con, "SELECT dropped_rows FROM sqlml.model_versions WHERE model_name = 'sex_boosted'") == (11,)
    (accuracy,) = _one(con, "SELECT accuracy FROM ML.EVALUATE(MODEL species_forest)")
    assert accuracy > 0.9


CHECKS = {"01_regression_cars.sql": check_cars, "02_classification_penguins.sql": check_penguins}


def test_every_example_has_a_check():
    assert [p.name for p in EXAMPLES] == sorted(CHECKS)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(example, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)  # the scripts read their data relative to the repository root
    database = str(tmp_path / "example.duckdb")
    assert run(database, [example.read_text()]) == 0, capsys.readouterr().err
    assert "│" in capsys.readouterr().out  # results were printed as tables
    with sqlml.connect(database) as con:
        CHECKS[example.name](con)
