"""MATRIX_FACTORIZATION (https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-matrix-factorization)
and its functions: ML.RECOMMEND (https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-recommend),
ML.PREDICT, ML.EVALUATE (https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-evaluate) and
ML.WEIGHTS (https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-weights).

References are independent of the code under test: each explicit user's and item's vector is checked to solve its
ridge problem (scikit-learn's Ridge on the same rows); implicit factors equal the `implicit` library's fitted
directly; metrics are scikit-learn's on the model's own weights, read through ML.WEIGHTS.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.linear_model import Ridge

import sqlml
from tests.engine.reference import fails, mf_weights, planted_ratings

L2 = 0.5
K = 3


@pytest.fixture
def ratings(con, tmp_path):
    """Table r: explicit ratings of 20 users, 12 items; table c: implicit counts."""
    cur = con.cursor()
    for name, frame in (("r", planted_ratings(20, 12, 6, 0)), ("c", planted_ratings(20, 12, 5, 1, implicit=True))):
        path = tmp_path / f"{name}.parquet"
        frame.to_parquet(path)
        cur.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{path}')")
    return cur


def _explicit(cur, iterations: int = 300, extra: str = "") -> None:
    cur.execute(
        f"CREATE OR REPLACE MODEL m OPTIONS(model_type='matrix_factorization', num_factors={K}, l2_reg={L2}, "
        f"max_iterations={iterations}, early_stop=FALSE{extra}) AS SELECT user, item, rating FROM r"
    )


def _implicit(cur, options: str) -> tuple[dict, dict, float]:
    """ML.WEIGHTS of model mi, an IMPLICIT model of table c with 3 factors and `options`."""
    cur.execute(
        "CREATE MODEL mi OPTIONS(model_type='matrix_factorization', feedback_type='IMPLICIT', num_factors=3, "
        f"{options}) AS SELECT * FROM c"
    )
    return mf_weights(cur, "mi")


def test_explicit_factors_solve_their_ridge_problems(ratings):
    """At convergence each user's [factors, intercept] is the ridge solution of its ratings (less the global and
    item intercepts) on its items' [factors, 1], and each item's likewise; the global intercept is the mean."""
    cur = ratings
    _explicit(cur)
    users, items, mu = mf_weights(cur, "m")
    cur.execute("SELECT avg(rating) FROM r")
    assert mu == pytest.approx(cur.fetchone()[0], abs=1e-12)
    cur.execute("SELECT user, item::VARCHAR, rating FROM r")
    rows = cur.fetchall()
    for side, own, other in ((0, users, items), (1, items, users)):
        for key, (vector, intercept) in own.items():
            mine = [row for row in rows if row[side] == key]
            design = np.array([[*other[row[1 - side]][0], 1.0] for row in mine])
            target = np.array([row[2] - mu - other[row[1 - side]][1] for row in mine])
            ridge = Ridge(alpha=L2, fit_intercept=False).fit(design, target)
            assert np.allclose(ridge.coef_, [*vector, intercept], atol=1e-6), (side, key)
    assert len(users) == 20 and len(items) == 12


def test_explicit_objective_falls_every_iteration(ratings):
    """The regularized least-squares objective (BigQuery ML's loss plus the intercepts' penalty), computed here
    from ML.WEIGHTS, falls with every further iteration (training is deterministic: n+1 iterations continue n)."""
    cur = ratings
    cur.execute("SELECT user, item::VARCHAR, rating FROM r")
    rows = cur.fetchall()
    objectives = []
    for iterations in range(1, 7):
        _explicit(cur, iterations)
        users, items, mu = mf_weights(cur, "m")
        residuals = [r - mu - users[u][1] - items[i][1] - users[u][0] @ items[i][0] for u, i, r in rows]
        penalty = sum(v @ v + b * b for side in (users, items) for v, b in side.values())
        objectives.append(np.sum(np.square(residuals)) + L2 * penalty)
    assert all(later < earlier for earlier, later in zip(objectives, objectives[1:])), objectives
    cur.execute("SELECT count(*), min(iteration), max(iteration) FROM ML.TRAINING_INFO(MODEL m)")
    assert cur.fetchone() == (6, 0, 5)


def test_early_stop_ends_training_before_max_iterations(ratings):
    cur = ratings
    cur.execute(
        "CREATE MODEL m OPTIONS(model_type='matrix_factorization', num_factors=3, max_iterations=200, "
        "min_rel_progress=0.01) AS SELECT * FROM r"
    )
    cur.execute("SELECT count(*) FROM ML.TRAINING_INFO(MODEL m)")
    assert 1 < cur.fetchone()[0] < 200


def test_implicit_factors_are_the_implicit_librarys(ratings):
    """IMPLICIT trains `implicit`'s ALS on BigQuery ML's confidences 1 + wals_alpha * r: the same factors as the
    library fitted directly with the same hyperparameters and seed; its intercepts are 0."""
    import scipy.sparse as sp
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    cur = ratings
    users, items, mu = _implicit(cur, "l2_reg=0.1, wals_alpha=2.0, max_iterations=8, early_stop=FALSE")
    cur.execute("SELECT user, item, rating FROM c")
    rows = cur.fetchall()
    user_keys, item_keys = sorted({r[0] for r in rows}), sorted({r[1] for r in rows})
    matrix = sp.csr_matrix(
        (
            [1 + 2.0 * r[2] for r in rows],
            ([user_keys.index(r[0]) for r in rows], [item_keys.index(r[1]) for r in rows]),
        ),
        shape=(len(user_keys), len(item_keys)),
    )
    with threadpool_limits(1, "blas"):
        direct = AlternatingLeastSquares(factors=3, regularization=0.1, iterations=8, random_state=0)
        direct.fit(matrix, show_progress=False)
    assert mu == 0.0
    for keys, learned, factors in ((user_keys, users, direct.user_factors), (item_keys, items, direct.item_factors)):
        for position, key in enumerate(keys):
            vector, intercept = learned[str(key)]
            assert intercept == 0.0
            assert np.allclose(vector, factors[position], atol=1e-5)


def _scores(users: dict, items: dict, mu: float) -> dict:
    return {(u, i): mu + bu + bi + x @ y for u, (x, bu) in users.items() for i, (y, bi) in items.items()}


def test_recommend_scores_every_pair_and_top_k_keeps_the_best(ratings):
    cur = ratings
    _explicit(cur, 10)
    expected = _scores(*mf_weights(cur, "m"))
    cur.execute("SELECT user, item::VARCHAR, predicted_rating FROM ML.RECOMMEND(MODEL m)")
    got = {(u, i): p for u, i, p in cur.fetchall()}
    assert got.keys() == expected.keys()
    assert all(got[pair] == pytest.approx(expected[pair], abs=1e-9) for pair in got)
    cur.execute("SELECT * FROM ML.RECOMMEND(MODEL m, STRUCT(3 AS top_k))")
    assert [column[0] for column in cur.description] == ["predicted_rating", "user", "item"]
    top = cur.fetchall()
    for user in {u for u, _ in expected}:
        best = sorted((p for (u, _), p in expected.items() if u == user), reverse=True)[:3]
        assert [row[0] for row in top if row[1] == user] == pytest.approx(best, abs=1e-9)


def test_recommend_for_given_users_items_and_pairs(ratings):
    """Users alone: every item for each; items alone: every user for each; both: those pairs, other columns passed
    through. An unknown user gets the global intercept plus the item's (BigQuery ML's rule), and both unknown
    the global intercept."""
    cur = ratings
    _explicit(cur, 10)
    users, items, mu = mf_weights(cur, "m")
    cur.execute("SELECT item::VARCHAR, predicted_rating FROM ML.RECOMMEND(MODEL m, (SELECT 'u3' AS user))")
    assert {i: p for i, p in cur.fetchall()} == pytest.approx(
        {i: mu + users["u3"][1] + b + users["u3"][0] @ y for i, (y, b) in items.items()}
    )
    cur.execute("SELECT user, predicted_rating FROM ML.RECOMMEND(MODEL m, (SELECT 5 AS item))")
    assert {u: p for u, p in cur.fetchall()} == pytest.approx(
        {u: mu + b + items["5"][1] + x @ items["5"][0] for u, (x, b) in users.items()}
    )
    cur.execute(
        "SELECT * FROM ML.RECOMMEND(MODEL m, (SELECT * FROM (VALUES ('u1', 2, 'a'), ('new', 2, 'b'), ('new', 999, "
        "'c')) v(user, item, note)))"
    )
    assert [column[0] for column in cur.description] == ["predicted_rating", "user", "item", "note"]
    rows = cur.fetchall()
    assert rows[0][0] == pytest.approx(mu + users["u1"][1] + items["2"][1] + users["u1"][0] @ items["2"][0])
    assert rows[1][0] == pytest.approx(mu + items["2"][1]) and rows[2][0] == pytest.approx(mu)
    assert [row[1:] for row in rows] == [("u1", 2, "a"), ("new", 2, "b"), ("new", 999, "c")]
    cur.execute("SELECT predicted_rating FROM ML.PREDICT(MODEL m, (SELECT 'u1' AS user, 2 AS item))")
    assert cur.fetchone()[0] == pytest.approx(rows[0][0])


def test_evaluate_explicit_is_scikit_learns_regression_metrics(ratings):
    cur = ratings
    _explicit(cur, 10)
    cur.execute("SELECT rating, predicted_rating FROM ML.PREDICT(MODEL m, TABLE r)")
    y, p = np.array(cur.fetchall()).T
    cur.execute("SELECT * FROM ML.EVALUATE(MODEL m, TABLE r)")
    row = dict(zip([c[0] for c in cur.description], cur.fetchone()))
    assert row == pytest.approx(
        {
            "mean_absolute_error": skm.mean_absolute_error(y, p),
            "mean_squared_error": skm.mean_squared_error(y, p),
            "mean_squared_log_error": skm.mean_squared_log_error(y, p),
            "median_absolute_error": skm.median_absolute_error(y, p),
            "r2_score": skm.r2_score(y, p),
            "explained_variance": skm.explained_variance_score(y, p),
        }
    )
    cur.execute("SELECT * FROM ML.EVALUATE(MODEL m)")  # no split: measured on the training rows at training
    assert dict(zip([c[0] for c in cur.description], cur.fetchone())) == pytest.approx(row)


def test_evaluate_implicit_ranks_every_item_per_user(ratings):
    """mean_average_precision and NDCG are scikit-learn's average_precision_score and ndcg_score of each user's
    scores over every item (its rated items relevant, the rating its gain), averaged over users; average_rank
    is Hu et al.'s expected percentile rank; mean_squared_error of the preference 1 against the confidence."""
    cur = ratings
    users, items, _ = _implicit(cur, "max_iterations=5")
    cur.execute("SELECT user, item::VARCHAR, rating FROM c WHERE user IN ('u0', 'u1', 'u2', 'u3')")
    held = cur.fetchall()
    keys = sorted(items)
    aps, ndcgs, weighted, total, squared = [], [], 0.0, 0.0, []
    for user in sorted({row[0] for row in held}):
        scores = np.array([users[user][0] @ items[i][0] for i in keys])
        gains = np.zeros(len(keys))
        for _, item, rating in (row for row in held if row[0] == user):
            gains[keys.index(item)] = rating
            squared.append((1 - users[user][0] @ items[item][0]) ** 2)
        aps.append(skm.average_precision_score(gains > 0, scores))
        ndcgs.append(skm.ndcg_score([gains], [scores]))
        percentile = (np.argsort(np.argsort(-scores)) / (len(keys) - 1))[gains > 0]
        weighted, total = weighted + gains[gains > 0] @ percentile, total + gains.sum()
    cur.execute("SELECT * FROM ML.EVALUATE(MODEL mi, (SELECT * FROM c WHERE user IN ('u0', 'u1', 'u2', 'u3')))")
    row = dict(zip([c[0] for c in cur.description], cur.fetchone()))
    assert row == pytest.approx(
        {
            "mean_average_precision": np.mean(aps),
            "mean_squared_error": np.mean(squared),
            "normalized_discounted_cumulative_gain": np.mean(ndcgs),
            "average_rank": weighted / total,
        }
    )


