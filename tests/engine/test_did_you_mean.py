"""A mistyped name gets the closest known one suggested (issue 19, item 7); a name close to nothing gets none."""

from __future__ import annotations

import pytest

import sqlml


@pytest.mark.parametrize(
    "typed, suggested",
    [
        ("PREDICTT", "ML.PREDICT"),
        ("EVALUTE", "ML.EVALUATE"),
        ("explain_prediction", "ML.EXPLAIN_PREDICT"),
        ("FOO", None),
    ],
)
def test_an_unknown_ml_function(con, typed, suggested):
    with pytest.raises(sqlml.ProgrammingError, match=f"unknown function ML.{typed.upper()}") as caught:
        con.execute(f"SELECT * FROM ML.{typed}(MODEL m, TABLE t)")
    hint = f'Did you mean "{suggested}"?' if suggested else "Did you mean"
    assert (hint in str(caught.value)) == (suggested is not None)


@pytest.fixture
def trained(con):
    con.execute("CREATE TABLE t AS SELECT range::DOUBLE AS flipper_length, range % 2 = 0 AS heavy FROM range(40)")
    con.execute("CREATE MODEL m OPTIONS(model_type='logistic_reg', input_label_cols=['heavy']) AS SELECT * FROM t")
    return con


@pytest.mark.parametrize(
    "options, message",
    [
        (
            "model_type='logistic_regression', input_label_cols=['heavy']",
            "unknown model_type 'logistic_regression'. Did you mean \"logistic_reg\"?",
        ),
        ("model_type='kmean'", 'Did you mean "kmeans"?'),
        (
            "model_type='logistic_reg', input_label_col=['heavy']",
            "unknown option 'input_label_col' for model_type logistic_reg. Did you mean \"input_label_cols\"?",
        ),
        ("model_type='logistic_reg', input_label_cols=['heavy'], l2reg=1", 'Did you mean "l2_reg"?'),
        (
            "model_type='logistic_reg', input_label_cols=['hevy']",
            "label column 'hevy' is not in the training query's columns (flipper_length, heavy). Did you mean \"heavy\"?",
        ),
        ("model_type='no_such_thing'", None),
    ],
)
def test_a_mistyped_option_model_type_or_label(trained, options, message):
    before = trained.execute("SELECT * FROM sqlml.model_versions ORDER BY ALL").fetchall()
    with pytest.raises(sqlml.ProgrammingError) as caught:
        trained.execute(f"CREATE MODEL m2 OPTIONS({options}) AS SELECT * FROM t")
    assert message in str(caught.value) if message else "Did you mean" not in str(caught.value)
    assert trained.execute("SELECT * FROM sqlml.model_versions ORDER BY ALL").fetchall() == before


def test_a_mistyped_feature_column_of_the_input(trained):
    with pytest.raises(
        sqlml.ProgrammingError, match="missing feature column\\(s\\) 'flipper_length'.* Did you mean \"flipper_lenght\""
    ):
        trained.execute("SELECT * FROM ML.PREDICT(MODEL m, (SELECT flipper_length AS flipper_lenght FROM t))")
