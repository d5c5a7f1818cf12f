"""Names are identifiers, never SQL; stored artifacts load without executing code; no pickle in sqlml/."""

from __future__ import annotations

import operator
import os
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.ensemble import RandomForestRegressor

import sqlml

HOSTILE = [
    'a"b',
    "x'); DROP TABLE t; --",
    'm"; DROP TABLE t; --',
    "modèle ☃",
    "select",
    "FROM",
    "ml.predict",
    "model",
    "a;b",
    "--c",
    "/*d*/",
]


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@pytest.fixture
def table(con):
    con.cursor().execute(
        "CREATE TABLE t AS SELECT range::DOUBLE AS x, ['it''s', 'a;b', '\"q\"'][range % 3 + 1] AS c, "
        "2.0 * range AS label FROM range(40)"
    )
    return con


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("model_type", ["linear_reg", "boosted_tree_regressor"])
def test_hostile_model_and_column_names_are_identifiers(table, name, model_type):
    cur = table.cursor()
    cur.execute(
        f"CREATE MODEL {quoted(name)} OPTIONS(model_type='{model_type}') AS SELECT x AS {quoted(name)}, c, label FROM t"
    )
    cur.execute(
        f"SELECT count(*), count(predicted_label) FROM ML.PREDICT(MODEL {quoted(name)}, "
        f"(SELECT x AS {quoted(name)}, c FROM t))"
    )
    assert cur.fetchone() == (40, 40)
    assert [r[1] for r in cur.execute("SHOW MODELS").fetchall()] == [name]
    cur.execute(f"DESCRIBE MODEL {quoted(name)}")
    cur.execute(f"DROP MODEL {quoted(name)}")
    assert cur.execute("SELECT count(*) FROM t").fetchone() == (40,)  # nothing was dropped but the model


def test_backtick_names_and_crafted_string_values_cannot_inject(table):
    cur = table.cursor()
    cur.execute(
        "CREATE MODEL `x'); DROP TABLE t; --` OPTIONS(model_type='linear_reg', "
        "input_label_cols=['label']) AS SELECT * FROM t"
    )
    cur.execute(
        "SELECT count(*) FROM ML.PREDICT(MODEL `x'); DROP TABLE t; --`, "
        "(SELECT x, 'x''); DROP TABLE t; --' AS c FROM t))"
    )
    assert cur.fetchone() == (40,)
    cur.execute(
        "SELECT count(*) FROM ML.PREDICT(MODEL `x'); DROP TABLE t; --`, (SELECT x, ? AS c FROM t)) "
        "WHERE predicted_label > ?",
        ["'); DROP TABLE t; --", -1e9],
    )
    assert cur.fetchone() == (40,)
    assert cur.execute("SELECT count(*) FROM t").fetchone() == (40,)


def _tamper(con, model: str, artifact: bytes) -> None:
    # a row as an sqlml older than checksums wrote it (artifact_sha256 NULL): the structural checks apply
    con.cursor().execute(
        "UPDATE sqlml.model_versions SET artifact = ?, artifact_sha256 = NULL WHERE model_name = ?", [artifact, model]
    )


def test_tampered_artifacts_are_rejected_without_running_code(tmp_path):
    path, marker = str(tmp_path / "tampered.duckdb"), tmp_path / "pwned"
    with sqlml.connect(path) as con:
        cur = con.cursor()
        cur.execute("CREATE TABLE t AS SELECT range::DOUBLE AS x, range * 2.0 AS label FROM range(50)")
        for name, kind in [
            ("forest", "random_forest_regressor"),
            ("trees", "boosted_tree_regressor"),
            ("linear", "linear_reg"),
        ]:
            cur.execute(f"CREATE MODEL {name} OPTIONS(model_type='{kind}') AS SELECT * FROM t")

        class Exploit:  # what an attacker's pickle would run on load
            def __reduce__(self):
                return (os.system, (f"touch {marker}",))

        untrusted = RandomForestRegressor(n_estimators=2).fit(np.arange(10.0).reshape(-1, 1), np.arange(10.0))
        untrusted.random_state = operator.attrgetter("x")  # a classic gadget, outside the trusted list
        _tamper(con, "forest", sio.dumps(untrusted))
        _tamper(con, "trees", b"tree\nversion=v4\nnum_class=1\n" + b"garbage" * 10)
        _tamper(con, "linear", b'{"coef": [[1.0]], "intercept": ')
        pickled = pickle.dumps(Exploit())
    with sqlml.connect(path) as con:  # a fresh connection: nothing cached
        for name in ("forest", "trees", "linear"):
            with pytest.raises(sqlml.DataError, match=f"artifact of model main.{name} version 1 cannot be loaded"):
                con.cursor().execute(f"SELECT * FROM ML.PREDICT(MODEL {name}, TABLE t)")
        _tamper(con, "forest", pickled)
        with pytest.raises(sqlml.DataError, match="cannot be loaded safely"):
            con.cursor().execute("SELECT * FROM ML.PREDICT(MODEL forest, TABLE t)")
    assert not marker.exists()  # the pickle payload never ran


def test_no_pickle_anywhere_in_sqlml():
    forbidden = re.compile(
        r"^\s*(import|from)\s+(c?pickle|dill|joblib|cloudpickle|shelve|marshal)\b|"
        r"\b(pickle|joblib|dill|cloudpickle)\.(loads?|dumps?)\(|trusted\s*=\s*True",
        re.M,
    )
    offenders = [str(p) for p in Path(sqlml.__file__).parent.rglob("*.py") if forbidden.search(p.read_text())]
    assert offenders == []
