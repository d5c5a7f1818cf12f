"""Every sql_examples/*.sql script runs end to end; what it built is checked against the raw data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import sqlml
from sqlml.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "sql_examples").glob("*.sql"))


def _one(con, sql):
    cur = con.cursor()
    cur.execute(sql)
    return cur.fetchone()


def check_cars(con):
    (nulls,) = _one(con, "SELECT count(*) FILTER (mpg IS NULL) FROM cars WHERE model_year < 1982")
    assert _one(con, "SELECT dropped_rows FROM sqlml.model_versions WHERE model_name = 'mpg_linear'") == (nulls,)
    (r2,) = _one(con, "SELECT r2_score FROM ML.EVALUATE(MODEL mpg_linear, (FROM cars WHERE model_year = 1982))")
    assert 0.3 < r2 < 1


def check_penguins(con):
    # RANDOM split, 30% of 344 rows to evaluation; the 11 penguins without a sex are dropped for sex_boosted
    assert _one(
        con, "SELECT training_rows, eval_rows FROM sqlml.model_versions WHERE model_name = 'species_forest'"
    ) == (241, 103)
    assert _one(con, "SELECT dropped_rows FROM sqlml.model_versions WHERE model_name = 'sex_boosted'") == (11,)
    (accuracy,) = _one(con, "SELECT accuracy FROM ML.EVALUATE(MODEL species_forest)")
    assert accuracy > 0.9


def check_transform(con):
    cur = con.cursor()
    cur.execute("SELECT where_who FROM ML.TRANSFORM(MODEL mass_transformed, (FROM penguins ORDER BY penguin_id))")
    crosses = [r[0]["island_sex"] for r in cur.fetchall()]
    cur.execute("SELECT island, sex FROM penguins ORDER BY penguin_id")
    assert crosses == [f"{island}_{sex or 'unknown'}" for island, sex in cur.fetchall()]
    (r2,) = _one(con, "SELECT r2_score FROM ML.EVALUATE(MODEL mass_transformed)")
    assert r2 > 0.7


def check_reviews(con):
    (accuracy,) = _one(con, "SELECT accuracy FROM ML.EVALUATE(MODEL sentiment)")
    assert accuracy > 0.75  # 5% of the labels are flipped on purpose
    (eval_rows,) = _one(con, "SELECT eval_rows FROM sqlml.model_versions WHERE model_name = 'sentiment'")
    assert eval_rows == 100


def check_clusters(con):
    import numpy as np
    from sklearn.decomposition import PCA

    cur = con.cursor()
    cur.execute(
        "SELECT CENTROID_ID, species, count(*) FROM ML.PREDICT(MODEL penguin_groups, TABLE penguins) GROUP BY ALL"
    )
    counts = cur.fetchall()
    majority = sum(max(n for c2, _, n in counts if c2 == c) for c in {c for c, _, _ in counts})
    assert majority / 344 > 0.7  # clusters mostly hold one species each
    cur.execute("SELECT bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g FROM penguins")
    X = np.array(cur.fetchall(), dtype=float)
    X = np.where(np.isnan(X), np.nanmean(X, axis=0), X)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    (ratio,) = _one(con, "SELECT total_explained_variance_ratio FROM ML.EVALUATE(MODEL penguin_axes)")
    assert ratio == pytest.approx(PCA(2).fit(X).explained_variance_ratio_.sum(), rel=1e-9)


def check_tuning(con):
    cur = con.cursor()
    cur.execute(
        "SELECT hparam_tuning_evaluation_metrics.mean_absolute_error, is_optimal FROM ML.TRIAL_INFO(MODEL mpg_tuned)"
    )
    trials = cur.fetchall()
    assert len(trials) == 8 and [t for t in trials if t[1]][0][0] == min(t[0] for t in trials)
    cur.execute("SELECT DISTINCT training_run FROM ML.TRAINING_INFO(MODEL mpg_boosted) ORDER BY 1")
    assert cur.fetchall() == [(0,), (1,)]
    (auto_mae,) = _one(
        con,
        "SELECT mean_absolute_error FROM ML.EVALUATE(MODEL mpg_auto, (FROM cars WHERE "
        "model_year = 1982 AND mpg IS NOT NULL))",
    )
    assert auto_mae < 6  # mpg spans 9-47


def check_export(con):
    """The exported files, run by the device runner, give ML.PREDICT's species for every penguin."""
    from sqlml.export.runner import predict

    for model in ("species_tree", "species_dnn"):
        header, rows = predict(f"sql_examples/edge/{model}.onnx", "sql_examples/edge/penguins.csv")
        cur = con.cursor()
        cur.execute(f"SELECT predicted_species FROM ML.PREDICT(MODEL {model}, TABLE penguins) ORDER BY penguin_id")
        expected = [r[0] for r in cur.fetchall()]
        got = [row[header.index("predicted_species")] for row in rows]
        agreement = sum(a == b for a, b in zip(got, expected)) / len(expected)
        assert len(got) == 344 and agreement >= (0.999 if model == "species_tree" else 0.98), (model, agreement)


