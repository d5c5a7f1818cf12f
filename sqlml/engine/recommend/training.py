"""CREATE MODEL of a matrix factorization model: the query's user, item and rating columns checked, its rows read
from DuckDB as Arrow (three columns, and the data split column if any), split, users and items mapped to dense
ids (of the training rows: a user or item only in evaluation rows gets no factors, as in BigQuery ML), factorized
(als.py), and measured on the evaluation rows (the training rows when none are held out)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sqlml.engine.context import MLContext
from sqlml.engine.data.features import find_column
from sqlml.engine.data.rows import split_rows
from sqlml.engine.families.matrix_factorization import (
    DEFAULT_WALS_ALPHA,
    IMPLICIT_SPACE,
    MAX_FACTORS,
    MIN_FACTORS,
    SEARCH_SPACE,
)
from sqlml.engine.families.options import search_spaces
from sqlml.engine.progress import Progress
from sqlml.engine.recommend import als, scoring
from sqlml.engine.recommend.state import RecommendModel
from sqlml.engine.sqltext.quoting import quote_identifier
from sqlml.errors import DataError, ProgrammingError

ROLES = ("user", "item", "rating")
NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
NUMERIC += ("UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
SAMPLE_USERS = 1_000  # users whose rows the stored metrics measure, when there are more


@dataclass
class Trained:
    """A trained model and what its version records."""

    model: RecommendModel
    training_rows: int
    eval_rows: int
    dropped_rows: int
    metrics: dict
    history: list[dict]


@dataclass
class Rows:
    """The training query's rows, read and split once: the training rows' users and items (sorted; a dense id is
    a position) and ratings, and the evaluation and test rows' ratings (None: no such rows)."""

    columns: dict[str, str]
    users: pa.Array
    items: pa.Array
    train: als.Ratings
    eval: als.Ratings | None
    test: als.Ratings | None
    dropped: int


def train(ctx: MLContext, query: str, options: dict) -> Trained:
    """One factorization of the query's rows, measured on the test rows, else the evaluation rows, else the
    training rows."""
    rows = read(ctx, query, options)
    return fit(rows, options, rows.test or rows.eval, ctx.progress)


def read(ctx: MLContext, query: str, options: dict) -> Rows:
    relation = ctx.relation(query)
    columns = _columns(dict(zip(relation.columns, map(str, relation.types))), options)
    split_col = options["data_split_col"]
    select = [
        *(f"{quote_identifier(columns[role])} AS {role}" for role in ("user", "item")),
        f"CAST({quote_identifier(columns['rating'])} AS DOUBLE) AS rating",
    ] + ([quote_identifier(find_column(relation.columns, split_col))] if split_col else [])
    table = ctx.read_table(f"SELECT {', '.join(select)} FROM ({query})")
    table, dropped = _complete_rows(table, columns)
    split = split_rows(table, options)
    train_rows = table.take(split.train) if len(split.train) < table.num_rows else table
    if not train_rows.num_rows:
        raise DataError("the data split left no training rows")
    users, items = (_keys(train_rows.column(role)) for role in ("user", "item"))
    held = [_ratings(table.take(part), users, items) if len(part) else None for part in (split.eval, split.test)]
    return Rows(columns, users, items, _ratings(train_rows, users, items), *held, dropped)


