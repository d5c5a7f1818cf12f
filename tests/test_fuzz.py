"""Fuzzing: mutated ML statements raise only sqlml.Error subclasses other than InternalError (which would mean
sqlml met an exception it did not expect), never anything else, and never hang. Each example runs on a fresh
copy of one database file whose models are trained once.

Bounded for CI (SQLML_FUZZ_EXAMPLES, default 150 examples); a longer run on demand:
    SQLML_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sqlml

SEEDS = [
    "CREATE MODEL m2 OPTIONS(model_type='linear_reg', input_label_cols=['y'], l2_reg=0.5) AS SELECT x, c, y FROM t",
    "CREATE OR REPLACE MODEL m OPTIONS(model_type='boosted_tree_classifier', input_label_cols=['k'], "
    "max_iterations=3) AS SELECT x, c, k FROM t",
    "CREATE MODEL IF NOT EXISTS r OPTIONS(model_type='random_forest_regressor', input_label_cols=['y'], "
    "num_parallel_tree=3, data_split_method='RANDOM', data_split_eval_fraction=0.3) AS SELECT * EXCLUDE (k) FROM t",
    "SELECT * FROM ML.PREDICT(MODEL m, TABLE t, STRUCT(0.4 AS threshold)) WHERE x > 0.5 ORDER BY x LIMIT 3",
    "SELECT * FROM ML.CONFUSION_MATRIX(MODEL m, TABLE t, STRUCT(0.4 AS threshold))",
    "SELECT * FROM ML.ROC_CURVE(MODEL m, TABLE t, GENERATE_ARRAY(0.1, 0.9, 0.2))",
    "SELECT feature, importance_gain FROM ML.FEATURE_IMPORTANCE(MODEL m) ORDER BY 2 DESC",
    "ALTER MODEL m SET ACTIVE VERSION 1",
    "ALTER MODEL IF EXISTS m SET OPTIONS(description='fuzz', labels=[('k', 'v')])",
    "SELECT version, active FROM ML.VERSIONS(MODEL m)",
    "SELECT input, mean, null_count FROM ML.FEATURE_INFO(MODEL m2)",
    "SELECT * FROM ML.WEIGHTS(MODEL m2, STRUCT(TRUE AS standardize))",
    "SELECT predicted_k, top_feature_attributions FROM ML.EXPLAIN_PREDICT(MODEL m, TABLE t, STRUCT(2 AS top_k_features))",
    "SELECT c, count(*) FROM ML.PREDICT(MODEL lin, (SELECT * FROM t WHERE c = 'a')) AS p GROUP BY c",
    "WITH p AS (SELECT * FROM ML.PREDICT(MODEL lin, TABLE t)) SELECT avg(predicted_y) FROM p JOIN t USING (x)",
    "SELECT * FROM ML.EVALUATE(MODEL m)",
    "SELECT * FROM ML.EVALUATE(MODEL lin, (SELECT x, c, y FROM t))",
    "DROP MODEL IF EXISTS lin",
    "DESCRIBE MODEL m",
    "SHOW MODELS",
    "EXPORT MODEL m OPTIONS(uri='/nonexistent_sqlml/never.onnx')",
    "CREATE OR REPLACE MODEL tr TRANSFORM(ML.STANDARD_SCALER(x) OVER () AS xs, ML.LABEL_ENCODER(c, 5, 1) OVER () AS "
    "ce, ML.BUCKETIZE(x, [0.2, 0.8]) AS xb, y) OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS FROM t",
    "SELECT * FROM ML.TRANSFORM(MODEL tr, TABLE t)",
    "CREATE OR REPLACE MODEL km OPTIONS(model_type='kmeans', num_clusters=3, distance_type='COSINE') AS "
    "SELECT x, c FROM t",
    "SELECT centroid_id, nearest_centroids_distance FROM ML.PREDICT(MODEL km, TABLE t)",
    "CREATE OR REPLACE MODEL tu OPTIONS(model_type='linear_reg', input_label_cols=['y'], num_trials=3, "
    "l2_reg=HPARAM_RANGE(0, 2), l1_reg=HPARAM_CANDIDATES([0, 1])) AS SELECT x, c, y FROM t",
    "SELECT * FROM ML.TRIAL_INFO(MODEL tu)",
    "SELECT * FROM ML.PREDICT(MODEL tu, TABLE t, STRUCT(2 AS trial_id))",
    "CREATE OR REPLACE MODEL pc OPTIONS(model_type='pca', num_principal_components=1) AS SELECT x, c FROM t",
    "CREATE OR REPLACE MODEL nn OPTIONS(model_type='dnn_regressor', input_label_cols=['y'], hidden_units=[4]) AS "
    "SELECT x, c, y FROM t",
]
PIECES = [
    "(",
    ")",
    ",",
    ";",
    "'",
    '"',
    "`",
    ".",
    "=",
    "*",
    "[",
    "]",
    "ML",
    "ML.PREDICT",
    "ML.EVALUATE",
    "ML.TRANSFORM",
    "ML.STANDARD_SCALER(",
    "OVER ()",
    "TRANSFORM(",
    "HPARAM_RANGE(",
    "HPARAM_CANDIDATES([",
    "num_trials=",
    "trial_id",
    "MODEL",
    "TABLE",
    "STRUCT",
    "OPTIONS",
    "AS",
    "SELECT",
    "FROM",
    "WHERE",
    "NULL",
    "TRUE",
    "-1",
    "0",
    "2.5",
    "1e308",
    "'nan'",
    "'x'",
    "x",
    "y",
    "c",
    "k",
    "t",
    "m",
    "lin",
    "threshold",
    "model_type",
    "input_label_cols",
    "VERSION",
    "OR REPLACE",
    "IF NOT EXISTS",
    "TRANSFORM(x)",
    "--",
    "/*",
    "é",
    "\u00a0",
    "$1",
    "?",
    "::DOUBLE",
]


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        cut = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "duplicate", "replace"]))
        end = min(len(text), cut + draw(st.integers(1, 12)))
        if kind == "insert":
            text = f"{text[:cut]} {draw(st.sampled_from(PIECES))} {text[cut:]}"
        elif kind == "delete":
            text = text[:cut] + text[end:]
        elif kind == "duplicate":
            text = text[:end] + text[cut:end] + text[end:]
        else:
            text = f"{text[:cut]}{draw(st.sampled_from(PIECES))}{text[end:]}"
    return text


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Iterator[Path]:
    """A database file holding table t and models lin and m, trained once for every example; the examples
    run in its directory (where an EXPORT MODEL to a relative uri writes)."""
    directory = tmp_path_factory.mktemp("fuzz")
    path = directory / "seeded.duckdb"
    with sqlml.connect(str(path)) as con:
        cur = con.cursor()
        cur.execute(
            "CREATE TABLE t AS SELECT random() AS x, ['a', 'b', NULL][range % 3 + 1] AS c, "
            "random() AS y, range % 2 = 0 AS k FROM range(60)"
        )
        cur.execute(
            "CREATE MODEL lin OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS SELECT x, c, y FROM t"
        )
        cur.execute(
            "CREATE MODEL m OPTIONS(model_type='logistic_reg', input_label_cols=['k']) AS SELECT x, c, k FROM t"
        )
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(directory)
        yield path


def _fresh_copy(seeded: Path) -> Path:
    """A copy of the seeded file, in place of the previous example's (and of any log it left)."""
    work = seeded.with_name("work.duckdb")
    for stale in (work, work.with_name(work.name + ".wal")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(seeded, work)
    return work


# no deadline: Hypothesis measures an example's time only after it ends, so one would catch no hang, only a
# slow machine
@settings(
    max_examples=int(os.environ.get("SQLML_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(statement=mutated())
def test_mutated_statements_raise_only_sqlml_errors(seeded, statement):
    with sqlml.connect(str(_fresh_copy(seeded))) as con:
        cur = con.cursor()
        try:
            cur.execute(statement)
            if cur.description is not None:
                cur.fetchall()
        except sqlml.InternalError:
            raise  # sqlml met an exception it did not expect: a bug, even though it arrives as sqlml.Error
        except sqlml.Error:
            pass  # any other sqlml (PEP 249) error is an acceptable answer to a broken statement
        cur.execute("SELECT count(*) FROM t")  # the connection is still usable afterwards
        assert cur.fetchone() == (60,)
