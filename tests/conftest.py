"""Shared fixtures: an in-memory sqlml connection and a synthetic dataset with every feature kind; Hypothesis's
settings."""

from __future__ import annotations

import tempfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import configuration

import sqlml

# Hypothesis's files (its example database, a cache of the code's constants written as tests are collected) go to
# a scratch directory removed at exit: nothing is written into the source tree (.hypothesis/)
_HYPOTHESIS_HOME = tempfile.TemporaryDirectory(prefix="sqlml-hypothesis-")
configuration.set_hypothesis_home_dir(_HYPOTHESIS_HOME.name)


def make_frame(n: int, seed: int) -> pd.DataFrame:
    """Numeric (with NULLs), string (with NULLs), bool features and three labels: y_reg, y_bin, y_multi."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.uniform(-2, 5, size=n)
    color = rng.choice(["red", "green", "blue"], size=n)
    flag = rng.random(n) < 0.3
    score = 1.5 * x1 - 0.7 * x2 + np.where(color == "red", 1.0, 0.0) + 0.8 * flag + rng.normal(0, 0.5, n)
    frame = pd.DataFrame(
        {
            "id": np.arange(n),
            "x1": x1,
            "x2": x2,
            "color": color,
            "flag": flag,
            "y_reg": score,
            "y_bin": np.where(score > 0.3, "yes", "no"),
            "y_multi": np.digitize(score, [-1.0, 1.5]).astype(np.int64),
        }
    )
    frame.loc[rng.random(n) < 0.05, "x2"] = np.nan  # NULL numerics
    frame["color"] = frame["color"].astype(object)
    frame.loc[rng.random(n) < 0.05, "color"] = None  # NULL categories
    return frame


@pytest.fixture
def con():
    connection = sqlml.connect()
    yield connection
    connection.close()


@pytest.fixture
def frames():
    """(train, test) frames; the test frame holds a category ('purple') unseen at training."""
    train, test = make_frame(600, 1), make_frame(200, 2)
    test.loc[test.index[:5], "color"] = "purple"
    return train, test


@pytest.fixture
def loaded(con, frames, tmp_path):
    """The connection with tables `train` and `test` made from `frames` (through Parquet files)."""
    cur = con.cursor()
    for name, frame in zip(("train", "test"), frames):
        path = tmp_path / f"{name}.parquet"
        frame.to_parquet(path)
        cur.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{path}')")
    return con