def test_users_and_items_may_be_integers_or_strings_and_a_split_holds_rows_out(ratings):
    """Integer users, string items (cast); a RANDOM split's evaluation rows are what ML.EVALUATE without input
    measured, and a user only in them has no factors."""
    cur = ratings
    cur.execute(
        "CREATE MODEL m OPTIONS(model_type='matrix_factorization', user_col='uid', item_col='name', num_factors=2, "
        "data_split_method='RANDOM', data_split_eval_fraction=0.25) AS "
        "SELECT substr(user, 2)::INTEGER AS uid, 'i' || item AS name, rating FROM r"
    )
    cur.execute("SELECT count(*) FROM ML.WEIGHTS(MODEL m) WHERE processed_input = 'uid'")
    assert cur.fetchone()[0] <= 20
    cur.execute("SELECT * FROM ML.RECOMMEND(MODEL m, (SELECT 1 AS uid, 'i3' AS name))")
    assert [c[0] for c in cur.description] == ["predicted_rating", "uid", "name"]
    cur.execute("SELECT mean_squared_error FROM ML.EVALUATE(MODEL m)")
    held_out = cur.fetchone()[0]
    cur.execute("SELECT eval_loss FROM ML.TRAINING_INFO(MODEL m) ORDER BY iteration DESC LIMIT 1")
    assert held_out > 0 and cur.fetchone()[0] == pytest.approx(held_out)  # the last iteration's held-out MSE