def fit(rows: Rows, options: dict, held: als.Ratings | None, progress: Progress) -> Trained:
    """The rows factorized with `options`, measured on `held` (None: on the training rows); an explicit model's
    training history has `held`'s loss."""
    ratings = rows.train
    num_factors = _num_factors(options["num_factors"], ratings)
    schedule = als.Schedule(options["max_iterations"], options["early_stop"], options["min_rel_progress"])
    schedule.progress = progress
    if options["feedback_type"] == "IMPLICIT":
        alpha = DEFAULT_WALS_ALPHA if options["wals_alpha"] is None else options["wals_alpha"]
        factors = als.implicit_als(ratings, num_factors, options["l2_reg"], alpha, schedule, options["seed"])
    else:
        if held is not None:
            schedule.eval_loss = lambda f: float(np.mean((held.values - _predict(f, held)) ** 2))
        factors = als.explicit(ratings, num_factors, options["l2_reg"], schedule, options["seed"])
    model = RecommendModel(
        options["feedback_type"],
        rows.columns,
        rows.users,
        rows.items,
        factors.user_factors,
        factors.item_factors,
        factors.user_intercepts,
        factors.item_intercepts,
        factors.global_intercept,
    )
    measured = held if held is not None else ratings
    metrics = measure(model, measured, options["seed"])
    eval_rows = 0 if held is None else held.values.size
    return Trained(model, ratings.values.size, eval_rows, rows.dropped, metrics, schedule.history)


def tune(ctx: MLContext, query: str, options: dict) -> tuple[Trained, list, str]:
    """num_trials factorizations of the rows read once (engine/training/tuning.py), each measured on the evaluation
    rows (the training rows when none are held out): (the optimal trial's, measured on the test rows if any, the
    trials, each with the result (model, metrics, Trained, history), the objective)."""
    from sqlml.engine.training import tuning

    rows = read(ctx, query, options)
    quiet = ctx.progress.silent()  # trials may run in parallel: tuning reports finished trials

    def trial(concrete: dict) -> tuple:
        trained = fit(rows, concrete, rows.eval, quiet)
        return trained.model, trained.metrics, trained, trained.history

    space = None if search_spaces(options) else default_space(rows, options)
    trials, objective = tuning.run_trials(options, "recommendation", trial, ctx.progress, space)
    best: Trained = tuning.optimal(trials, objective).result[2]
    if rows.test is not None:  # ML.EVALUATE's figures are the test rows'
        best = replace(best, metrics=measure(best.model, rows.test, options["seed"]), eval_rows=rows.test.values.size)
    return best, trials, objective


def default_space(rows: Rows, options: dict) -> dict[str, dict]:
    """The family's default search space, num_factors at most the training rows' users' and items' count, and
    wals_alpha's for an IMPLICIT model."""
    fewest = min(rows.train.n_users, rows.train.n_items)
    factors = {
        "hparam_range": [MIN_FACTORS, max(MIN_FACTORS, min(SEARCH_SPACE["num_factors"]["hparam_range"][1], fewest))]
    }
    return {
        **SEARCH_SPACE,
        "num_factors": factors,
        **(IMPLICIT_SPACE if options["feedback_type"] == "IMPLICIT" else {}),
    }


def measure(model: RecommendModel, ratings: als.Ratings, seed: int) -> dict:
    """ML.EVALUATE's row of the model on `ratings` (at most SAMPLE_USERS users' rows)."""
    return scoring.metrics(model, model.factors(), _sample_users(ratings, seed))


def _sample_users(ratings: als.Ratings, seed: int) -> als.Ratings:
    """The ratings of at most SAMPLE_USERS users (seeded) that the version's metrics are measured on: an implicit
    model's ranking metrics score every item for each user."""
    users = np.unique(ratings.user_ids)
    if len(users) <= SAMPLE_USERS:
        return ratings
    chosen = np.isin(ratings.user_ids, np.random.default_rng(seed).choice(users, SAMPLE_USERS, replace=False))
    return als.Ratings(
        ratings.user_ids[chosen], ratings.item_ids[chosen], ratings.values[chosen], ratings.n_users, ratings.n_items
    )


def _predict(f: als.Factors, ratings: als.Ratings) -> np.ndarray:
    return f.predict(ratings.user_ids, ratings.item_ids)


