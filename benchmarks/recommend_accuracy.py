"""Recommendation accuracy on MovieLens: sqlml's MATRIX_FACTORIZATION against the reference libraries fitted
directly on the same rows.

    python -m benchmarks.recommend_accuracy

The 100,004 ratings of benchmarks/data/movielens/ (see its README) are split by time per user: each user's
latest 20% of ratings (at least one) are the test rows, the rest the training rows; test rows of a movie no
training row rates are left out (no method can score them).

- EXPLICIT (ratings): sqlml's CREATE MODEL ... feedback_type='EXPLICIT' then ML.PREDICT on the test pairs, against
  scikit-surprise's SVD (biased matrix factorization, the field's classic explicit reference) with the same number
  of factors (the hyperparameters of BigQuery ML's MovieLens tutorial: 34 factors, l2_reg 9.83), and
  against the baseline of a global mean plus damped user and item biases (Koren 2010: item bias
  shrunk by 25 ratings, user bias by 10). Metric: test RMSE. The bar: sqlml within SVD's + 2%, and better than
  the baseline.
- IMPLICIT (ratings read as feedback strength): sqlml's feedback_type='IMPLICIT', the top 10 unseen movies per
  user from ML.RECOMMEND, against the `implicit` library's AlternatingLeastSquares fitted directly with the same
  factors, l2 regularization, alpha and iterations (confidence 1 + alpha * rating in both). Metrics over users
  with test rows, every test movie relevant: MAP@10 (the mean over users of the average precision at 10,
  divided by min(10, relevant)) and NDCG@10 (binary gains). The bar: sqlml's within the library's - 2%.

Accuracy is reported, never asserted (tests/test_benchmarks.py runs this only through the harness's speed rows).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

import sqlml

DATA = Path(__file__).resolve().parent / "data" / "movielens" / "ratings.parquet"
# EXPLICIT: the hyperparameters of BigQuery ML's MovieLens tutorial (bigqueryml-mf-explicit-tutorial)
EXPLICIT_FACTORS = 34
EXPLICIT_L2_REG = 9.83
# IMPLICIT: BigQuery ML's defaults but the factors (its default, log2 of the rows, is 16 here too)
FACTORS = 16
L2_REG = 1.0
ITERATIONS = 20  # BigQuery ML's default max_iterations
ALPHA = 40.0  # BigQuery ML's default wals_alpha
TOP = 10

SPLIT = f"""
CREATE TABLE ratings AS
SELECT userId, movieId, rating, timestamp,
       row_number() OVER (PARTITION BY userId ORDER BY timestamp, movieId) AS position,
       count(*) OVER (PARTITION BY userId) AS n
