"""Matrix factorization: accuracy on MovieLens and speed against the raw libraries, in one run.

    python -m benchmarks.recommend [--quick]

Accuracy (sql_examples/data/movielens_ratings.parquet, its source in that folder's README: 100,004 ratings of
9,066 movies by 671 users). Each user's ratings are split by time: the latest 20% (at least one) are test rows,
the rest train.

- EXPLICIT: test RMSE of CREATE MODEL ... feedback_type='EXPLICIT' (ML.PREDICT of the test pairs) against (a) the
  same factorization fitted directly here, a plain per-user / per-item loop of numpy solves of the same objective
  (the `implicit` library has no explicit-feedback model), and (b) a user + item bias baseline (mu + b_u + b_i,
  ridge-fitted by alternating means); for reference, scikit-surprise's SVD (biased MF by SGD, with the `bench`
  extra installed). The issue's bar: RMSE <= 1.02x the direct fit's, and below the baseline's.
- IMPLICIT: the ratings as implicit feedback (the rating the strength); MAP@10 and NDCG@10 on the test rows of
  CREATE MODEL ... feedback_type='IMPLICIT' against `implicit`'s AlternatingLeastSquares fitted directly with the
  same hyperparameters (factors, regularization, confidences 1 + alpha * r, iterations, seed). Both are scored by
  `implicit.evaluation.ranking_metrics_at_k` (training items filtered out of each user's top 10), sqlml's factors
  read from ML.WEIGHTS. The bar: each >= the direct fit's minus 2%.

Speed (1,000,000 synthetic implicit ratings: 20,000 users x 5,000 items, 50 per user, drawn from a planted
rank-8 model):

- training: CREATE MODEL (IMPLICIT, 32 factors, 10 iterations, early_stop=FALSE) from a DuckDB table, against the
  raw library: the same table read by DuckDB into Arrow, users and items mapped to ids (numpy.unique), the CSR
  matrix built and `implicit` fitted with the same hyperparameters. The bar: <= 1.2x.
- top-10 for every user: SELECT * FROM ML.RECOMMEND(MODEL m, STRUCT(10 AS top_k)) read as Arrow, against a
  hand-written numpy top-k over the same factors (blocks of users: scores by one matrix product, argpartition,
  sort). The bar: >= 0.5x the throughput. The alternative of one DuckDB query over factor tables (a dot product
  per user-item pair, QUALIFY row_number() <= 10) is timed on 500 users and reported per user, against the
  streamed top-k on the same users: the faster, kept in sqlml, is the streamed one.

Timing never gates CI; `--quick` runs small sizes once to check the harness.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

import sqlml

DATA = Path(__file__).resolve().parents[1] / "sql_examples" / "data" / "movielens_ratings.parquet"
EXPLICIT = {"num_factors": 10, "l2_reg": 10.0, "max_iterations": 20}
IMPLICIT = {"num_factors": 32, "l2_reg": 1.0, "wals_alpha": 2.0, "max_iterations": 15}


def _split(con: sqlml.Connection) -> None:
    """Tables train and test: each user's latest 20% of ratings (at least one) test, by time."""
    cur = con.cursor()
    cur.execute(
        f"""CREATE TABLE rated AS SELECT userId, movieId, rating,
              row_number() OVER (PARTITION BY userId ORDER BY timestamp, movieId) AS position,
              count(*) OVER (PARTITION BY userId) AS n
            FROM read_parquet('{DATA}')"""
    )
    cur.execute(
        "CREATE TABLE train AS SELECT userId, movieId, rating FROM rated WHERE position <= n - greatest(1, n // 5)"
    )
    cur.execute(
        "CREATE TABLE test AS SELECT userId, movieId, rating FROM rated WHERE position > n - greatest(1, n // 5)"
    )


