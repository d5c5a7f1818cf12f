"""cluster_dir on an object store (sqlml/cluster/storage.py): training and batch prediction staged under
s3://bucket/staging on the 2-worker cluster, DuckDB writing and reading through s3fs registered on its connections and the workers reading
through s3fs too. moto's S3 server on loopback stands in for S3 (conftest.py's s3_endpoint: its endpoint and keys
reach this process and the workers through the environment, as a real store's would).

The S3 model is measured against the same CREATE MODEL staged in a local directory: the same split, feature
specs and fingerprint, and accuracy within 0.5 point; ML.PREDICT's rows scored on the workers from and into the
bucket against ML.PREDICT in this process (labels equal, probabilities within 1e-6); the bucket is left empty after success and failure; a
missing bucket, an unreachable endpoint and a protocol without an fsspec implementation are clear errors.

ML.PREDICT's output columns as https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict
"""

from __future__ import annotations

import json
import math
import socket
import uuid
from contextlib import contextmanager

import pytest

import sqlml

ROWS = """
CREATE TABLE {name} AS
SELECT i AS id, x1, x2, s, (x1 + x2 + CASE s WHEN 'a' THEN 0.25 ELSE 0 END > 1.1) AS y, TRUE AS one
FROM (SELECT i, ((i * 7919) % 10007) / 10007.0 AS x1, ((i * 104729) % 10009) / 10009.0 AS x2,
             CASE WHEN i % 7 = 0 THEN NULL ELSE ['a', 'b', 'c'][1 + (i * 31) % 3] END AS s
      FROM range({start}, {stop}) r(i))
"""
CREATE = (
    "CREATE OR REPLACE MODEL m OPTIONS(model_type = 'boosted_tree_classifier', input_label_cols = ['{label}'], "
    "max_iterations = 10, learn_rate = 0.3, data_split_method = 'RANDOM', data_split_eval_fraction = 0.25, "
    "compute = '{compute}') AS SELECT x1, x2, s, {label} FROM train"
)
CATALOG = "SELECT model_name, version, data_fingerprint, compute FROM sqlml.model_versions ORDER BY ALL"
VERSION = "SELECT features, training_rows, eval_rows, data_fingerprint FROM sqlml.model_versions WHERE model_name = 'm'"


@pytest.fixture
def s3(s3_endpoint):
    """s3fs on the S3 stand-in, listing afresh each time."""
    import s3fs

    return s3fs.S3FileSystem(skip_instance_cache=True, use_listings_cache=False)


@pytest.fixture
def bucket(s3):
    name = f"sqlml-{uuid.uuid4().hex[:12]}"
    s3.mkdir(name)
    return name


def _connect(scheduler, cluster_dir: str):
    con = sqlml.connect(cluster=scheduler, cluster_dir=cluster_dir)
    cur = con.cursor()
    cur.execute(ROWS.format(name="train", start=0, stop=8000))
    cur.execute(ROWS.format(name="holdout", start=8000, stop=12000))
    return con


def _trained(con) -> tuple:
    cur = con.cursor()
    cur.execute(CREATE.format(label="y", compute="CLUSTER"))
    cur.execute(VERSION)
    features, training_rows, eval_rows, fingerprint = cur.fetchone()
    cur.execute("SELECT accuracy FROM ML.EVALUATE(MODEL m, TABLE holdout)")
    return json.loads(features), training_rows, eval_rows, fingerprint, cur.fetchone()[0]


def test_training_staged_on_s3_is_the_local_stagings_and_leaves_the_bucket_empty(scheduler, bucket, s3, tmp_path):
    on_s3, local = _connect(scheduler, f"s3://{bucket}/staging"), _connect(scheduler, str(tmp_path))
    try:
        *staged, accuracy = _trained(on_s3)
        *reference, reference_accuracy = _trained(local)
    finally:
        on_s3.close()
        local.close()
    assert staged == reference  # feature specs, TRAIN and EVAL rows, the query's fingerprint
    assert staged[1:3] == [6000, 2000]  # RANDOM's 25 % of the 8000 rows evaluated
    assert reference_accuracy > 0.9
    assert abs(accuracy - reference_accuracy) <= 0.005
    assert s3.find(bucket) == []


