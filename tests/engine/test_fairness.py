"""ML.FAIRNESS against fairlearn's MetricFrame and scikit-learn's metrics run on ML.PREDICT's output for the same
rows, and training under a fairness constraint on penguins, where body mass differs by sex (a real group gap)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
)
from sklearn.metrics import accuracy_score, recall_score

import sqlml
from tests.engine.reference import fails


def _frame(con, sql) -> pd.DataFrame:
    cur = con.cursor()
    cur.execute(sql)
    return pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])


def _by_group(result: pd.DataFrame) -> dict:
    return {None if pd.isna(row["group"]) else row["group"]: row for _, row in result.iterrows()}


@pytest.mark.parametrize("threshold", [None, 0.3])
def test_classifier_groups_match_fairlearn(loaded, threshold):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL b OPTIONS(model_type='boosted_tree_classifier', input_label_cols=['y_bin']) "
        "AS SELECT x1, x2, flag, y_bin FROM train"
    )
    struct = "" if threshold is None else f", {threshold} AS threshold"
    result = _frame(
        loaded, f"SELECT * FROM ML.FAIRNESS(MODEL b, TABLE test, STRUCT('color' AS sensitive_feature{struct}))"
    )
    predicted = _frame(
        loaded,
        "SELECT y_bin, color, predicted_y_bin FROM ML.PREDICT(MODEL b, TABLE test"
        f"{'' if threshold is None else f', STRUCT({threshold} AS threshold)'})",
    )
    truth, guess = (predicted.y_bin == "yes").to_numpy(), (predicted.predicted_y_bin == "yes").to_numpy()
    groups = predicted.color.fillna("<null>").to_numpy()
    rate = lambda y, p: float(np.mean(p))  # noqa: E731
    fpr = lambda y, p: float(np.mean(p[~y]))  # noqa: E731
    reference = MetricFrame(
        metrics={
            "selection_rate": rate,
            "accuracy": accuracy_score,
            "true_positive_rate": recall_score,
            "false_positive_rate": fpr,
        },
        y_true=truth,
        y_pred=guess,
        sensitive_features=groups,
    )
    rows = _by_group(result)
    assert set(rows) == {"red", "green", "blue", "purple", None, "__OVERALL__"}
    for group, expected in reference.by_group.iterrows():
        row = rows[None if group == "<null>" else group]
        assert row["count"] == (groups == group).sum() and row["sensitive_feature"] == "color"
        for metric, value in expected.items():
            assert row[metric] == pytest.approx(value, abs=1e-12, nan_ok=True), (group, metric)
        assert pd.isna(row["demographic_parity_difference"])
    overall = rows["__OVERALL__"]
    assert overall["count"] == len(truth) and overall["accuracy"] == pytest.approx(accuracy_score(truth, guess))
    for name, reference_fn in [
        ("demographic_parity_difference", demographic_parity_difference),
        ("demographic_parity_ratio", demographic_parity_ratio),
        ("equalized_odds_difference", equalized_odds_difference),
        ("equalized_odds_ratio", equalized_odds_ratio),
    ]:
        assert overall[name] == pytest.approx(reference_fn(truth, guess, sensitive_features=groups), abs=1e-12)
    rates = reference.by_group["selection_rate"]
    assert overall["demographic_parity_difference"] == pytest.approx(rates.max() - rates.min())


def test_regressor_groups_are_mean_errors(loaded):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL r OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) "
        "AS SELECT x1, x2, color, y_reg FROM train"
    )
    result = _by_group(
        _frame(
            loaded,
            "SELECT * FROM ML.FAIRNESS(MODEL r, (SELECT * FROM test WHERE id < 150), "
            "STRUCT('flag' AS sensitive_feature))",
        )
    )
    predicted = _frame(
        loaded, "SELECT flag, y_reg, predicted_y_reg FROM ML.PREDICT(MODEL r, TABLE test) WHERE id < 150"
    )
    for flag, rows in predicted.groupby("flag"):
        row, error = result[str(flag).lower()], rows.predicted_y_reg - rows.y_reg
        assert row["count"] == len(rows)
        assert row["mean_prediction"] == pytest.approx(rows.predicted_y_reg.mean(), rel=1e-12)
        assert row["mean_error"] == pytest.approx(error.mean(), rel=1e-9)
        assert row["mean_absolute_error"] == pytest.approx(error.abs().mean(), rel=1e-12)
    assert result["__OVERALL__"]["count"] == 150 and pd.isna(result["__OVERALL__"]["demographic_parity_ratio"])


PENGUINS = (
    "CREATE TABLE p AS SELECT *, body_mass_g > 4050 AS heavy FROM "
    "read_csv('sql_examples/data/penguins.csv', nullstr = 'NA') WHERE sex IS NOT NULL AND body_mass_g IS NOT NULL"
)


def _disparity(con, model: str) -> float:
    """fairlearn's demographic parity difference of the model's predictions for the penguins."""
    rows = _frame(con, f"SELECT sex, heavy, predicted_heavy FROM ML.PREDICT(MODEL {model}, TABLE p)")
    return demographic_parity_difference(rows.heavy, rows.predicted_heavy, sensitive_features=rows.sex)


@pytest.mark.parametrize("model_type", ["logistic_reg", "boosted_tree_classifier"])
def test_demographic_parity_constraint_reduces_the_gap(con, model_type):
    cur = con.cursor()
    cur.execute(PENGUINS)
    features = "bill_length_mm, bill_depth_mm, flipper_length_mm, species, island"
    cur.execute(
        f"CREATE MODEL plain OPTIONS(model_type='{model_type}', input_label_cols=['heavy'], "
        f"data_split_method='NO_SPLIT') AS SELECT {features}, heavy FROM p"
    )
    cur.execute(
        f"CREATE MODEL fair OPTIONS(model_type='{model_type}', input_label_cols=['heavy'], "
        "data_split_method='NO_SPLIT', fairness_constraint='demographic_parity', sensitive_feature='sex') "
        f"AS SELECT {features}, heavy, sex FROM p"
    )
    before, after = _disparity(con, "plain"), _disparity(con, "fair")
    assert before > 0.1 and after < 0.75 * before, (before, after)
    reported = _by_group(
        _frame(con, "SELECT * FROM ML.FAIRNESS(MODEL fair, TABLE p, STRUCT('sex' AS sensitive_feature))")
    )["__OVERALL__"]
    assert reported["demographic_parity_difference"] == pytest.approx(after, abs=1e-12)
    # sex served the constraint only: the model does not read it
    inputs = [r[0] for r in cur.execute("SELECT input FROM ML.FEATURE_INFO(MODEL fair)").fetchall()]
    assert sorted(inputs) == sorted(features.split(", "))
    assert (
        cur.execute("SELECT count(*) FROM ML.PREDICT(MODEL fair, (SELECT * EXCLUDE (sex) FROM p))").fetchone()[0] == 333
    )


def test_bad_fairness_inputs(loaded):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL b OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin']) "
        "AS SELECT x1, x2, color, y_bin FROM train"
    )
    cur.execute(
        "CREATE MODEL m OPTIONS(model_type='logistic_reg', input_label_cols=['y_multi']) "
        "AS SELECT x1, x2, y_multi FROM train"
    )
    cur.execute("CREATE MODEL k OPTIONS(model_type='kmeans', num_clusters=2) AS SELECT x1, x2 FROM train")
    for sql, error, fragments in [
        (
            "SELECT * FROM ML.FAIRNESS(MODEL b, TABLE test, STRUCT('colour' AS sensitive_feature))",
            sqlml.ProgrammingError,
            ["sensitive_feature 'colour' is not a column of the input", "color"],
        ),
        ("SELECT * FROM ML.FAIRNESS(MODEL b, TABLE test)", sqlml.ProgrammingError, ["sensitive_feature"]),
        (
            "SELECT * FROM ML.FAIRNESS(MODEL b, STRUCT('color' AS sensitive_feature))",
            sqlml.ProgrammingError,
            ["needs input data"],
        ),
        (
            "SELECT * FROM ML.FAIRNESS(MODEL b, TABLE test, STRUCT('color' AS sensitive_feature, 2.0 AS threshold))",
            sqlml.ProgrammingError,
            ["threshold"],
        ),
        (
            "SELECT * FROM ML.FAIRNESS(MODEL b, (SELECT * EXCLUDE (y_bin) FROM test), STRUCT('color' AS "
            "sensitive_feature))",
            sqlml.ProgrammingError,
            ["no label column 'y_bin'"],
        ),
        (
            "SELECT * FROM ML.FAIRNESS(MODEL m, TABLE test, STRUCT('color' AS sensitive_feature))",
            sqlml.NotSupportedError,
            ["binary classifier or a regressor", "3-class"],
        ),
        (
            "SELECT * FROM ML.FAIRNESS(MODEL k, TABLE test, STRUCT('color' AS sensitive_feature))",
            sqlml.NotSupportedError,
            ["kmeans"],
        ),
        (
            "CREATE MODEL f OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin'], "
            "fairness_constraint='demographic_parity', sensitive_feature='colour') AS SELECT x1, color, y_bin FROM train",
            sqlml.ProgrammingError,
            ["sensitive_feature 'colour' is not in the training query's columns"],
        ),
        (
            "CREATE MODEL f OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin'], "
            "fairness_constraint='demographic_parity') AS SELECT x1, color, y_bin FROM train",
            sqlml.ProgrammingError,
            ["fairness_constraint and sensitive_feature go together"],
        ),
        (
            "CREATE MODEL f OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin'], "
            "fairness_constraint='parity', sensitive_feature='color') AS SELECT x1, color, y_bin FROM train",
            sqlml.ProgrammingError,
            ["fairness_constraint", "DEMOGRAPHIC_PARITY"],
        ),
        (
            "CREATE MODEL f OPTIONS(model_type='logistic_reg', input_label_cols=['y_multi'], "
            "fairness_constraint='equalized_odds', sensitive_feature='color') AS SELECT x1, color, y_multi FROM train",
            sqlml.NotSupportedError,
            ["binary label", "3 classes"],
        ),
        (
            "CREATE MODEL f OPTIONS(model_type='linear_reg', input_label_cols=['y_reg'], "
            "fairness_constraint='equalized_odds', sensitive_feature='color') AS SELECT x1, color, y_reg FROM train",
            sqlml.ProgrammingError,
            ["unknown option 'fairness_constraint'"],
        ),
        (
            "CREATE MODEL f OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin'], num_trials=3, "
            "l2_reg=HPARAM_RANGE(0, 1), fairness_constraint='demographic_parity', sensitive_feature='color') "
            "AS SELECT x1, color, y_bin FROM train",
            sqlml.ProgrammingError,
            ["num_trials"],
        ),
    ]:
        fails(loaded, sql, error, *fragments)


def _rate(hits: np.ndarray) -> float | None:
    return float(hits.mean()) if len(hits) else None


def test_undefined_rates_are_null_and_left_out_of_equalized_odds(loaded):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL b OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin']) "
        "AS SELECT x1, x2, flag, y_bin FROM train"
    )
    # group 'pos' has only positive rows (no false positive rate), 'neg' only negative ones (no true positive rate)
    query = (
        "(SELECT *, CASE WHEN id % 4 = 0 THEN (CASE WHEN y_bin = 'yes' THEN 'pos' ELSE 'neg' END) "
        "ELSE color END AS g FROM test)"
    )
    rows = _by_group(_frame(loaded, f"SELECT * FROM ML.FAIRNESS(MODEL b, {query}, STRUCT('g' AS sensitive_feature))"))
    predicted = _frame(
        loaded, f"SELECT y_bin, g, predicted_y_bin FROM ML.PREDICT(MODEL b, {query}) WHERE y_bin IS NOT NULL"
    )
    truth, guess = (predicted.y_bin == "yes").to_numpy(), (predicted.predicted_y_bin == "yes").to_numpy()
    groups = predicted.g.fillna("<null>").to_numpy()
    tprs, fprs = {}, {}
    for group in pd.unique(groups):
        member = groups == group
        tprs[group], fprs[group] = _rate(guess[member & truth]), _rate(guess[member & ~truth])
        row = rows[None if group == "<null>" else group]
        for name, expected in [("true_positive_rate", tprs[group]), ("false_positive_rate", fprs[group])]:
            assert pd.isna(row[name]) if expected is None else row[name] == pytest.approx(expected), (group, name)
    assert tprs["neg"] is None and fprs["pos"] is None
    defined = [np.array([v for v in rates.values() if v is not None]) for rates in (tprs, fprs)]
    overall = rows["__OVERALL__"]
    assert overall["equalized_odds_difference"] == pytest.approx(max(r.max() - r.min() for r in defined))
    assert overall["equalized_odds_ratio"] == pytest.approx(min(r.min() / r.max() for r in defined))


def test_transform_model_with_sensitive_feature(con):
    """The groups come from the query's rows: a TRANSFORM model trains as the same model without TRANSFORM,
    and the sensitive column is never one of its inputs."""
    cur = con.cursor()
    cur.execute(PENGUINS)
    fair = (
        "OPTIONS(model_type='logistic_reg', input_label_cols=['heavy'], data_split_method='NO_SPLIT', "
        "fairness_constraint='equalized_odds', sensitive_feature='sex')"
    )
    query = "AS SELECT bill_length_mm, species, heavy, sex FROM p"
    cur.execute(f"CREATE MODEL plain {fair} {query}")
    for name, items in [("listed", "bill_length_mm, species, heavy"), ("star", "*"), ("star_except", "* EXCEPT (sex)")]:
        cur.execute(f"CREATE MODEL {name} TRANSFORM({items}) {fair} {query}")
        inputs = [r[0] for r in cur.execute(f"SELECT input FROM ML.FEATURE_INFO(MODEL {name})").fetchall()]
        assert sorted(inputs) == ["bill_length_mm", "species"], name
        got = _frame(
            con,
            f"SELECT predicted_heavy_probs FROM ML.PREDICT(MODEL {name}, (SELECT * EXCLUDE (sex) FROM p ORDER BY ALL))",
        )
        expected = _frame(
            con,
            "SELECT predicted_heavy_probs FROM ML.PREDICT(MODEL plain, (SELECT * EXCLUDE (sex) FROM p ORDER BY ALL))",
        )
        assert got.equals(expected), name
    for items in ["bill_length_mm, sex, heavy", "bill_length_mm, sex = 'male' AS male, heavy"]:
        fails(
            con,
            f"CREATE MODEL t TRANSFORM({items}) {fair} {query}",
            sqlml.ProgrammingError,
            "sensitive_feature 'sex'",
            "TRANSFORM",
        )


def test_bad_sensitive_feature_values(loaded):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL b OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin']) "
        "AS SELECT x1, x2, y_bin FROM train"
    )
    cur.execute(
        "CREATE MODEL t TRANSFORM(x1, x2, y_bin) OPTIONS(model_type='logistic_reg', "
        "input_label_cols=['y_bin']) AS SELECT x1, x2, y_bin FROM train"
    )
    fair = (
        "CREATE MODEL f OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin'], "
        "fairness_constraint='demographic_parity', sensitive_feature='g') AS SELECT x1, x2, y_bin, {} AS g "
        "FROM train"
    )
    for sql, error, fragments in [
        (fair.format("'one'"), sqlml.DataError, ["sensitive_feature 'g'", "at least 2 groups"]),
        (fair.format("CAST(NULL AS VARCHAR)"), sqlml.DataError, ["sensitive_feature 'g'", "at least 2 groups"]),
        (fair.format("{'a': x1}"), sqlml.ProgrammingError, ["sensitive_feature 'g'", "has type STRUCT(a DOUBLE)"]),
        (fair.format("[x1]"), sqlml.ProgrammingError, ["sensitive_feature 'g'", "has type DOUBLE[]"]),
        (
            "SELECT * FROM ML.FAIRNESS(MODEL b, (SELECT *, {'a': x1} AS s FROM test), STRUCT('s' AS sensitive_feature))",
            sqlml.ProgrammingError,
            ["sensitive_feature 's'", "has type STRUCT(a DOUBLE)"],
        ),
        (
            "SELECT * FROM ML.FAIRNESS(MODEL b, (SELECT *, [color] AS s FROM test), STRUCT('s' AS sensitive_feature))",
            sqlml.ProgrammingError,
            ["sensitive_feature 's'", "has type VARCHAR[]"],
        ),
        (
            "CREATE MODEL f OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin'], fairness_grid_size=5) "
            "AS SELECT x1, y_bin FROM train",
            sqlml.ProgrammingError,
            ["fairness_grid_size", "fairness_constraint"],
        ),
        (
            "CREATE MODEL f OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin'], "
            "fairness_constraint='demographic_parity', sensitive_feature='Y_BIN') AS SELECT x1, y_bin FROM train",
            sqlml.ProgrammingError,
            ["sensitive_feature", "label"],
        ),
    ]:
        fails(loaded, sql, error, *fragments)
    message = str(
        fails(
            loaded,
            "SELECT * FROM ML.FAIRNESS(MODEL t, TABLE test, STRUCT('colour' AS sensitive_feature))",
            sqlml.ProgrammingError,
            "'colour' is not a column",
            "color",
        )
    )
    assert "__sqlml" not in message, message