def _arrays(con: sqlml.Connection, table: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cur = con.cursor()
    cur.execute(f"SELECT userId, movieId, rating FROM {table}")
    rows = cur.fetch_arrow_table()
    return tuple(rows.column(i).to_numpy() for i in range(3))


def _options(feedback: str, values: dict, extra: str = "") -> str:
    given = ", ".join(f"{name} = {value}" for name, value in values.items())
    return (
        f"OPTIONS (model_type = 'matrix_factorization', feedback_type = '{feedback}', user_col = 'userId', "
        f"item_col = 'movieId', rating_col = 'rating', early_stop = FALSE, {given}{extra})"
    )


# ---- EXPLICIT: the same factorization fitted directly, and a bias baseline -----------------------------------------


def direct_explicit(users, items, ratings, k: int, l2: float, iterations: int, seed: int = 0):
    """ALS with a global, per-user and per-item intercept, one numpy solve per user and per item (the objective of
    engine/recommend/als.py written as plainly as possible): a predictor of (user ids, item ids)."""
    user_keys, u = np.unique(users, return_inverse=True)
    item_keys, i = np.unique(items, return_inverse=True)
    mu = ratings.mean()
    rng = np.random.default_rng(seed)
    X, Y = (
        np.zeros((len(user_keys), k + 1)),
        np.column_stack([rng.normal(0, 0.1, (len(item_keys), k)), np.zeros(len(item_keys))]),
    )
    by_user = [np.flatnonzero(u == n) for n in range(len(user_keys))]
    by_item = [np.flatnonzero(i == n) for n in range(len(item_keys))]
    ridge = l2 * np.eye(k + 1)
    for _ in range(iterations):
        for n, rows in enumerate(by_user):  # [x_u, b_u] on [y_i, 1], target r - mu - c_i
            A = np.column_stack([Y[i[rows], :k], np.ones(len(rows))])
            X[n] = np.linalg.solve(A.T @ A + ridge, A.T @ (ratings[rows] - mu - Y[i[rows], k]))
        for n, rows in enumerate(by_item):
            A = np.column_stack([X[u[rows], :k], np.ones(len(rows))])
            Y[n] = np.linalg.solve(A.T @ A + ridge, A.T @ (ratings[rows] - mu - X[u[rows], k]))

    def predict(test_users, test_items):
        pu, pi = np.searchsorted(user_keys, test_users), np.searchsorted(item_keys, test_items)
        known_u = (pu < len(user_keys)) & (user_keys[np.minimum(pu, len(user_keys) - 1)] == test_users)
        known_i = (pi < len(item_keys)) & (item_keys[np.minimum(pi, len(item_keys) - 1)] == test_items)
        out = np.full(len(test_users), mu)
        out[known_u] += X[pu[known_u], k]
        out[known_i] += Y[pi[known_i], k]
        both = known_u & known_i
        out[both] += np.einsum("ij,ij->i", X[pu[both], :k], Y[pi[both], :k])
        return out

    return predict


def bias_baseline(users, items, ratings, l2: float = 10.0, iterations: int = 10):
    """mu + b_u + b_i, each bias the ridge mean of its residuals, alternated: a predictor of (user ids, item ids)."""
    user_keys, u = np.unique(users, return_inverse=True)
    item_keys, i = np.unique(items, return_inverse=True)
    mu, bu, bi = ratings.mean(), np.zeros(len(user_keys)), np.zeros(len(item_keys))
    for _ in range(iterations):
        bu = np.bincount(u, ratings - mu - bi[i], len(user_keys)) / (np.bincount(u, minlength=len(user_keys)) + l2)
        bi = np.bincount(i, ratings - mu - bu[u], len(item_keys)) / (np.bincount(i, minlength=len(item_keys)) + l2)
    lookup_u, lookup_i = dict(zip(user_keys, bu)), dict(zip(item_keys, bi))
    return lambda tu, ti: (
        mu + np.array([lookup_u.get(a, 0.0) for a in tu]) + np.array([lookup_i.get(b, 0.0) for b in ti])
    )


def explicit_accuracy(con: sqlml.Connection, quick: bool) -> dict:
    values = {**EXPLICIT, "max_iterations": 3 if quick else EXPLICIT["max_iterations"]}
    cur = con.cursor()
    cur.execute(f"CREATE MODEL explicit_mf {_options('EXPLICIT', values)} AS SELECT * FROM train")
    cur.execute("SELECT rating, predicted_rating FROM ML.PREDICT(MODEL explicit_mf, TABLE test)")
    truth, ours = np.array(cur.fetchall()).T
    rmse = lambda predicted: float(np.sqrt(np.mean((truth - predicted) ** 2)))
    train, test = _arrays(con, "train"), _arrays(con, "test")
    direct = direct_explicit(*train, values["num_factors"], values["l2_reg"], values["max_iterations"])
    return {
        "sqlml": rmse(ours),
        "direct": rmse(direct(*test[:2])),
        "baseline": rmse(bias_baseline(*train)(*test[:2])),
        "surprise": rmse(surprise_svd(*train, values["num_factors"])(*test[:2])) if _has_surprise() else None,
    }


def _has_surprise() -> bool:
    import importlib.util

    return importlib.util.find_spec("surprise") is not None


def surprise_svd(users, items, ratings, k: int):
    """scikit-surprise's SVD (biased matrix factorization fitted by SGD, its default rate, regularization and
    epochs; `k` factors): a library's explicit model, beside the direct fit of sqlml's own objective."""
    import pandas as pd
    from surprise import SVD, Dataset, Reader

    frame = pd.DataFrame({"u": users, "i": items, "r": ratings})
    model = SVD(n_factors=k, random_state=0).fit(
        Dataset.load_from_df(frame, Reader(rating_scale=(0.5, 5.0))).build_full_trainset()
    )
    return lambda tu, ti: np.array([model.predict(a, b).est for a, b in zip(tu, ti)])


# ---- IMPLICIT: against the implicit library fitted directly ----------------------------------------------------------


def implicit_accuracy(con: sqlml.Connection, quick: bool) -> dict:
    import scipy.sparse as sp
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.evaluation import ranking_metrics_at_k
    from threadpoolctl import threadpool_limits

    values = {**IMPLICIT, "max_iterations": 3 if quick else IMPLICIT["max_iterations"]}
    cur = con.cursor()
    cur.execute(f"CREATE MODEL implicit_mf {_options('IMPLICIT', values)} AS SELECT * FROM train")
    (tu, ti, tr), (eu, ei, er) = _arrays(con, "train"), _arrays(con, "test")
    user_keys, item_keys = np.unique(tu), np.unique(ti)

    def matrix(users, items, values_):
        keep = np.isin(items, item_keys)
        rows, cols = np.searchsorted(user_keys, users[keep]), np.searchsorted(item_keys, items[keep])
        return sp.csr_matrix((values_[keep], (rows, cols)), shape=(len(user_keys), len(item_keys)))

    train, test = matrix(tu, ti, tr), matrix(eu, ei, er)
    confidence = train.copy()
    confidence.data = 1 + values["wals_alpha"] * confidence.data
    with threadpool_limits(1, "blas"):
        direct = AlternatingLeastSquares(
            factors=values["num_factors"],
            regularization=values["l2_reg"],
            iterations=values["max_iterations"],
            random_state=0,
        )
        direct.fit(confidence.astype(np.float32), show_progress=False)
        ours = AlternatingLeastSquares(factors=values["num_factors"])
        ours.user_factors, ours.item_factors = _weights(cur, "implicit_mf", user_keys, item_keys)
        scores = {
            name: ranking_metrics_at_k(model, train, test, K=10, show_progress=False)
            for name, model in (("sqlml", ours), ("direct", direct))
        }
    return {name: {"map@10": s["map"], "ndcg@10": s["ndcg"]} for name, s in scores.items()}


def _weights(cur, model: str, user_keys: np.ndarray, item_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The user and item factor matrices of `model`, rows in the order of the keys, from ML.WEIGHTS."""
    cur.execute(
        f"SELECT processed_input, feature, [w.weight FOR w IN factor_weights] FROM ML.WEIGHTS(MODEL {model}) "
        "WHERE processed_input IS NOT NULL"
    )
    rows = cur.fetch_arrow_table()
    side, feature = rows.column(0).to_numpy(zero_copy_only=False), rows.column(1).to_numpy(zero_copy_only=False)
    vectors = np.array(rows.column(2).to_pylist(), dtype=np.float32)

    def ordered(name: str, keys: np.ndarray) -> np.ndarray:
        mine = side == name
        position = {int(key): n for n, key in enumerate(feature[mine])}
        return vectors[mine][[position[int(key)] for key in keys]]

    return ordered("userId", user_keys), ordered("movieId", item_keys)


# ---- speed -------------------------------------------------------------------------------------------------------


def write_synthetic(path: Path, users: int, items: int, per_user: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    taste_u, taste_i = rng.normal(size=(users, 8)), rng.normal(size=(items, 8))
    user_ids = np.repeat(np.arange(users), per_user)
    popularity = np.exp(rng.normal(0, 1, items))
    item_ids = rng.choice(items, users * per_user, p=popularity / popularity.sum())
    strength = np.exp(0.3 * np.einsum("ij,ij->i", taste_u[user_ids], taste_i[item_ids]))
    table = pa.table({"user_id": user_ids, "item_id": item_ids, "plays": rng.poisson(strength) + 1.0})
    with duckdb.connect(str(path)) as con:
        con.register("frame", table)
        con.execute("CREATE TABLE plays AS SELECT * FROM frame")


SPEED = {"num_factors": 32, "l2_reg": 1.0, "wals_alpha": 1.0, "max_iterations": 10}


def raw_training(cur):
    """What an `implicit` user writes: the table into Arrow (DuckDB's plain query, passed through by the cursor), ids
    by numpy.unique, the CSR matrix, the fit."""
    import scipy.sparse as sp
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    table = cur.execute("SELECT user_id, item_id, plays FROM plays").fetch_arrow_table()
    user_keys, u = np.unique(table.column(0).to_numpy(), return_inverse=True)
    item_keys, i = np.unique(table.column(1).to_numpy(), return_inverse=True)
    matrix = sp.csr_matrix((table.column(2).to_numpy(), (u, i)), shape=(len(user_keys), len(item_keys)))
    matrix.data = (1 + SPEED["wals_alpha"] * matrix.data).astype(np.float32)
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=SPEED["num_factors"], regularization=SPEED["l2_reg"], iterations=SPEED["max_iterations"],
            random_state=0,
        )  # fmt: skip
        model.fit(matrix, show_progress=False)
    return model


def numpy_top_k(user_factors: np.ndarray, item_factors: np.ndarray, item_intercepts: np.ndarray, k: int = 10):
    """Every user's k best items by a hand-written blocked numpy top-k: (item positions, scores)."""
    block = max(1, (1 << 21) // len(item_factors))
    best, best_scores = [], []
    for start in range(0, len(user_factors), block):
        scores = user_factors[start : start + block] @ item_factors.T + item_intercepts
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        top_scores = np.take_along_axis(scores, top, axis=1)
        order = np.argsort(-top_scores, axis=1)
        best.append(np.take_along_axis(top, order, axis=1))
        best_scores.append(np.take_along_axis(top_scores, order, axis=1))
    return np.concatenate(best), np.concatenate(best_scores)


def speed(work: Path, quick: bool) -> dict:
    users, items, per_user = (2_000, 500, 50) if quick else (20_000, 5_000, 50)
    path = work / "plays.duckdb"
    write_synthetic(path, users, items, per_user)
    options = ", ".join(f"{name} = {value}" for name, value in SPEED.items())
    create = (
        "CREATE OR REPLACE MODEL m OPTIONS (model_type = 'matrix_factorization', feedback_type = 'IMPLICIT', "
        f"user_col = 'user_id', item_col = 'item_id', rating_col = 'plays', early_stop = FALSE, {options}) "
        "AS SELECT user_id, item_id, plays FROM plays"
    )
    with sqlml.connect(str(path)) as con:
        cur = con.cursor()
        raw_training(cur)  # warm-up: the library's first call
        runs = 1 if quick else 3
        ours, raw = [], []
        for _ in range(runs):
            ours.append(_seconds(lambda: cur.execute(create)))
            raw.append(_seconds(lambda: raw_training(cur)))
        result = {"training": (min(ours), min(raw)), "ratings": users * per_user}
        weights = (
            "SELECT [w.weight FOR w IN factor_weights], intercept FROM ML.WEIGHTS(MODEL m) WHERE processed_input = "
        )
        stored_users = cur.execute(weights + "'user_id'").fetch_arrow_table()
        stored_items = cur.execute(weights + "'item_id'").fetch_arrow_table()
        U = np.array(stored_users.column(0).to_pylist())
        V, c = np.array(stored_items.column(0).to_pylist()), stored_items.column(1).to_numpy()
        top = "SELECT * FROM ML.RECOMMEND(MODEL m, STRUCT(10 AS top_k))"

        def recommend():
            cur.execute(top)
            return cur.fetch_arrow_table()

        assert recommend().num_rows == 10 * users
        ours, raw = [], []
        for _ in range(runs):
            ours.append(_seconds(recommend))
            raw.append(_seconds(lambda: numpy_top_k(U, V, c)))
        result["top10"] = (min(ours), min(raw))
        result["duckdb_query"] = duckdb_top_k(U[:500], V, c)
        sample = (
            "SELECT * FROM ML.RECOMMEND(MODEL m, (SELECT DISTINCT user_id FROM plays ORDER BY user_id LIMIT 500), "
            "STRUCT(10 AS top_k))"
        )
        result["streamed_500"] = _seconds(lambda: cur.execute(sample).fetch_arrow_table())
    return result


def duckdb_top_k(U: np.ndarray, V: np.ndarray, c: np.ndarray) -> float:
    """Seconds of the one-query alternative, in DuckDB itself: factor tables as DOUBLE[k] arrays, a dot product per
    user-item pair, the 10 best per user by a window."""
    k = U.shape[1]
    users = pa.table({"uid": np.arange(len(U)), "vec": pa.FixedSizeListArray.from_arrays(pa.array(U.ravel()), k)})
    items = pa.table(
        {"iid": np.arange(len(V)), "vec": pa.FixedSizeListArray.from_arrays(pa.array(V.ravel()), k), "c": c}
    )
    raw = duckdb.connect()
    raw.register("users_f", users)
    raw.register("items_f", items)
    raw.execute(f"CREATE TABLE u AS SELECT uid, vec::DOUBLE[{k}] AS vec FROM users_f")
    raw.execute(f"CREATE TABLE i AS SELECT iid, vec::DOUBLE[{k}] AS vec, c FROM items_f")
    query = (
        "SELECT uid, iid, array_inner_product(u.vec, i.vec) + c AS score FROM u, i "
        "QUALIFY row_number() OVER (PARTITION BY uid ORDER BY score DESC) <= 10"
    )
    return _seconds(lambda: raw.sql(query).to_arrow_table())


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, one run: checks the harness works")
    args = parser.parse_args(argv)
    with sqlml.connect() as con:
        _split(con)
        explicit = explicit_accuracy(con, args.quick)
        implicit = implicit_accuracy(con, args.quick)
    print("MovieLens (671 users, 9,066 movies; each user's latest 20% of ratings the test rows)")
    print(
        f"  EXPLICIT test RMSE: sqlml {explicit['sqlml']:.4f}, direct fit {explicit['direct']:.4f} "
        f"({explicit['sqlml'] / explicit['direct']:.3f}x, bar <= 1.02x), "
        f"user+item bias baseline {explicit['baseline']:.4f}"
    )
    print(
        f"  EXPLICIT test RMSE of scikit-surprise's SVD, {EXPLICIT['num_factors']} factors: "
        + (f"{explicit['surprise']:.4f}" if explicit["surprise"] is not None else "not installed (the bench extra)")
    )
    for metric in ("map@10", "ndcg@10"):
        ours, direct = implicit["sqlml"][metric], implicit["direct"][metric]
        print(
            f"  IMPLICIT {metric}: sqlml {ours:.4f}, implicit fitted directly {direct:.4f} "
            f"({ours / direct:.3f}x, bar >= 0.98x)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        t = speed(Path(tmp), args.quick)
    ours, raw = t["training"]
    print(
        f"{'MF training, ' + format(t['ratings'], ',') + ' ratings (time)':<44}{ours:>9.3f}s{raw:>9.3f}s"
        f"{ours / raw:>8.2f}x  <= 1.2 (raw = implicit)"
    )
    ours, raw = t["top10"]
    print(
        f"{'ML.RECOMMEND top-10, every user (thr.)':<44}{ours:>9.3f}s{raw:>9.3f}s"
        f"{raw / ours:>8.2f}x  >= 0.5 (raw = numpy top-k)"
    )
    print(
        f"  top-10 of 500 users: streamed blocks {t['streamed_500'] * 1000:.0f} ms, one DuckDB query over factor "
        f"tables {t['duckdb_query'] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