FROM '{DATA}';
CREATE TABLE train AS SELECT userId, movieId, rating FROM ratings WHERE position <= n - greatest(1, n // 5);
CREATE TABLE test AS
SELECT userId, movieId, rating FROM ratings
WHERE position > n - greatest(1, n // 5) AND movieId IN (SELECT movieId FROM train);
"""


def split(con) -> tuple[np.ndarray, np.ndarray]:
    """The training and test rows as (user, item, rating) arrays, split in `con`'s tables train and test."""
    con.execute(SPLIT)
    tables = [
        con.execute(f"SELECT userId, movieId, rating FROM {t} ORDER BY ALL").fetch_arrow_table()
        for t in ("train", "test")
    ]
    return tuple(
        np.column_stack([table[c].to_numpy() for c in ("userId", "movieId", "rating")]).astype(float)
        for table in tables
    )


def rmse(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.sqrt(np.mean((actual - predicted) ** 2)))


def bias_baseline(train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Koren's baseline: mu + b_i + b_u, b_i damped by 25 ratings, b_u (after b_i) by 10."""
    mu = train[:, 2].mean()
    items, item_index = np.unique(train[:, 1], return_inverse=True)
    b_i = np.bincount(item_index, train[:, 2] - mu) / (25 + np.bincount(item_index))
    users, user_index = np.unique(train[:, 0], return_inverse=True)
    rest = train[:, 2] - mu - b_i[item_index]
    b_u = np.bincount(user_index, rest) / (10 + np.bincount(user_index))
    return mu + b_i[np.searchsorted(items, test[:, 1])] + b_u[np.searchsorted(users, test[:, 0])]


def surprise_svd(train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """scikit-surprise's SVD (biased MF by SGD, its default learning rate, regularization and epochs)."""
    import pandas as pd
    from surprise import SVD, Dataset, Reader

    frame = pd.DataFrame({"u": train[:, 0], "i": train[:, 1], "r": train[:, 2]})
    data = Dataset.load_from_df(frame, Reader(rating_scale=(0.5, 5.0))).build_full_trainset()
    model = SVD(n_factors=EXPLICIT_FACTORS, random_state=0).fit(data)
    return np.array([model.predict(u, i).est for u, i in test[:, :2]])


def sqlml_explicit(con) -> np.ndarray:
    con.execute(
        "CREATE MODEL explicit_mf OPTIONS(model_type='MATRIX_FACTORIZATION', feedback_type='EXPLICIT', "
        "user_col='userId', item_col='movieId', rating_col='rating', "
        f"num_factors={EXPLICIT_FACTORS}, l2_reg={EXPLICIT_L2_REG}, data_split_method='NO_SPLIT') "
        "AS SELECT userId, movieId, rating FROM train"
    )
    rows = con.execute(
        "SELECT predicted_rating FROM ML.PREDICT(MODEL explicit_mf, (SELECT userId, movieId FROM test)) "
        "ORDER BY userId, movieId"
    ).fetchall()
    return np.array([r[0] for r in rows], dtype=float)


def sqlml_top(con) -> dict[int, list[int]]:
    con.execute(
        "CREATE MODEL implicit_mf OPTIONS(model_type='MATRIX_FACTORIZATION', feedback_type='IMPLICIT', "
        f"user_col='userId', item_col='movieId', rating_col='rating', num_factors={FACTORS}, l2_reg={L2_REG}, "
        f"wals_alpha={ALPHA}, max_iterations={ITERATIONS}, early_stop=FALSE, data_split_method='NO_SPLIT') "
        "AS SELECT userId, movieId, rating FROM train"
    )
    rows = con.execute(
        "SELECT userId, movieId, predicted_rating_confidence FROM ML.RECOMMEND(MODEL implicit_mf) r "
        "WHERE NOT EXISTS (SELECT 1 FROM train t WHERE t.userId = r.userId AND t.movieId = r.movieId) "
        f"QUALIFY row_number() OVER (PARTITION BY userId ORDER BY predicted_rating_confidence DESC, movieId) <= {TOP}"
    ).fetchall()
    top: dict[int, list[int]] = {}
    for user, item, _ in sorted(rows, key=lambda row: (row[0], -row[2], row[1])):  # QUALIFY keeps no order
        top.setdefault(int(user), []).append(int(item))
    return top


def library_top(train: np.ndarray) -> dict[int, list[int]]:
    """implicit's AlternatingLeastSquares on the same rows and hyperparameters; its top 10 unseen items."""
    from implicit.als import AlternatingLeastSquares
    from scipy.sparse import csr_matrix

    users, u = np.unique(train[:, 0], return_inverse=True)
    items, i = np.unique(train[:, 1], return_inverse=True)
    matrix = csr_matrix((train[:, 2], (u, i)), shape=(len(users), len(items)))
    model = AlternatingLeastSquares(
        factors=FACTORS, regularization=L2_REG, alpha=ALPHA, iterations=ITERATIONS, random_state=0
    )
    model.fit(matrix, show_progress=False)
    ids, _ = model.recommend(np.arange(len(users)), matrix, N=TOP, filter_already_liked_items=True)
    return {int(user): [int(items[j]) for j in row] for user, row in zip(users, ids)}


def ranking_metrics(top: dict[int, list[int]], test: np.ndarray) -> tuple[float, float]:
    """MAP@10 and NDCG@10 over the users with test rows."""
    relevant: dict[int, set[int]] = {}
    for user, item in test[:, :2].astype(np.int64):
        relevant.setdefault(int(user), set()).add(int(item))
    aps, ndcgs = [], []
    for user, wanted in relevant.items():
        hits = np.array([item in wanted for item in top.get(user, [])[:TOP]], dtype=float)
        ranks = np.arange(1, len(hits) + 1)
        aps.append(float((np.cumsum(hits) / ranks * hits).sum() / min(TOP, len(wanted))))
        ideal = (1 / np.log2(np.arange(2, min(TOP, len(wanted)) + 2))).sum()
        ndcgs.append(float((hits / np.log2(ranks + 1)).sum() / ideal))
    return float(np.mean(aps)), float(np.mean(ndcgs))


def main() -> None:
    con = sqlml.connect().cursor()
    train, test = split(con)
    print(f"{len(train)} training ratings, {len(test)} test ratings, {len(np.unique(test[:, 0]))} test users")
    print()
    timed = {}
    start = time.perf_counter()
    ours = sqlml_explicit(con)
    timed["sqlml EXPLICIT"] = time.perf_counter() - start
    start = time.perf_counter()
    svd = surprise_svd(train, test)
    timed["surprise SVD"] = time.perf_counter() - start
    baseline = bias_baseline(train, test)
    actual = test[:, 2]
    print("| EXPLICIT, test RMSE | value | / surprise SVD | seconds |")
    print("| --- | --- | --- | --- |")
    for name, predicted, seconds in (
        (
            f"sqlml MATRIX_FACTORIZATION ({EXPLICIT_FACTORS} factors, l2_reg {EXPLICIT_L2_REG})",
            ours,
            timed["sqlml EXPLICIT"],
        ),
        (f"scikit-surprise SVD ({EXPLICIT_FACTORS} factors)", svd, timed["surprise SVD"]),
        ("global mean + damped user and item biases", baseline, 0.0),
    ):
        print(
            f"| {name} | {rmse(actual, predicted):.4f} | {rmse(actual, predicted) / rmse(actual, svd):.3f} "
            f"| {seconds:.2f} |"
        )
    print()
    start = time.perf_counter()
    ours_top = sqlml_top(con)
    timed["sqlml IMPLICIT"] = time.perf_counter() - start
    start = time.perf_counter()
    lib_top = library_top(train)
    timed["implicit"] = time.perf_counter() - start
    ours_map, ours_ndcg = ranking_metrics(ours_top, test)
    lib_map, lib_ndcg = ranking_metrics(lib_top, test)
    print("| IMPLICIT, top 10 unseen | MAP@10 | NDCG@10 | MAP / library's | NDCG / library's | seconds |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(
        f"| sqlml MATRIX_FACTORIZATION | {ours_map:.4f} | {ours_ndcg:.4f} | {ours_map / lib_map:.3f} "
        f"| {ours_ndcg / lib_ndcg:.3f} | {timed['sqlml IMPLICIT']:.2f} |"
    )
    print(
        f"| implicit AlternatingLeastSquares | {lib_map:.4f} | {lib_ndcg:.4f} | 1.000 | 1.000 "
        f"| {timed['implicit']:.2f} |"
    )


if __name__ == "__main__":
    main()