def _fails_unchanged(scheduler, cluster_dir: str, label: str, error, match: str) -> None:
    """CREATE OR REPLACE MODEL m on the cluster fails with `error` and leaves the version trained before."""
    con = _connect(scheduler, cluster_dir)
    try:
        cur = con.cursor()
        cur.execute(CREATE.format(label="y", compute="LOCAL"))
        before = cur.execute(CATALOG).fetchall()
        with pytest.raises(error, match=match):
            cur.execute(CREATE.format(label=label, compute="CLUSTER"))
        assert cur.execute(CATALOG).fetchall() == before
    finally:
        con.close()


def test_a_failing_statement_leaves_the_bucket_empty_and_the_catalog_unchanged(scheduler, bucket, s3):
    # a classifier's label of one class, found once the query's rows are staged
    _fails_unchanged(scheduler, f"s3://{bucket}/staging", "one", sqlml.DataError, "one")
    assert s3.find(bucket) == []


def test_a_missing_bucket_is_an_operational_error(scheduler, s3):
    missing = f"sqlml-missing-{uuid.uuid4().hex[:12]}"
    _fails_unchanged(
        scheduler,
        f"s3://{missing}/staging",
        "y",
        sqlml.OperationalError,
        f"cluster_dir s3://{missing}/staging: cannot write",
    )
    assert not s3.exists(missing)  # not created by the attempt


@contextmanager
def socket_closed():
    """An endpoint on loopback whose port is held but never listens: connections to it are refused."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}"


def test_an_unreachable_endpoint_is_an_operational_error(scheduler, monkeypatch):
    import s3fs

    with socket_closed() as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
        s3fs.S3FileSystem.clear_instance_cache()  # fsspec's cached instance reads the environment when made
        try:
            _fails_unchanged(scheduler, "s3://bucket/staging", "y", sqlml.OperationalError, "cannot write there")
        finally:
            s3fs.S3FileSystem.clear_instance_cache()


def test_a_protocol_without_an_fsspec_implementation_is_not_supported():
    with pytest.raises(sqlml.NotSupportedError, match="'nosuch://bucket/staging': no fsspec filesystem of nosuch://"):
        sqlml.connect(cluster="tcp://127.0.0.1:8786", cluster_dir="nosuch://bucket/staging")


def _same(a, b) -> bool:
    """Equal values, floats within 1e-6 relative (the workers score with the model's ONNX graph)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


@pytest.mark.parametrize("target", ["table", "file", "directory"])
def test_batch_prediction_stages_on_s3_and_leaves_the_bucket_empty(scheduler, bucket, s3, tmp_path, target):
    con = _connect(scheduler, f"s3://{bucket}/staging")
    try:
        cur = con.cursor()
        cur.execute(CREATE.format(label="y", compute="LOCAL"))
        call = "ML.PREDICT(MODEL m, TABLE holdout)"
        expected = cur.execute(f"SELECT * FROM {call} ORDER BY id").fetchall()
        statement, result = {
            "table": (f"CREATE TABLE p AS SELECT * FROM {call}", "p"),
            "file": (f"COPY (SELECT * FROM {call}) TO '{tmp_path}/p.parquet'", f"'{tmp_path}/p.parquet'"),
            "directory": (
                f"COPY (SELECT * FROM {call}) TO '{tmp_path}/p/' (FORMAT parquet)",
                f"'{tmp_path}/p/*.parquet'",
            ),
        }[target]
        cur.execute(statement)
        assert not cur.messages  # no notice: the workers scored it
        got = cur.execute(f"SELECT * FROM {result} ORDER BY id").fetchall()
    finally:
        con.close()
    assert len(got) == len(expected) == 4000
    assert all(_same(a, b) for a, b in zip(got, expected))
    assert s3.find(bucket) == []