def check_trust(con):
    """The constrained version narrows fairlearn's gap between the sexes; slices select their rows; the card
    has every section."""
    from fairlearn.metrics import demographic_parity_difference

    cur = con.cursor()
    gaps = []
    for version in (1, 2):
        cur.execute(
            f"SELECT heavy, predicted_heavy, sex FROM ML.PREDICT(MODEL heavy_model VERSION {version}, TABLE heavy)"
        )
        truth, predicted, sex = zip(*cur.fetchall())
        gaps.append(demographic_parity_difference(truth, predicted, sensitive_features=sex))
    assert gaps[1] < gaps[0]
    cur.execute("SELECT slice, size FROM ML.ERROR_SLICES(MODEL heavy_model, TABLE heavy)")
    for where, size in cur.fetchall():
        assert _one(con, f"SELECT count(*) FROM heavy WHERE {where}") == (size,)
    (card,) = _one(con, "SELECT model_card FROM heavy_card")
    for section in (
        "Overview",
        "Specification",
        "Training data and lineage",
        "Intended use and limitations",
        "Metrics",
        "Explanations",
        "Fairness",
        "Error slices",
        "Version history",
    ):
        assert f"## {section}" in card
    assert "trained to select both sexes at the same rate" in card


def check_bigquery(con):
    """The GoogleSQL tutorial's model trained on exactly the rows FARM_FINGERPRINT picks (FarmHash's
    Fingerprint64, computed here with the library itself), and explains the held-out rows' body mass."""
    import farmhash
    import numpy as np

    cur = con.cursor()
    cur.execute("SELECT penguin_id, body_mass_g FROM ml_datasets.penguins WHERE body_mass_g IS NOT NULL")
    rows = cur.fetchall()

    def signed(value: int) -> int:
        return value - 2**64 if value >= 2**63 else value

    picked = [i for i, _ in rows if abs(signed(farmhash.Fingerprint64(str(i).encode()))) % 10 < 8]
    assert _one(
        con, "SELECT training_rows + eval_rows FROM sqlml.model_versions WHERE model_name = 'penguins_model'"
    ) == (len(picked),)
    (r2,) = _one(con, "SELECT r2_score FROM ML.EVALUATE(MODEL bqml_tutorial.penguins_model)")
    assert 0.7 < r2 < 1 and np.isfinite(r2)


