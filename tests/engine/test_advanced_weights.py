"""calculate_p_values, category_encoding_method='DUMMY_ENCODING' and ML.ADVANCED_WEIGHTS against statsmodels' OLS
and Logit fitted on the same rows (statsmodels is the independent reference, never sqlml's own code).

https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-advanced-weights: linear and binary
logistic models trained with CALCULATE_P_VALUES=TRUE, CATEGORY_ENCODING_METHOD='DUMMY_ENCODING' and L1_REG=0;
columns processed_input, weight, category_weights (category, weight, standard_error, p_value), standard_error,
p_value. https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-one-hot-encoder: dummy
encoding drops the most frequent category.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import sqlml
from tests.engine.reference import fails

RTOL = 1e-6


@pytest.fixture
def rows(con, tmp_path):
    """60 rows: numerics x1, x2, a category c ('b' the most frequent), a numeric label y and a BOOL label b."""
    rng = np.random.default_rng(7)
    n = 60
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.uniform(-2, 3, n)})
    frame["c"] = rng.choice(["a", "b", "c"], size=n, p=[0.25, 0.5, 0.25])
    effect = frame["c"].map({"a": 1.0, "b": 0.0, "c": -0.5})
    frame["y"] = 2 + 0.8 * frame["x1"] - 0.4 * frame["x2"] + effect + rng.normal(0, 0.7, n)
    frame["b"] = (0.9 * frame["x1"] - 0.3 * frame["x2"] + effect + rng.logistic(size=n)) > 0
    frame.to_parquet(tmp_path / "t.parquet")
    con.cursor().execute(f"CREATE TABLE t AS FROM read_parquet('{tmp_path / 't.parquet'}')")
    return frame


def design(frame: pd.DataFrame, intercept: bool = True) -> pd.DataFrame:
    """x1, x2 and the dummies of c other than its most frequent category, as statsmodels reads them."""
    reference = frame["c"].value_counts().idxmax()
    dummies = pd.get_dummies(frame["c"], prefix="c", dtype=float).drop(columns=f"c_{reference}")
    X = pd.concat([frame[["x1", "x2"]], dummies], axis=1)
    return sm.add_constant(X) if intercept else X


def advanced(con, model: str, standardize: bool = False) -> dict:
    """processed_input or 'c=<category>' -> (weight, standard_error, p_value)."""
    cur = con.cursor()
    cur.execute(f"SELECT * FROM ML.ADVANCED_WEIGHTS(MODEL {model}, STRUCT({standardize} AS standardize))")
    assert [d[0] for d in cur.description] == [
        "processed_input",
        "weight",
        "category_weights",
        "standard_error",
        "p_value",
    ]
    out = {}
    for name, weight, categories, error, p in cur.fetchall():
        if weight is not None:
            out[name] = (weight, error, p)
        for entry in categories:
            out[f"{name}_{entry['category']}"] = (entry["weight"], entry["standard_error"], entry["p_value"])
    return out


def train(con, model_type: str, label: str, extra: str = "") -> None:
    con.cursor().execute(
        f"CREATE MODEL m OPTIONS(model_type='{model_type}', input_label_cols=['{label}'], calculate_p_values=TRUE, "
        f"category_encoding_method='DUMMY_ENCODING', data_split_method='NO_SPLIT'{extra}) "
        f"AS SELECT x1, x2, c, {label} FROM t"
    )


def assert_matches(got: dict, fit, names: dict) -> None:
    for ours, theirs in names.items():
        weight, error, p = got[ours]
        np.testing.assert_allclose(
            [weight, error, p], [fit.params[theirs], fit.bse[theirs], fit.pvalues[theirs]], rtol=RTOL, err_msg=ours
        )


NAMES = {"__INTERCEPT__": "const", "x1": "x1", "x2": "x2", "c_a": "c_a", "c_c": "c_c"}


def test_linear_reg_matches_statsmodels_ols(con, rows):
    train(con, "linear_reg", "y")
    got = advanced(con, "m")
    assert_matches(got, sm.OLS(rows["y"], design(rows)).fit(), NAMES)
    assert got["c_b"] == (0.0, None, None)  # the reference category: weight 0, nothing estimated


def standardized(frame: pd.DataFrame) -> pd.DataFrame:
    """x1 and x2 centered and scaled by their (population) standard deviation, as the linear encoding reads them."""
    scaled = frame.copy()
    for column in ("x1", "x2"):
        scaled[column] = (frame[column] - frame[column].mean()) / frame[column].std(ddof=0)
    return scaled


def test_linear_reg_without_intercept(con, rows):
    """fit_intercept=FALSE fixes the intercept of the standardized inputs at 0: OLS without a constant on them."""
    train(con, "linear_reg", "y", ", fit_intercept=FALSE")
    fit = sm.OLS(rows["y"], design(standardized(rows), intercept=False)).fit()
    assert_matches(advanced(con, "m", standardize=True), fit, {k: v for k, v in NAMES.items() if v != "const"})


def test_logistic_reg_matches_statsmodels_logit(con, rows):
    train(con, "logistic_reg", "b")
    assert_matches(advanced(con, "m"), sm.Logit(rows["b"].astype(float), design(rows)).fit(disp=0, tol=1e-12), NAMES)


def test_standardized_weights_match_ols_on_standardized_columns(con, rows):
    """STRUCT(TRUE AS standardize): the weights per standard deviation of x1, x2."""
    train(con, "linear_reg", "y")
    assert_matches(advanced(con, "m", standardize=True), sm.OLS(rows["y"], design(standardized(rows))).fit(), NAMES)


def test_predictions_are_the_dummy_encoded_fit(con, rows):
    """DUMMY_ENCODING changes the fit, not scoring: ML.PREDICT gives statsmodels' fitted values."""
    train(con, "linear_reg", "y")
    cur = con.cursor()
    cur.execute("SELECT predicted_y FROM ML.PREDICT(MODEL m, (SELECT * FROM t))")
    predicted = [r[0] for r in cur.fetchall()]
    np.testing.assert_allclose(predicted, sm.OLS(rows["y"], design(rows)).fit().fittedvalues, rtol=RTOL)