def _columns(types: dict[str, str], options: dict) -> dict[str, str]:
    """role -> the query's column for user_col, item_col and rating_col: each present, the rating numeric, and no
    other column but data_split_col."""
    names = list(types)
    found = {}
    for role in ROLES:
        option = f"{role}_col"
        found[role] = find_column(names, options[option])
        if found[role] is None:
            raise ProgrammingError(
                f"OPTIONS: {option} '{options[option]}' is not a column of the training query; its columns: "
                f"{', '.join(names)}"
            )
    for role in ("user", "item"):
        kind = types[found[role]]
        if kind.startswith(("STRUCT", "MAP", "UNION")) or kind.endswith("]"):
            raise ProgrammingError(
                f"OPTIONS: {role}_col '{found[role]}' must hold scalar values (strings, numbers, dates, ...), got {kind}"
            )
    rating_type = types[found["rating"]]
    if not rating_type.startswith(NUMERIC):
        raise ProgrammingError(
            f"OPTIONS: rating_col '{found['rating']}' must be numeric (INTEGER, BIGINT, DECIMAL, DOUBLE, ...), "
            f"got {rating_type}"
        )
    split_col = options["data_split_col"]
    used = {*(name.lower() for name in found.values()), *([split_col.lower()] if split_col else [])}
    extra = [name for name in names if name.lower() not in used]
    if extra:
        raise ProgrammingError(
            f"a matrix factorization model trains on three columns (user_col '{found['user']}', item_col "
            f"'{found['item']}', rating_col '{found['rating']}'); the query also has {', '.join(extra)}: leave "
            "them out"
        )
    return found


def _complete_rows(table: pa.Table, columns: dict[str, str]) -> tuple[pa.Table, int]:
    """The rows whose user, item and rating are all given (DataError when a column is NULL in every row, or a
    rating is NaN or infinite), and how many were left out."""
    if not table.num_rows:
        raise DataError("the training query returned no rows: nothing to factorize")
    for role in ROLES:
        if table.column(role).null_count == table.num_rows:
            raise DataError(
                f"{role}_col '{columns[role]}' is NULL in all {table.num_rows} rows of the training query: "
                "nothing to factorize"
            )
    rating = table.column("rating")
    if not pc.all(pc.is_finite(rating)).as_py():
        raise DataError(f"rating_col '{columns['rating']}' holds NaN or infinite values; filter them out")
    complete = pc.and_(
        pc.and_(pc.is_valid(table.column("user")), pc.is_valid(table.column("item"))), pc.is_valid(rating)
    )
    kept = table.filter(complete)
    if not kept.num_rows:
        raise DataError("no row of the training query has a user, an item and a rating all given")
    return kept, table.num_rows - kept.num_rows


def _keys(column: pa.ChunkedArray) -> pa.Array:
    """The distinct values of a column, sorted: a dense id is a position in it."""
    keys = pc.unique(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column)
    return keys.take(pc.sort_indices(keys))


def _ratings(rows: pa.Table, users: pa.Array, items: pa.Array) -> als.Ratings:
    """The rows' ratings with users and items as dense ids (-1: not among the training rows' keys)."""
    return als.Ratings(
        scoring.positions(rows.column("user"), users),
        scoring.positions(rows.column("item"), items),
        rows.column("rating").to_numpy(),
        len(users),
        len(items),
    )


def _num_factors(given: int | None, ratings: als.Ratings) -> int:
    """num_factors as given (at most the users' and the items' count), or BigQuery ML's default log2(rows)."""
    fewest = min(ratings.n_users, ratings.n_items)
    if given is not None:
        if given > fewest:
            side = "users" if ratings.n_users <= ratings.n_items else "items"
            raise DataError(
                f"OPTIONS: num_factors = {given} is more than the {fewest} {side} of the training rows "
                f"({ratings.n_users} users, {ratings.n_items} items): a factor per {side[:-1]} at most"
            )
        return given
    if fewest < MIN_FACTORS:
        raise DataError(
            f"a matrix factorization model needs at least {MIN_FACTORS} users and {MIN_FACTORS} items; the training "
            f"rows have {ratings.n_users} user(s) and {ratings.n_items} item(s)"
        )
    return int(min(fewest, MAX_FACTORS, max(MIN_FACTORS, round(math.log2(len(ratings.values))))))
