"""EXPORT MODEL ... OPTIONS(trial_id = n): a tuned model's trial, as
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-export-model documents TRIAL_ID.
The exported graph, run by ONNX Runtime alone, must give ML.PREDICT(..., STRUCT(n AS trial_id))'s predictions."""

from __future__ import annotations

import numpy as np
import pytest

import sqlml
from tests.engine.reference import fails
from tests.export.onnx_helpers import result_row, rows_of, run_onnx

QUERY = "SELECT bill_length_mm, bill_depth_mm, flipper_length_mm, island, body_mass_g FROM penguins"
TUNED = (
    "CREATE OR REPLACE MODEL hp OPTIONS(model_type='linear_reg', input_label_cols=['body_mass_g'], num_trials=3, "
    "hparam_tuning_algorithm='GRID_SEARCH', l2_reg=HPARAM_CANDIDATES([0.0, 300.0, 30000.0])) AS " + QUERY
)


def _predicted(con, trial: str) -> np.ndarray:
    return np.array(
        [r["predicted_body_mass_g"] for r in rows_of(con, f"SELECT * FROM ML.PREDICT(MODEL hp, ({QUERY}){trial})")]
    )


def test_export_writes_the_chosen_trial(data, tmp_path):
    cur = data.cursor()
    cur.execute(TUNED)
    cur.execute(f"EXPORT MODEL hp OPTIONS(uri='{tmp_path}/trial/', trial_id=2)")
    assert result_row(cur)["rows_verified"] > 0
    got = run_onnx(tmp_path / "trial" / "model.onnx", rows_of(data, QUERY))["predicted_body_mass_g"].ravel()
    trial_two = _predicted(data, ", STRUCT(2 AS trial_id)")
    np.testing.assert_allclose(got, trial_two, rtol=1e-9)
    others = [_predicted(data, f", STRUCT({t} AS trial_id)") for t in (1, 3)]
    assert all(np.abs(other - trial_two).max() > 1e-3 for other in others)  # the trials differ: trial 2's was written


@pytest.mark.parametrize(
    "sql, fragments",
    [
        ("EXPORT MODEL hp OPTIONS(uri='{tmp}/x/', trial_id=7)", ["main.hp", "no trial 7", "1, 2, 3"]),
        ("EXPORT MODEL hp OPTIONS(uri='{tmp}/x/', trial_id=0)", ["trial_id", ">= 1"]),
        ("EXPORT MODEL plain OPTIONS(uri='{tmp}/x/', trial_id=1)", ["main.plain", "not trained with hyperparameter"]),
    ],
)
def test_a_trial_that_is_not_there_is_refused(data, tmp_path, sql, fragments):
    cur = data.cursor()
    cur.execute(TUNED)
    cur.execute(
        f"CREATE OR REPLACE MODEL plain OPTIONS(model_type='linear_reg', input_label_cols=['body_mass_g']) AS {QUERY}"
    )
    fails(data, sql.format(tmp=tmp_path), sqlml.ProgrammingError, *fragments)
    assert not (tmp_path / "x").exists()