def test_refusals(con, rows):
    create = (
        "CREATE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y'], data_split_method='NO_SPLIT'{}) "
        "AS SELECT x1, x2, c, y FROM t"
    )
    fails(con, create.format(", calculate_p_values=TRUE, l1_reg=1.0"), sqlml.ProgrammingError, "l1_reg", "p_values")
    # one-hot categories are collinear with the intercept: no standard errors
    fails(con, create.format(", calculate_p_values=TRUE"), sqlml.DataError, "DUMMY_ENCODING")
    cur = con.cursor()
    cur.execute(create.format(", category_encoding_method='DUMMY_ENCODING'"))
    fails(con, "SELECT * FROM ML.ADVANCED_WEIGHTS(MODEL m)", sqlml.ProgrammingError, "calculate_p_values", "m")
    cur.execute(
        "CREATE MODEL multi OPTIONS(model_type='logistic_reg', input_label_cols=['k'], calculate_p_values=TRUE, "
        "category_encoding_method='DUMMY_ENCODING') AS SELECT x1, x2, c AS k FROM t"
    )
    fails(con, "SELECT * FROM ML.ADVANCED_WEIGHTS(MODEL multi)", sqlml.ProgrammingError, "binary", "3 classes")
    cur.execute("CREATE MODEL tree OPTIONS(model_type='boosted_tree_regressor', input_label_cols=['y']) AS FROM t")
    fails(con, "SELECT * FROM ML.ADVANCED_WEIGHTS(MODEL tree)", sqlml.ProgrammingError, "linear_reg or logistic_reg")
