"""CREATE MODEL of boosted trees on the 2-worker Dask cluster (sqlml/cluster/training.py): the cluster model
measured against the same CREATE MODEL with compute='LOCAL' and against LightGBM called directly; its
preprocessing against the local model's; the version used like any other; bad input and a worker killed
mid-training leaving the catalog as it was.

BigQuery ML's boosted tree options: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-boosted-tree
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading

import lightgbm as lgb
import numpy as np
import pytest
from sklearn import metrics as skm

import sqlml
from sqlml.cluster.training import TOPIC

TRAIN_ROWS, TEST_ROWS = 6000, 3000
# x1, x2, x3 in [0, 1) from a multiplicative hash of the row number; s a category with NULLs
ROWS = """
CREATE TABLE {name} AS
SELECT x1, x2, x3, s,
       (x1 + x2 + CASE s WHEN 'a' THEN 0.25 ELSE 0 END > 1.1) AS y_bin,
       CASE WHEN x1 + x2 < 0.8 THEN 'low' WHEN x1 + x2 < 1.2 THEN 'mid' ELSE 'high' END AS y_multi,
       3 * x1 + x2 * x2 - x3 + CASE s WHEN 'b' THEN 0.5 ELSE 0 END AS y_reg
FROM (SELECT ((i * 7919) % 10007) / 10007.0 AS x1, ((i * 104729) % 10009) / 10009.0 AS x2,
             ((i * 1299709) % 10037) / 10037.0 AS x3,
             CASE WHEN i % 7 = 0 THEN NULL ELSE ['a', 'b', 'c'][1 + (i * 31) % 3] END AS s
      FROM range({start}, {stop}) r(i))
