"""BigQuery ML options that concern every model type: the Google Cloud ones, refused with their reason,
and enable_global_explain, which ML.GLOBAL_EXPLAIN requires as BigQuery ML does.

Pages: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-random-forest
(kms_key_name, model_registry, vertex_ai_model_id, vertex_ai_model_version_aliases),
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-alter-model (kms_key_name,
vertex_ai_model_id) and, for ENABLE_GLOBAL_EXPLAIN ("This option must be TRUE if you want to use the
ML.GLOBAL_EXPLAIN function"),
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-boosted-tree
"""

from __future__ import annotations

import pytest

import sqlml
from sqlml.engine.families import FAMILIES
from tests.engine.reference import fails

CLOUD = {
    "kms_key_name": "'projects/p/locations/us/keyRings/r/cryptoKeys/k'",
    "model_registry": "'VERTEX_AI'",
    "vertex_ai_model_id": "'my_model'",
    "vertex_ai_model_version_aliases": "['prod']",
}
EXPLAINED = [name for name, family in FAMILIES.items() if "enable_global_explain" in family.options]


@pytest.mark.parametrize("model_type", [name for name in FAMILIES if name != "onnx"])
@pytest.mark.parametrize("option", list(CLOUD))
def test_google_cloud_options_are_refused_for_every_model_type(loaded, model_type, option):
    label = "" if FAMILIES[model_type].task in ("clustering", "dimensionality_reduction") else ", y_reg"
    fails(
        loaded,
        f"CREATE MODEL m OPTIONS(model_type='{model_type}', {option} = {CLOUD[option]}) AS SELECT x1{label} FROM train",
        sqlml.NotSupportedError,
        f"OPTIONS: {option} is a Google Cloud option",
        "DuckDB file" if option == "kms_key_name" else "Vertex AI",
    )


@pytest.mark.parametrize("option", ["kms_key_name", "vertex_ai_model_id"])
def test_alter_model_refuses_google_cloud_options(loaded, option):
    loaded.cursor().execute(
        "CREATE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) AS SELECT x1, y_reg FROM train"
    )
    fails(loaded, f"ALTER MODEL m SET OPTIONS({option} = {CLOUD[option]})", sqlml.NotSupportedError, option, "Google")


def test_enable_global_explain_is_taken_by_the_model_types_bigquery_documents_it_for():
    assert sorted(EXPLAINED) == sorted(
        [
            "linear_reg",
            "logistic_reg",
            "boosted_tree_regressor",
            "boosted_tree_classifier",
            "random_forest_regressor",
            "random_forest_classifier",
            "dnn_regressor",
            "dnn_classifier",
            # https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-wnd-models
            "dnn_linear_combined_regressor",
            "dnn_linear_combined_classifier",
        ]
    )


@pytest.mark.parametrize("model_type", ["linear_reg", "boosted_tree_regressor", "random_forest_regressor"])
def test_global_explain_needs_enable_global_explain(loaded, model_type):
    cur = loaded.cursor()
    training = "SELECT x1, x2, y_reg FROM train"
    cur.execute(f"CREATE MODEL off OPTIONS(model_type='{model_type}', input_label_cols=['y_reg']) AS {training}")
    fails(
        loaded,
        "SELECT * FROM ML.GLOBAL_EXPLAIN(MODEL off)",
        sqlml.ProgrammingError,
        "enable_global_explain = TRUE",
        "main.off",
    )
    cur.execute(
        f"CREATE MODEL on_ OPTIONS(model_type='{model_type}', input_label_cols=['y_reg'], "
        f"enable_global_explain=TRUE) AS {training}"
    )
    cur.execute("SELECT feature FROM ML.GLOBAL_EXPLAIN(MODEL on_) ORDER BY feature")
    assert cur.fetchall() == [("x1",), ("x2",)]
    # ML.EXPLAIN_PREDICT (local explanations) needs no option, in BigQuery ML as here
    cur.execute("SELECT count(*) FROM ML.EXPLAIN_PREDICT(MODEL off, (FROM test LIMIT 3))")
    assert cur.fetchone() == (3,)


def test_enable_global_explain_must_be_a_bool(loaded):
    fails(
        loaded,
        "CREATE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y_reg'], enable_global_explain='yes') "
        "AS SELECT x1, y_reg FROM train",
        sqlml.ProgrammingError,
        "enable_global_explain must be TRUE or FALSE",
    )