def test_generate_embedding_holds_the_weights_and_the_intercept_last(ratings):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-generate-embedding: a row per
    user and item, ml_generate_embedding_result the factor weights with the intercept last."""
    cur = ratings
    _explicit(cur, 5)
    users, items, _ = mf_weights(cur, "m")
    cur.execute("SELECT * FROM ML.GENERATE_EMBEDDING(MODEL m)")
    assert [c[0] for c in cur.description] == ["ml_generate_embedding_result", "processed_input", "feature"]
    rows = cur.fetchall()
    assert len(rows) == len(users) + len(items)
    for embedding, side, feature in rows:
        vector, intercept = (users if side == "user" else items)[feature]
        assert embedding == pytest.approx([*vector, intercept], abs=1e-12)
    with pytest.raises(sqlml.NotSupportedError, match="remote embedding model"):  # input rows: a remote model's
        cur.execute("SELECT * FROM ML.GENERATE_EMBEDDING(MODEL m, (SELECT 'a' AS content))")


def test_the_model_reloads_from_a_file_in_a_new_connection(tmp_path):
    path = tmp_path / "mf.duckdb"
    with sqlml.connect(str(path)) as con:
        cur = con.cursor()
        cur.execute(
            "CREATE TABLE r AS SELECT 'u' || (i % 7) AS user, i % 5 AS item, (i % 4 + 1)::DOUBLE AS rating FROM range(35) t(i)"
        )
        cur.execute("CREATE MODEL m OPTIONS(model_type='matrix_factorization', num_factors=2) AS SELECT * FROM r")
        cur.execute("SELECT * FROM ML.RECOMMEND(MODEL m) ORDER BY ALL")
        before = cur.fetchall()
        cur.execute("SELECT artifact_format FROM sqlml.model_versions")
        assert cur.fetchone()[0] == "arrow"
    with sqlml.connect(str(path)) as con:
        cur = con.cursor()
        cur.execute("SELECT * FROM ML.RECOMMEND(MODEL m) ORDER BY ALL")
        assert cur.fetchall() == before


# ---- bad input: a clear error naming the column or option, the catalog unchanged --------------------------------

MF = "CREATE MODEL bad OPTIONS(model_type='matrix_factorization'{options}) AS {query}"


@pytest.mark.parametrize(
    "options, query, error, fragments",
    [
        (
            "",
            "SELECT user, item, 'x' || rating AS rating FROM r",
            sqlml.ProgrammingError,
            ["rating_col 'rating'", "numeric", "VARCHAR"],
        ),
        ("", "SELECT NULL::VARCHAR AS user, item, rating FROM r", sqlml.DataError, ["user_col 'user'", "NULL in all"]),
        (", num_factors=13", "SELECT * FROM r", sqlml.DataError, ["num_factors = 13", "12 items"]),
        (
            ", feedback_type='RATINGS'",
            "SELECT * FROM r",
            sqlml.ProgrammingError,
            ["feedback_type", "EXPLICIT", "IMPLICIT"],
        ),
        (
            ", item_col='movie'",
            "SELECT * FROM r",
            sqlml.ProgrammingError,
            ["item_col 'movie'", "not a column", "user, item, rating"],
        ),
        ("", "SELECT *, 1 AS extra FROM r", sqlml.ProgrammingError, ["extra", "leave them out"]),
        (", wals_alpha=2", "SELECT * FROM r", sqlml.ProgrammingError, ["wals_alpha", "IMPLICIT"]),
        ("", "SELECT [user] AS user, item, rating FROM r", sqlml.ProgrammingError, ["user_col 'user'", "scalar"]),
        ("", "SELECT * FROM r WHERE false", sqlml.DataError, ["no rows"]),
        (", num_factors=1", "SELECT * FROM r", sqlml.ProgrammingError, ["num_factors"]),
    ],
)
def test_bad_input_is_refused_naming_what_is_wrong(con, ratings, options, query, error, fragments):
    fails(con, MF.format(options=options, query=query), error, *fragments)


def test_bad_function_calls_name_the_column(con, ratings):
    _explicit(ratings, 3)
    fails(
        con,
        "SELECT * FROM ML.RECOMMEND(MODEL m, (SELECT 1 AS someone))",
        sqlml.ProgrammingError,
        "user column 'user'",
        "someone",
    )
    fails(con, "SELECT * FROM ML.PREDICT(MODEL m, (SELECT 'u1' AS user))", sqlml.ProgrammingError, "item column 'item'")
    fails(
        con,
        "SELECT * FROM ML.EVALUATE(MODEL m, (SELECT user, item FROM r))",
        sqlml.ProgrammingError,
        "rating column 'rating'",
    )
    fails(
        con, "SELECT * FROM ML.RECOMMEND(MODEL m, (SELECT user, 1 AS x FROM r))", sqlml.ProgrammingError, "'user'", "x"
    )