def check_forecasting(con):
    """The 12 forecast months are the held-out year; ML.EVALUATE's errors are those numpy computes from
    ML.FORECAST and the CSV; the 90% interval is log-normal around the forecast (the series is modelled in a log
    scale), its width 2 z(0.95) standard_error (scipy's normal quantile); the decomposition adds up to the data."""
    import numpy as np
    from scipy.stats import norm

    cur = con.cursor()
    assert _one(con, "SELECT training_rows FROM sqlml.model_versions WHERE model_name = 'passengers_arima'") == (132,)
    cur.execute(
        "SELECT f.forecast_value, f.standard_error, f.prediction_interval_lower_bound, "
        "f.prediction_interval_upper_bound, a.passengers "
        "FROM ML.FORECAST(MODEL passengers_arima, STRUCT(12 AS horizon, 0.9 AS confidence_level)) f "
        "JOIN air_passengers a ON a.month = CAST(f.forecast_timestamp AS DATE) ORDER BY a.month"
    )
    value, se, lower, upper, actual = np.array(cur.fetchall(), dtype=float).T
    assert len(value) == 12 and _one(con, "SELECT count(*) FROM air_passengers WHERE month >= '1960-01-01'") == (12,)
    # the seasonal swing grows with the level: a log scale, where the interval is value * exp(+- z * its error),
    # and the standard error reported is the interval's half-width over z
    np.testing.assert_allclose(upper - lower, 2 * norm.ppf(0.95) * se, rtol=1e-9)
    np.testing.assert_allclose(lower * upper, value**2, rtol=1e-9)
    mae, mape = _one(
        con,
        "SELECT mean_absolute_error, mean_absolute_percentage_error FROM ML.EVALUATE(MODEL passengers_arima, "
        "(FROM air_passengers WHERE month >= '1960-01-01'), STRUCT(12 AS horizon))",
    )
    assert mae == pytest.approx(np.mean(np.abs(actual - value)), rel=1e-9)
    assert mape == pytest.approx(np.mean(np.abs(actual - value) / actual) * 100, rel=1e-9)
    assert mape < 10  # a seasonal model of a seasonal series
    cur.execute(
        "SELECT time_series_data, trend + seasonal_period_yearly + coalesce(spikes_and_dips, 0) "
        "+ coalesce(step_changes, 0) + residual FROM ML.EXPLAIN_FORECAST(MODEL passengers_arima) "
        "WHERE time_series_type = 'history' ORDER BY time_series_timestamp"
    )
    data, parts = np.array(cur.fetchall(), dtype=float).T
    cur.execute("SELECT passengers FROM air_passengers WHERE month < '1960-01-01' ORDER BY month")
    np.testing.assert_array_equal(data, [r[0] for r in cur.fetchall()])
    np.testing.assert_allclose(parts, data, atol=1e-6)


def check_recommendations(con):
    before = "to_timestamp(timestamp) < TIMESTAMP '2015-01-01'"
    assert _one(con, "SELECT training_rows FROM sqlml.model_versions WHERE model_name = 'movie_recommender'") == _one(
        con, f"SELECT count(*) FROM ratings WHERE {before}"
    )
    # held-out RMSE below that of the training ratings' mean, both from the raw rows
    (rmse,) = _one(
        con,
        "SELECT sqrt(mean_squared_error) FROM ML.EVALUATE(MODEL movie_recommender, "
        f"(SELECT userId, movieId, rating FROM ratings WHERE NOT ({before})))",
    )
    (constant,) = _one(
        con,
        f"SELECT sqrt(avg((rating - (SELECT avg(rating) FROM ratings WHERE {before})) ** 2)) FROM ratings "
        f"WHERE NOT ({before})",
    )
    assert rmse < constant
    # top_k: three movies for every user with a training rating, none twice
    users, rows, pairs = _one(
        con,
        "SELECT count(DISTINCT userId), count(*), count(DISTINCT (userId, movieId)) "
        "FROM ML.RECOMMEND(MODEL movie_recommender, STRUCT(3 AS top_k))",
    )
    assert (users, rows, pairs) == (
        *_one(con, f"SELECT count(DISTINCT userId) FROM ratings WHERE {before}"),
        3 * users,
        3 * users,
    )


CHECKS = {
    "01_regression_cars.sql": check_cars,
    "02_classification_penguins.sql": check_penguins,
    "03_transform_penguins.sql": check_transform,
    "04_text_reviews.sql": check_reviews,
    "05_clustering_penguins.sql": check_clusters,
    "06_tuning_cars.sql": check_tuning,
    "07_export_penguins.sql": check_export,
    "08_trust_penguins.sql": check_trust,
    "09_bigquery_penguins.sql": check_bigquery,
    "10_forecasting_air_passengers.sql": check_forecasting,
    "11_recommendations_movielens.sql": check_recommendations,
}


def test_every_example_has_a_check():
    assert [p.name for p in EXAMPLES] == sorted(CHECKS)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A scratch copy of the repository's layout the scripts use (they read sql_examples/data/ and write
    sql_examples/edge/ relative to where they run), so that nothing is written into the source tree."""
    shutil.copytree(ROOT / "sql_examples" / "data", tmp_path / "sql_examples" / "data")
    (tmp_path / "sql_examples" / "edge").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(example, workdir, capsys):
    database = str(workdir / "example.duckdb")
    assert cli_main([database, str(example)]) == 0, capsys.readouterr().err
    assert "│" in capsys.readouterr().out  # results were printed as tables
    with sqlml.connect(database) as con:
        CHECKS[example.name](con)