"""
TREES = "max_iterations = 20, learn_rate = 0.3, max_tree_depth = 6, early_stop = FALSE, data_split_method = 'NO_SPLIT'"


def _tables(con) -> None:
    cur = con.cursor()
    cur.execute(ROWS.format(name="train", start=0, stop=TRAIN_ROWS))
    cur.execute(ROWS.format(name="holdout", start=TRAIN_ROWS, stop=TRAIN_ROWS + TEST_ROWS))


def _create(con, name: str, model_type: str, label: str, compute: str, columns: str = "x1, x2, x3, s") -> None:
    con.cursor().execute(
        f"CREATE OR REPLACE MODEL {name} OPTIONS(model_type = '{model_type}', input_label_cols = ['{label}'], "
        f"{TREES}, compute = '{compute}') AS SELECT {columns}, {label} FROM train"
    )


def _version(con, name: str) -> dict:
    cur = con.cursor()
    cur.execute(
        "SELECT features, transform, compute, training_rows, eval_rows, data_fingerprint, dropped_rows "
        "FROM sqlml.model_versions "
        "v JOIN sqlml.models m USING (schema_name, model_name) WHERE model_name = ? AND version = m.active_version",
        [name],
    )
    features, transform, compute, training_rows, eval_rows, fingerprint, dropped = cur.fetchone()
    return {
        "features": json.loads(features),
        "transform": transform and json.loads(transform),
        "compute": compute and json.loads(compute),
        "training_rows": training_rows,
        "eval_rows": eval_rows,
        "fingerprint": fingerprint,
        "dropped_rows": dropped,
    }


def _lightgbm_directly(con, label: str, objective: str) -> float:
    """LightGBM's own fit on the numeric columns (BigQuery ML's defaults as boosted_tree.py maps them),
    measured on the holdout rows: accuracy, or r2 for a regression."""
    cur = con.cursor()
    cur.execute("SELECT DISTINCT y_multi FROM train ORDER BY 1")
    names = [c for (c,) in cur.fetchall()]

    def rows(table: str):
        cur.execute(f"SELECT x1, x2, x3, {label} FROM {table}")
        data = cur.fetchall()
        X = np.array([r[:3] for r in data], dtype=np.float64)
        y = [r[3] for r in data]
        return X, np.array([names.index(v) for v in y] if label == "y_multi" else y, dtype=np.float64)

    X, y = rows("train")
    params = {"objective": objective, "learning_rate": 0.3, "max_depth": 6, "num_leaves": 64, "lambda_l2": 1.0}
    params |= {"min_data_in_leaf": 1, "min_sum_hessian_in_leaf": 1, "verbosity": -1, "seed": 0}
    params |= {"num_class": 3} if objective == "multiclass" else {}
    booster = lgb.train(params, lgb.Dataset(X, y), 20)
    X_test, y_test = rows("holdout")
    scores = booster.predict(X_test)
    if objective == "regression":
        return skm.r2_score(y_test, scores)
    predicted = scores.argmax(axis=1) if objective == "multiclass" else scores > 0.5
    return skm.accuracy_score(y_test, predicted)


@pytest.mark.parametrize(
    ("model_type", "label", "objective", "metric"),
    [
        ("boosted_tree_classifier", "y_bin", "binary", "accuracy"),
        ("boosted_tree_classifier", "y_multi", "multiclass", "accuracy"),
        ("boosted_tree_regressor", "y_reg", "regression", "r2_score"),
    ],
)
def test_the_cluster_model_scores_as_the_local_one_and_lightgbm(cluster_con, model_type, label, objective, metric):
    _tables(cluster_con)
    measured = {}
    for compute in ("LOCAL", "CLUSTER"):
        _create(cluster_con, f"m_{compute}", model_type, label, compute, "x1, x2, x3")
        cur = cluster_con.cursor()
        cur.execute(f"SELECT {metric} FROM ML.EVALUATE(MODEL m_{compute}, TABLE holdout)")
        measured[compute] = cur.fetchone()[0]
    direct = _lightgbm_directly(cluster_con, label, objective)
    assert measured["CLUSTER"] > 0.9
    assert abs(measured["CLUSTER"] - measured["LOCAL"]) <= 0.005
    assert abs(measured["CLUSTER"] - direct) <= 0.005
    assert _version(cluster_con, "m_CLUSTER")["compute"] == {
        "compute": "cluster",
        "scheduler": cluster_con._session.cluster_setting.address,
        "workers": 2,
    }


def _approx(value):
    """`value` with its floats compared to 1e-9 relative (sums over rows in another order)."""
    if isinstance(value, dict):
        return {k: _approx(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_approx(v) for v in value]
    return pytest.approx(value, rel=1e-9) if isinstance(value, float) else value


def test_strings_nulls_and_a_transform_are_preprocessed_as_locally(cluster_con, tmp_path):
    _tables(cluster_con)
    cur = cluster_con.cursor()
    for compute in ("LOCAL", "CLUSTER"):
        cur.execute(
            f"CREATE MODEL t_{compute} TRANSFORM(ML.MIN_MAX_SCALER(x1) OVER () AS x1_scaled, 2 * x2 AS x2_twice, "
            f"s, y_bin) OPTIONS(model_type = 'boosted_tree_classifier', input_label_cols = ['y_bin'], "
            f"{TREES}, compute = '{compute}') AS SELECT x1, x2, s, y_bin FROM train"
        )
    local, cluster = _version(cluster_con, "t_LOCAL"), _version(cluster_con, "t_CLUSTER")
    assert cluster["transform"] == _approx(local["transform"])
    assert cluster["features"] == _approx(local["features"])
    assert [spec["name"] for spec in cluster["features"]] == ["x1_scaled", "x2_twice", "s"]
    assert cluster["fingerprint"] == local["fingerprint"]
    assert cluster["training_rows"] == local["training_rows"] == TRAIN_ROWS
    cur.execute(
        "SELECT avg((l.predicted_y_bin = c.predicted_y_bin)::INT) FROM ML.PREDICT(MODEL t_LOCAL, TABLE holdout) l "
        "POSITIONAL JOIN ML.PREDICT(MODEL t_CLUSTER, TABLE holdout) c"
    )
    assert cur.fetchone()[0] >= 0.98
    cur.execute("SELECT count(*) FROM ML.EXPLAIN_PREDICT(MODEL t_CLUSTER, (SELECT * FROM holdout LIMIT 5))")
    assert cur.fetchone()[0] == 5
    cur.execute(f"EXPORT MODEL t_CLUSTER OPTIONS(uri = '{tmp_path / 'm.onnx'}')")
    assert (tmp_path / "m.onnx").stat().st_size > 0
    cur.execute("SELECT count(*) FROM ML.TRAINING_INFO(MODEL t_CLUSTER)")
    assert cur.fetchone()[0] == 20
    cur.execute("SELECT version, active, training_rows FROM ML.VERSIONS(MODEL t_CLUSTER)")
    assert cur.fetchall() == [(1, True, TRAIN_ROWS)]


def test_a_split_has_the_local_sizes(cluster_con):
    """RANDOM with an evaluation and a test fraction, some labels NULL: as many rows are dropped, train, evaluate
    and test as locally (rows.py's sizes; which rows differ, see docs/scale.md)."""
    _tables(cluster_con)
    cur = cluster_con.cursor()
    split = "data_split_method = 'RANDOM', data_split_eval_fraction = 0.25, data_split_test_fraction = 0.1"
    for compute in ("LOCAL", "CLUSTER"):
        cur.execute(
            f"CREATE MODEL r_{compute} OPTIONS(model_type = 'boosted_tree_regressor', input_label_cols = ['y_reg'], "
            f"max_iterations = 10, {split}, compute = '{compute}') AS SELECT x1, x2, x3, s, "
            "CASE WHEN x3 < 0.05 THEN NULL ELSE y_reg END AS y_reg FROM train"
        )
    local, cluster = _version(cluster_con, "r_LOCAL"), _version(cluster_con, "r_CLUSTER")
    sizes = ("dropped_rows", "training_rows", "eval_rows")
    assert [cluster[size] for size in sizes] == [local[size] for size in sizes]
    cur.execute("SELECT count(*) FILTER (x3 < 0.05), count(*) FILTER (x3 >= 0.05) FROM train")
    dropped, labelled = cur.fetchone()
    assert cluster["dropped_rows"] == dropped > 0
    assert cluster["eval_rows"] == round(0.1 * labelled)  # the test rows, which ML.EVALUATE measures
    cur.execute("SELECT count(eval_loss), count(*) FROM ML.TRAINING_INFO(MODEL r_CLUSTER)")
    evaluated, iterations = cur.fetchone()
    assert evaluated == iterations > 0


def _versions(con) -> list[tuple]:
    cur = con.cursor()
    cur.execute("SELECT model_name, version FROM sqlml.model_versions ORDER BY ALL")
    return cur.fetchall()


@pytest.mark.parametrize(
    ("query", "options"),
    [
        ("SELECT x1, x2 FROM train", "input_label_cols = ['y_bin']"),  # the label is missing
        ("SELECT x1, NULL::BOOL AS y_bin FROM train", "input_label_cols = ['y_bin']"),  # every label NULL
        ("SELECT x1, TRUE AS y_bin FROM train", "input_label_cols = ['y_bin']"),  # a single class
        ("SELECT x1, y_bin FROM train", "input_label_cols = ['y_bin'], max_iterations = 0"),  # a bad option
        (
            "SELECT x1, y_bin, s FROM train",
            "input_label_cols = ['y_bin'], data_split_method = 'CUSTOM', data_split_col = 's'",
        ),  # CUSTOM's column holds other values than TRAIN, EVAL, TEST
    ],
)
def test_bad_input_is_refused_as_locally_and_leaves_the_catalog(cluster_con, tmp_path, query, options):
    _tables(cluster_con)
    cur = cluster_con.cursor()
    cur.execute(
        "CREATE MODEL m OPTIONS(model_type = 'boosted_tree_classifier', input_label_cols = ['y_bin'], "
        "max_iterations = 2, compute = 'LOCAL') AS SELECT x1, y_bin FROM train"
    )
    before = _versions(cluster_con)
    errors = {}
    for compute in ("LOCAL", "CLUSTER"):
        with pytest.raises(sqlml.Error) as caught:
            cur.execute(
                f"CREATE OR REPLACE MODEL m OPTIONS(model_type = 'boosted_tree_classifier', {options}, "
                f"compute = '{compute}') AS {query}"
            )
        errors[compute] = (type(caught.value), str(caught.value))
    assert errors["CLUSTER"] == errors["LOCAL"]
    assert _versions(cluster_con) == before
    assert os.listdir(tmp_path / "staging") == []


def test_options_the_cluster_does_not_train_with_are_refused(cluster_con):
    _tables(cluster_con)
    cur = cluster_con.cursor()
    cur.execute(
        "CREATE MODEL m OPTIONS(model_type = 'boosted_tree_regressor', input_label_cols = ['y_reg'], "
        "max_iterations = 2, compute = 'LOCAL') AS SELECT x1, y_reg FROM train"
    )
    for option in ("warm_start = TRUE", "booster_type = 'DART'", "category_encoding_method = 'ONE_HOT_ENCODING'"):
        with pytest.raises(sqlml.NotSupportedError, match=f"OPTIONS: {option.split(' ')[0]}=.* on a cluster"):
            cur.execute(
                f"CREATE OR REPLACE MODEL m OPTIONS(model_type = 'boosted_tree_regressor', input_label_cols = "
                f"['y_reg'], {option}, compute = 'CLUSTER') AS SELECT x1, y_reg FROM train"
            )
    assert _versions(cluster_con) == [("m", 1)]


def test_a_worker_killed_mid_training_leaves_the_previous_version(tmp_path):
    """A cluster of its own: one worker process is killed once the workers report their first iteration."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
        ) as cluster,
        Client(cluster) as watcher,
    ):
        (tmp_path / "staging").mkdir()
        con = sqlml.connect(cluster=cluster.scheduler_address, cluster_dir=str(tmp_path / "staging"))
        _tables(con)
        cur = con.cursor()
        cur.execute(
            "CREATE MODEL m OPTIONS(model_type = 'boosted_tree_classifier', input_label_cols = ['y_bin'], "
            "max_iterations = 2, compute = 'LOCAL') AS SELECT x1, x2, y_bin FROM train"
        )
        victim = next(iter(watcher.run(os.getpid).values()))
        killed = threading.Event()

        def kill(event) -> None:
            if not killed.is_set():
                killed.set()
                os.kill(victim, signal.SIGKILL)

        watcher.subscribe_topic(TOPIC, kill)
        with pytest.raises(
            sqlml.OperationalError, match="left the cluster during training|training on the cluster"
        ) as caught:
            cur.execute(
                "CREATE OR REPLACE MODEL m OPTIONS(model_type = 'boosted_tree_classifier', input_label_cols = "
                "['y_bin'], max_iterations = 500, early_stop = FALSE, compute = 'CLUSTER') "
                "AS SELECT x1, x2, y_bin FROM train"
            )
        assert killed.is_set(), caught.value
        assert _versions(con) == [("m", 1)]
        assert os.listdir(tmp_path / "staging") == []
        con.close()


def test_early_stop_cuts_the_booster_where_the_evaluation_loss_stops_improving(cluster_con):
    """BigQuery ML's early_stop: training ends at the first iteration improving the evaluation loss by less than
    min_rel_progress of the best so far; the stored model is the booster of the iterations recorded, so the
    last eval_loss (LightGBM's l2) is ML.EVALUATE's mean squared error of the evaluation rows."""
    _tables(cluster_con)
    cur = cluster_con.cursor()
    cur.execute(
        "CREATE MODEL e OPTIONS(model_type = 'boosted_tree_regressor', input_label_cols = ['y_reg'], max_iterations = 20, "
        "learn_rate = 0.5, min_rel_progress = 0.02, data_split_method = 'RANDOM', data_split_eval_fraction = 0.2, "
        "compute = 'CLUSTER') AS SELECT x1, x2, x3, s, y_reg FROM train"
    )
    cur.execute("SELECT eval_loss FROM ML.TRAINING_INFO(MODEL e) ORDER BY iteration")
    losses = [loss for (loss,) in cur.fetchall()]
    improving = [(min(losses[:i]) - losses[i]) >= 0.02 * min(losses[:i]) for i in range(1, len(losses))]
    assert all(improving[:-1])
    assert len(losses) < 20 and not improving[-1]  # it stopped early, at an iteration that improved too little
    cur.execute("SELECT mean_squared_error FROM ML.EVALUATE(MODEL e)")
    assert cur.fetchone()[0] == pytest.approx(losses[-1], rel=1e-9)


NETWORK_PARAMETERS = {"tree_learner", "num_threads", "machines", "local_listen_port", "num_machines", "time_out"}


def _lightgbm_parameters(con, name: str) -> dict:
    """The parameters LightGBM recorded in a version's model text, but those of the training's network."""
    cur = con.cursor()
    cur.execute("SELECT artifact FROM sqlml.model_versions WHERE model_name = ?", [name])
    text = cur.fetchone()[0].decode()
    found = re.findall(r"^\[([a-z0-9_]+): ([^\]]*)\]$", text[text.index("\nparameters:") :], re.MULTILINE)
    return {key: value for key, value in found if key not in NETWORK_PARAMETERS}


def test_the_workers_train_with_the_local_lightgbm_parameters(cluster_con):
    """lightgbm.dask's estimator is given boosted_tree.py's parameters: LightGBM records the same ones as for
    the model trained in one process (the sklearn wrapper's own defaults override none), also once early_stop
    has cut the booster."""
    _tables(cluster_con)
    options = "max_iterations = 3, subsample = 0.8, l1_reg = 0.5, min_tree_child_weight = 2, tree_method = 'EXACT'"
    options += ", min_rel_progress = 0.5"  # early_stop cuts the booster after its second iteration
    for compute in ("LOCAL", "CLUSTER"):
        cluster_con.cursor().execute(
            f"CREATE MODEL p_{compute} OPTIONS(model_type = 'boosted_tree_classifier', input_label_cols = "
            f"['y_multi'], {options}, compute = '{compute}') AS SELECT x1, x2, s, y_multi FROM train"
        )
    cur = cluster_con.cursor()
    cur.execute("SELECT count(*) FROM ML.TRAINING_INFO(MODEL p_CLUSTER)")
    assert cur.fetchone()[0] == 2
    local, cluster = _lightgbm_parameters(cluster_con, "p_LOCAL"), _lightgbm_parameters(cluster_con, "p_CLUSTER")
    assert local["objective"] == "multiclass" and local["bagging_fraction"] == "0.8"
    # EXACT: the cluster allows LightGBM's maximum of bins for every column, one process as many as it has values;
    # LightGBM's parallel training turns the cap on cached histograms off (histogram_pool_size -1)
    differ = ("max_bin", "max_bin_by_feature", "histogram_pool_size")
    assert {k: v for k, v in cluster.items() if k not in differ} == {k: v for k, v in local.items() if k not in differ}
    assert cluster["histogram_pool_size"] == "-1" and local["histogram_pool_size"] == "1024"


def test_auto_class_weights_weigh_the_workers_rows_as_locally(cluster_con):
    """auto_class_weights: each row weighs n / (k * n_class) (BigQuery ML's rule); a rare class's weight moves
    the boundary, so the model predicts it more often, as much on the cluster as in one process."""
    _tables(cluster_con)
    cur = cluster_con.cursor()
    shares = {}
    for compute, weights in (("LOCAL", "TRUE"), ("CLUSTER", "TRUE"), ("CLUSTER", "FALSE")):
        cur.execute(
            f"CREATE OR REPLACE MODEL w OPTIONS(model_type = 'boosted_tree_classifier', input_label_cols = ['rare'], "
            f"{TREES}, auto_class_weights = {weights}, compute = '{compute}') "
            "AS SELECT x1, x1 + 0.4 * x2 > 1.1 AS rare FROM train"
        )
        cur.execute("SELECT avg(predicted_rare::INT) FROM ML.PREDICT(MODEL w, TABLE holdout)")
        shares[compute, weights] = cur.fetchone()[0]
    # which worker trains on which files is the scheduler's choice, and LightGBM's data-parallel bins follow
    # it: the weighted share lands nearer one process's weighted share than the cluster's unweighted one
    weighted, unweighted = shares["CLUSTER", "TRUE"], shares["CLUSTER", "FALSE"]
    assert abs(weighted - shares["LOCAL", "TRUE"]) < abs(weighted - unweighted)
    assert weighted - unweighted >= 0.03


# g: a group, some NULL, for SEQ's ties; some labels NULL
PARQUET_COLUMNS = (
    "x1, x2, x3, s, CASE WHEN rowid % 11 = 0 THEN NULL ELSE rowid % 5 END AS g, "
    "CASE WHEN x3 < 0.05 THEN NULL ELSE y_bin END AS y_bin"
)


def _parquet_files(con, folder) -> str:
    """The training rows twice over in three Parquet files (each row has an equal twin in
    another file, so the split's boundaries fall between rows of equal values): the files' glob."""
    folder.mkdir()
    cur = con.cursor()
    half = TRAIN_ROWS // 2
    for name, where in (("a", f"< {half}"), ("b", f">= {half}"), ("c", ">= 0")):
        cur.execute(
            f"COPY (SELECT {PARQUET_COLUMNS} FROM train WHERE rowid {where}) TO '{folder / name}.parquet' (FORMAT parquet)"
        )
    return str(folder / "*.parquet")


@pytest.mark.parametrize(
    "split",
    [
        "data_split_method = 'RANDOM', data_split_eval_fraction = 0.25, data_split_test_fraction = 0.1",
        "data_split_method = 'SEQ', data_split_col = 'g', data_split_eval_fraction = 0.3",  # ties and NULLs
    ],
)
def test_a_parquet_scan_is_read_by_the_workers_without_a_copy_and_splits_as_staged(
    cluster_con, tmp_path, monkeypatch, split
):
    """`SELECT columns FROM read_parquet(glob)`: the workers read the files themselves; the same files through a
    query that is more than a scan are staged. The run directory holds no copy of the rows (a hook lists it when
    the rows are ready), and both models have the same rows in each part of the split, as values, and the same
    feature specs; their trees differ only by LightGBM's data-parallel binning."""
    from sqlml.cluster import staging

    _tables(cluster_con)
    glob = _parquet_files(cluster_con, tmp_path / "in")
    seen = {}
    stage = staging.stage

    def spy(ctx, statement, family, options, run, workers):
        staged = stage(ctx, statement, family, options, run, workers)
        split_rows = {
            name: catalog_query(
                ctx.cur, f"SELECT count(*), sum(hash(x1, x2, x3, s, g, y_bin)) FROM ({staged.scans[name]})"
            )
            for name in ("TRAIN", "EVAL", "TEST")
            if staged.parts[name]
        }
        seen[statement.name[-1]] = (sorted(os.listdir(run)), split_rows)
        return staged

    monkeypatch.setattr(staging, "stage", spy)
    cur = cluster_con.cursor()
    for name, query in (
        ("direct", f"SELECT x1, x2, x3, s, g, y_bin FROM read_parquet('{glob}')"),
        ("staged", f"SELECT * FROM (SELECT x1, x2, x3, s, g, y_bin FROM read_parquet('{glob}'))"),
    ):
        cur.execute(
            f"CREATE MODEL {name} OPTIONS(model_type = 'boosted_tree_classifier', input_label_cols = ['y_bin'], "
            f"max_iterations = 20, learn_rate = 0.3, early_stop = FALSE, {split}, compute = 'CLUSTER') AS {query}"
        )
    assert seen["direct"][0] == ["sample.parquet"]
    assert seen["staged"][0] == ["raw.parquet", "rows", "sample.parquet"]
    assert seen["direct"][1] == seen["staged"][1]
    assert seen["direct"][1]["EVAL"][0][0] > 0
    direct, staged = _version(cluster_con, "direct"), _version(cluster_con, "staged")
    sizes = ("dropped_rows", "training_rows", "eval_rows", "fingerprint")
    assert [direct[size] for size in sizes] == [staged[size] for size in sizes]
    cur.execute(f"SELECT count(*) FILTER (y_bin IS NULL), count(y_bin) FROM read_parquet('{glob}')")
    dropped, labelled = cur.fetchone()
    assert direct["dropped_rows"] == dropped > 0
    held = sum(rows[0][0] for name, rows in seen["direct"][1].items() if name != "TRAIN")
    assert direct["training_rows"] == labelled - held
    assert direct["features"] == _approx(staged["features"])
    accuracy = {}
    for name in ("direct", "staged"):
        cur.execute(f"SELECT accuracy FROM ML.EVALUATE(MODEL {name}, (SELECT *, rowid % 5 AS g FROM holdout))")
        accuracy[name] = cur.fetchone()[0]
    assert accuracy["direct"] > 0.9
    assert abs(accuracy["direct"] - accuracy["staged"]) <= 0.005


def catalog_query(cur, sql: str) -> list[tuple]:
    cur.execute(sql)
    return cur.fetchall()


@pytest.mark.parametrize(
    "files",
    [
        ["a"],  # no file holds the label column
        ["b", "a"],  # a file without it
        ["nothing*"],  # a glob matching no file
    ],
)
def test_bad_parquet_input_is_refused_as_locally_and_leaves_the_catalog(cluster_con, tmp_path, files):
    _tables(cluster_con)
    cur = cluster_con.cursor()
    cur.execute(f"COPY (SELECT x1, x2 FROM train) TO '{tmp_path / 'a.parquet'}' (FORMAT parquet)")
    cur.execute(f"COPY (SELECT x1, x2, y_bin FROM train) TO '{tmp_path / 'b.parquet'}' (FORMAT parquet)")
    cur.execute(
        "CREATE MODEL m OPTIONS(model_type = 'boosted_tree_classifier', input_label_cols = ['y_bin'], "
        "max_iterations = 2, compute = 'LOCAL') AS SELECT x1, y_bin FROM train"
    )
    before = _versions(cluster_con)
    paths = ", ".join(f"'{tmp_path / name}.parquet'" for name in files)
    errors = {}
    for compute in ("LOCAL", "CLUSTER"):
        with pytest.raises(sqlml.Error) as caught:
            cur.execute(
                "CREATE OR REPLACE MODEL m OPTIONS(model_type = 'boosted_tree_classifier', input_label_cols = "
                f"['y_bin'], compute = '{compute}') AS SELECT * FROM read_parquet([{paths}])"
            )
        errors[compute] = (type(caught.value), str(caught.value).split("\n")[0])  # not the statement quoted
    assert errors["CLUSTER"] == errors["LOCAL"]
    assert _versions(cluster_con) == before
    assert os.listdir(tmp_path / "staging") == []


@pytest.mark.parametrize(
    ("query", "direct"),
    [
        ("SELECT * FROM read_parquet('{d}/ab_*.parquet')", True),
        ("SELECT x, y FROM read_parquet(['{d}/ab_1.parquet', '{d}/ab_2.parquet'])", True),
        ("(SELECT y, x FROM '{d}/ab_1.parquet')", True),
        ("SELECT x, y FROM read_parquet('{d}/ab_*.parquet') WHERE x > 1", False),
        ("SELECT x, y FROM read_parquet('{d}/ab_*.parquet') LIMIT 5", False),
        ("SELECT DISTINCT x, y FROM read_parquet('{d}/ab_*.parquet')", False),
        ("SELECT x + 1 AS x, y FROM read_parquet('{d}/ab_*.parquet')", False),
        ("SELECT x, y FROM read_parquet('{d}/ab_*.parquet') ORDER BY x", False),
        ("SELECT t.x, t.y FROM read_parquet('{d}/ab_*.parquet') t", False),
        ("SELECT * FROM read_parquet('{d}/ab_*.parquet') JOIN range(2) r(i) ON TRUE", False),
        ("SELECT * FROM read_parquet(['{d}/ab_1.parquet', '{d}/wider.parquet'])", False),  # schemas differ
        ("SELECT * FROM '{d}/named.parquet'", False),  # a column named as DuckDB's virtual filename
    ],
)
def test_which_queries_the_workers_read_directly(tmp_path, query, direct):
    """Only a scan of Parquet files of one schema, at least one file per worker: no filter, join, expression,
    order or limit (staging.py's _direct_files, given the query's columns as DuckDB binds them)."""
    import duckdb

    from sqlml.cluster import staging
    from sqlml.parser import parse_statement

    con = duckdb.connect()
    for name, columns in (("ab_1", "x, y"), ("ab_2", "x, y"), ("wider", "x, y, x AS z"), ("named", "x, y AS filename")):
        con.execute(
            f"COPY (SELECT {columns} FROM (SELECT i::DOUBLE AS x, i % 2 = 0 AS y FROM range(10) r(i))) "
            f"TO '{tmp_path / name}.parquet'"
        )
    text = query.format(d=tmp_path)
    statement = parse_statement(f"CREATE MODEL m OPTIONS(model_type = 'linear_reg') AS {text}")
    columns = con.sql(text).columns
    assert (staging._direct_files(con, statement, columns, 1) is not None) == direct
    assert staging._direct_files(con, statement, columns, 3) is None  # fewer files than workers: staged
