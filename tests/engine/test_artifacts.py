"""A damaged, tampered or hand-written version never crashes, hangs or silently misleads: its checksum, then
its structure, are checked before LightGBM, scikit-learn or the encoder use it (issue 14).

Each reproduction is applied twice to a copy of one database: with the stored checksum left as it was (an
altered row: the checksum error) and with it recomputed as documented (a hand-written row: the structural
error). The query runs in a child process (tampering.probe), which must end by itself with exit status 0.
"""

from __future__ import annotations

import json
import shutil

import duckdb
import numpy as np
import psycopg
import pytest

import sqlml
from sqlml.engine.store.artifacts import check_trees
from tests.engine.tampering import (
    documented_checksum,
    edit_forest,
    edit_lightgbm,
    lightgbm_array,
    probe,
    read_row,
    tamper,
)
from tests.server.serving import dsn, serve

MODELS = {
    "boosted": "boosted_tree_regressor', max_iterations=5, input_label_cols=['label'",
    "forest": "random_forest_classifier', num_parallel_tree=3, input_label_cols=['cls'",
    "linear": "linear_reg', input_label_cols=['label'",
}
COLUMNS = {"boosted": "x, z, c, label", "forest": "x, z, c, cls", "linear": "x, z, c, label"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A database file with table t and the models of MODELS, version 1 each."""
    path = tmp_path_factory.mktemp("artifacts") / "trained.duckdb"
    with sqlml.connect(str(path)) as con:
        cur = con.cursor()
        cur.execute(
            "CREATE TABLE t AS SELECT i::DOUBLE AS x, (i * 7 % 13)::DOUBLE AS z, ['a', 'b', 'c'][i % 3 + 1] "
            "AS c, 3.0 * i + i % 3 AS label, CASE WHEN i % 4 < 2 THEN 'p' ELSE 'q' END AS cls "
            "FROM range(200) r(i)"
        )
        for name, options in MODELS.items():
            cur.execute(f"CREATE MODEL {name} OPTIONS(model_type='{options}]) AS SELECT {COLUMNS[name]} FROM t")
    return path


def _text(edit):
    """A change of a row applying `edit` to its LightGBM model text."""

    def change(row):
        row["artifact"] = edit(row["artifact"].decode()).encode()

    return change


def _forest(field: str, value):
    """A change of a row setting `field` of the root of its forest's first tree to `value`."""

    def change(row):
        row["artifact"] = edit_forest(row["artifact"], 0, 0, field, value)

    return change


def _longer_coefficients(row):
    state = json.loads(row["artifact"])
    state["coef"][0].append(0.5)
    row["artifact"] = json.dumps(state).encode()


def _reversed_vocabulary(row):
    spec = next(spec for spec in row["features"] if spec["name"] == "c")
    spec["vocabulary"].reverse()


def _encoding_of_c(**fields):
    """A change of a row giving feature c's spec these category_encoding_method `fields`."""

    def change(row):
        next(spec for spec in row["features"] if spec["name"] == "c").update(fields)

    return change


REPRODUCTIONS = {  # what used to crash, hang or predict silently -> what the structural check reports
    "lightgbm left_child of a node set to 0": (
        "boosted",
        _text(lambda text: edit_lightgbm(text, 0, "left_child", 1, "0")),
        "or the root a child",
    ),
    "lightgbm root's left_child set to itself": (
        "boosted",
        _text(lambda text: edit_lightgbm(text, 0, "left_child", 0, "0")),
        "a node is its own child",
    ),
    "lightgbm num_leaves changed": (
        "boosted",
        _text(
            lambda text: edit_lightgbm(text, 0, "num_leaves", 0, str(int(lightgbm_array(text, 0, "num_leaves")[0]) + 1))
        ),
        "split_feature does not hold",
    ),
    "lightgbm left_child set to a huge number": (
        "boosted",
        _text(
            lambda text: edit_lightgbm(
                text, -1, "left_child", 0, str(2**32 + int(lightgbm_array(text, -1, "left_child")[0]))
            )
        ),
        "left_child holds a number beyond 32 bits",
    ),
    "forest child index out of range": ("forest", _forest("left_child", 10**6), "a child index is out of range"),
    "forest feature index out of range": ("forest", _forest("feature", 10**6), "splits on a feature outside 0..2"),
    "forest child pointing to itself": ("forest", _forest("left_child", 0), "a node is its own child"),
    "wrong-length coefficient list": (
        "linear",
        _longer_coefficients,
        "the estimator reads 6 encoded feature(s); the feature specs encode 5",
    ),
    "altered vocabulary": ("linear", _reversed_vocabulary, "feature 'c''s vocabulary is not a sorted list"),
    "DUMMY_ENCODING column out of range": (
        "linear",
        _encoding_of_c(dropped=3),  # 3 categories, no NULL: columns 0..2
        "feature 'c''s dropped one-hot column is not one of its 3",
    ),
    "TARGET_ENCODING means missing": (
        "boosted",
        _encoding_of_c(target=[0.5, 1.5]),  # 3 categories, NULL, unseen: 5
        "feature 'c''s target encoding is 2, expected 5",
    ),
    "TARGET_ENCODING mean not finite": (
        "boosted",
        _encoding_of_c(target=[0.5, 1.5, 2.5, 3.5, "NaN"]),
        "feature 'c''s target encoding is not a 1-D array of numbers",
    ),
}


@pytest.mark.parametrize("case", REPRODUCTIONS)
def test_tampered_version_gives_a_clean_error(trained, tmp_path, case):
    model, change, problem = REPRODUCTIONS[case]
    altered, hand_written = tmp_path / "altered.duckdb", tmp_path / "hand_written.duckdb"
    for path, fix_checksum in ((altered, False), (hand_written, True)):
        shutil.copy(trained, path)
        tamper(path, model, change, fix_checksum)
    checksum_error, structural_error = probe(f"SELECT * FROM ML.PREDICT(MODEL {model}, TABLE t)", altered, hand_written)
    assert checksum_error == {
        "error": "DataError",
        "message": f"model main.{model} version 1: stored artifact "
        "fails its SHA-256 check; the catalog row was "
        "altered or damaged",
    }
    assert structural_error["error"] == "DataError"
    assert structural_error["message"].startswith(
        f"the stored artifact of model main.{model} version 1 cannot be loaded safely: "
    )
    assert problem in structural_error["message"]


def test_each_version_stores_the_documented_checksum(trained):
    for model in MODELS:
        row = read_row(trained, model)
        assert row["artifact_sha256"] == documented_checksum(row)


def test_the_untouched_copies_predict(trained, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copy(trained, copy)
    assert probe(
        "SELECT predicted_cls FROM ML.PREDICT(MODEL forest, TABLE t) UNION ALL SELECT "
        "CAST(predicted_label AS VARCHAR) FROM ML.PREDICT(MODEL boosted, TABLE t)",
        copy,
    ) == [{"rows": 400}]


def test_a_tuning_trial_has_its_own_checksum(tmp_path):
    path = tmp_path / "tuned.duckdb"
    with sqlml.connect(str(path)) as con:
        cur = con.cursor()
        cur.execute("CREATE TABLE t AS SELECT i::DOUBLE AS x, 2.0 * i AS label FROM range(40) r(i)")
        cur.execute(
            "CREATE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['label'], num_trials=2, "
            "hparam_tuning_algorithm='GRID_SEARCH', l2_reg=HPARAM_CANDIDATES([0.0, 10.0])) AS SELECT * FROM t"
        )
    row = read_row(path, "m")
    with duckdb.connect(str(path)) as con:
        trials = con.execute("SELECT trial_id, artifact, artifact_sha256 FROM sqlml.model_trials").fetchall()
        assert len(trials) == 2
        for _, artifact, stored in trials:
            assert stored == documented_checksum({**row, "artifact": artifact})  # the version's, with its artifact
        trial_id, artifact, _ = trials[0]
        state = json.loads(artifact)
        state["intercept"] = [state["intercept"][0] + 1.0]
        con.execute(
            "UPDATE sqlml.model_trials SET artifact = ? WHERE trial_id = ?", [json.dumps(state).encode(), trial_id]
        )
    with sqlml.connect(str(path)) as con:
        with pytest.raises(sqlml.DataError, match="model main.m version 1: stored artifact fails its SHA-256 check"):
            con.cursor().execute(f"SELECT * FROM ML.PREDICT(MODEL m, TABLE t, STRUCT({trial_id} AS trial_id))")


def test_versions_stored_before_checksums_load_with_the_structural_checks(trained, tmp_path):
    older = tmp_path / "older.duckdb"  # a catalog as sqlml wrote it before checksums
    shutil.copy(trained, older)
    with duckdb.connect(str(older)) as con:
        for table in ("model_versions", "model_trials"):
            con.execute(f"ALTER TABLE sqlml.{table} DROP COLUMN artifact_sha256")
        con.execute("DROP TABLE sqlml.catalog_writes")  # newer still than checksums
    tamper(older, "forest", _forest("left_child", 0), fix_checksum=False)
    linear, forest = (
        probe("SELECT * FROM ML.PREDICT(MODEL linear, TABLE t)", older),
        probe("SELECT * FROM ML.PREDICT(MODEL forest, TABLE t)", older),
    )  # read-only: nothing is upgraded
    assert linear == [{"rows": 200}]
    assert forest[0]["message"].endswith("cannot be loaded safely: tree 0: a node is its own child")
    with sqlml.connect(str(older)) as con:  # the next version written upgrades the catalog
        cur = con.cursor()
        cur.execute(
            f"CREATE OR REPLACE MODEL linear OPTIONS(model_type='{MODELS['linear']}]) AS "
            f"SELECT {COLUMNS['linear']} FROM t"
        )
        first = cur.execute("SELECT predicted_label FROM ML.PREDICT(MODEL linear VERSION 1, TABLE t)").fetchall()
        second = cur.execute("SELECT predicted_label FROM ML.PREDICT(MODEL linear VERSION 2, TABLE t)").fetchall()
        assert first == second  # the same least-squares fit of the same rows
    assert read_row(older, "linear", 1)["artifact_sha256"] is None
    assert read_row(older, "linear", 2)["artifact_sha256"] == documented_checksum(read_row(older, "linear", 2))


def test_a_read_only_server_survives_a_crashing_version(trained, tmp_path):
    served = tmp_path / "penguins.duckdb"  # the database name dsn() asks for
    shutil.copy(trained, served)
    tamper(served, "forest", _forest("left_child", 10**6), fix_checksum=True)  # scikit-learn: SIGSEGV
    with serve(served) as port:  # read-only, the default
        with psycopg.connect(dsn(port, user="anyone", password="")) as first:
            with pytest.raises(psycopg.errors.DataException, match="main.forest version 1 cannot be loaded safely"):
                first.execute("SELECT * FROM ML.PREDICT(MODEL forest, TABLE t)")
        with psycopg.connect(dsn(port, user="anyone", password="")) as second:
            assert second.execute("SELECT count(*) FROM ML.PREDICT(MODEL linear, TABLE t)").fetchone() == (200,)


def _chain(splits: int) -> tuple[np.ndarray, np.ndarray]:
    """A tree of `splits` splits in a row, each with a leaf on its right: depth `splits`."""
    left = np.array([*range(1, splits + 1), -1] + [-1] * splits)  # split i -> split i + 1 (the last: a leaf)
    right = np.array([*range(splits + 1, 2 * splits + 1), -1] + [-1] * splits)  # split i -> leaf splits + 1 + i
    return left, right


def test_tree_checks_bound_the_depth_and_find_a_cycle_away_from_the_root():
    deepest = 1000  # the structural bound: deeper than any tree sqlml trained, old versions included
    check_trees(*_chain(deepest), np.array([2 * deepest + 1]))
    with pytest.raises(ValueError, match=f"tree 0: the tree is deeper than {deepest} levels"):
        check_trees(*_chain(deepest + 1), np.array([2 * deepest + 3]))
    # nodes 3 and 4 are each other's child, every node but the root has one parent, 3..6 are out of reach
    left, right = np.array([1, -1, -1, 4, 3, -1, -1]), np.array([2, -1, -1, 5, 6, -1, -1])
    with pytest.raises(ValueError, match=r"tree 1: some nodes cannot be reached from the root \(a cycle\)"):
        check_trees(
            np.concatenate([[-1], left + (left >= 0)]), np.concatenate([[-1], right + (right >= 0)]), np.array([1, 7])
        )
