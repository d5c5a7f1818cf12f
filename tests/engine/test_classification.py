"""ML.CONFUSION_MATRIX and ML.ROC_CURVE against scikit-learn's confusion_matrix on ML.PREDICT's output for
the same rows (the evaluation split, chosen with a CUSTOM split column, or rows given)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix

import sqlml
from tests.engine.reference import fails

SPLIT = "CREATE OR REPLACE TABLE split AS SELECT *, id % 4 = 0 AS is_eval FROM train"


def _rows(con, sql):
    cur = con.cursor()
    cur.execute(sql)
    return cur.fetchall(), [d[0] for d in cur.description]


@pytest.mark.parametrize("label, threshold", [("y_multi", None), ("y_bin", None), ("y_bin", 0.3)])
def test_confusion_matrix_of_the_evaluation_split(loaded, label, threshold):
    cur = loaded.cursor()
    cur.execute(SPLIT)
    cur.execute(
        f"CREATE MODEL c OPTIONS(model_type='logistic_reg', input_label_cols=['{label}'], "
        "data_split_method='CUSTOM', data_split_col='is_eval') AS SELECT x1, x2, color, flag, "
        f"{label}, is_eval FROM split"
    )
    struct = "" if threshold is None else f", STRUCT({threshold} AS threshold)"
    rows, columns = _rows(loaded, f"SELECT * FROM ML.CONFUSION_MATRIX(MODEL c{struct})")
    predicted, _ = _rows(
        loaded,
        f"SELECT {label}, predicted_{label} FROM ML.PREDICT(MODEL c, (SELECT * FROM split WHERE is_eval){struct})",
    )
    classes = sorted({r[0] for r in predicted} | {r[1] for r in predicted})
    expected = confusion_matrix([r[0] for r in predicted], [r[1] for r in predicted], labels=classes)
    assert columns[0] == "expected_label" and [r[0] for r in rows] == classes
    assert columns[1:] == [c if isinstance(c, str) else f"_{c}" for c in classes]
    assert np.array([r[1:] for r in rows]).tolist() == expected.tolist()


def test_roc_curve_on_given_rows(loaded):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL b OPTIONS(model_type='boosted_tree_classifier', input_label_cols=['y_bin']) "
        "AS SELECT x1, x2, color, flag, y_bin FROM train"
    )
    predicted, _ = _rows(loaded, "SELECT y_bin, predicted_y_bin_probs[2].prob FROM ML.PREDICT(MODEL b, TABLE test)")
    truth = np.array([r[0] == "yes" for r in predicted])
    score = np.array([r[1] for r in predicted])
    for values, thresholds in (
        ("GENERATE_ARRAY(0.1, 0.9, 0.2)", [0.1, 0.3, 0.5, 0.7, 0.9]),
        ("[0.8, 0.25]", [0.25, 0.8]),
        ("", [t for t in np.unique(np.percentile(score, np.arange(100))) if t < score.max()]),
    ):
        rows, columns = _rows(
            loaded, f"SELECT * FROM ML.ROC_CURVE(MODEL b, TABLE test{', ' + values if values else ''})"
        )
        assert columns == [
            "threshold",
            "recall",
            "false_positive_rate",
            "true_positives",
            "false_positives",
            "true_negatives",
            "false_negatives",
        ]
        np.testing.assert_allclose([r[0] for r in rows], thresholds, rtol=1e-12)
        for t, recall, fpr, tp, fp, tn, fn in rows:
            (tn_, fp_), (fn_, tp_) = confusion_matrix(truth, score > t, labels=[False, True])
            assert (tp, fp, tn, fn) == (tp_, fp_, tn_, fn_)
            assert recall == pytest.approx(tp_ / (tp_ + fn_)) and fpr == pytest.approx(fp_ / (fp_ + tn_))


BAD = [
    ("SELECT * FROM ML.ROC_CURVE(MODEL multi)", sqlml.ProgrammingError, ["binary classifier", "3 classes"]),
    (
        "SELECT * FROM ML.CONFUSION_MATRIX(MODEL reg)",
        sqlml.NotSupportedError,
        ["takes classification models", "linear_reg"],
    ),
    (
        "SELECT * FROM ML.PREDICT(MODEL multi, TABLE test, [0.5])",
        sqlml.ProgrammingError,
        ["ML.PREDICT takes no list", "ML.ROC_CURVE"],
    ),
    ("SELECT * FROM ML.ROC_CURVE(MODEL bin, GENERATE_ARRAY(0, 1, 0))", sqlml.ProgrammingError, ["step other than 0"]),
    ("SELECT * FROM ML.ROC_CURVE(MODEL bin, ['a'])", sqlml.ProgrammingError, ["number literals"]),
    (
        "SELECT * FROM ML.ROC_CURVE(MODEL bin, (SELECT x1, x2, color, flag FROM test))",
        sqlml.ProgrammingError,
        ["ML.ROC_CURVE input has no label column 'y_bin'"],
    ),
    ("SELECT * FROM ML.ROC_CURVE(MODEL bin, 5)", sqlml.SqlSyntaxError, ["list of values"]),
]


@pytest.mark.parametrize("sql, error, fragments", BAD, ids=range(len(BAD)))
def test_bad_curves(loaded, sql, error, fragments):
    cur = loaded.cursor()
    for name, label, kind in (
        ("multi", "y_multi", "logistic_reg"),
        ("bin", "y_bin", "logistic_reg"),
        ("reg", "y_reg", "linear_reg"),
    ):
        cur.execute(
            f"CREATE MODEL {name} OPTIONS(model_type='{kind}', input_label_cols=['{label}']) "
            f"AS SELECT x1, x2, color, flag, {label} FROM train"
        )
    fails(loaded, sql, error, *fragments)
