"""The ML functions of matrix factorization models, as BigQuery ML defines them
(https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-recommend and the ML.PREDICT,
ML.EVALUATE and ML.WEIGHTS pages):

- ML.RECOMMEND(MODEL m [, TABLE t | (query)] [, STRUCT(top_k)]): predicted_<rating_col> (EXPLICIT) or
  predicted_<rating_col>_confidence (IMPLICIT), then the user and item columns. Without input, every user of the
  training rows against every item, streamed in blocks of users (never materialized); an input of the user
  column alone: every item for each of its rows; of the item column alone: every user for each; of both: those
  pairs, the input's other columns passed through. sqlml's STRUCT(k AS top_k) keeps each user's k best items.
- ML.PREDICT: the pairs of an input holding both columns (as ML.RECOMMEND with both).
- ML.EVALUATE: explicit models' regression metrics, implicit models' ranking metrics (engine/recommend/scoring.py);
  without input, those measured at training. A tuned model's row (and ML.WEIGHTS' rows) start with trial_id: the
  optimal trial's, or the one STRUCT(n AS trial_id) chose (whose model every function then uses).
- ML.WEIGHTS: a row per user and per item (processed_input, feature, factor_weights ARRAY<STRUCT<factor,
  weight>>, intercept) and a global__intercept__ row.
- ML.GENERATE_EMBEDDING: a row per user and per item, ml_generate_embedding_result (the factor weights, then the
  intercept), processed_input, feature
  (https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-generate-embedding).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sqlml.engine.context import MLContext
from sqlml.engine.data.features import find_column
from sqlml.engine.functions.centroids_and_components import with_trial
from sqlml.engine.recommend import scoring
from sqlml.engine.recommend.als import Ratings
from sqlml.engine.recommend.state import RecommendModel
from sqlml.engine.store.model import Model
from sqlml.errors import DataError, NotSupportedError, ProgrammingError
from sqlml.parser import MLFunction

SCORE_CELLS = 1 << 21  # user x item scores computed at once (a block of users or items against the other side)
INPUT_ROWS = 65_536


def recommend(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.RecordBatchReader:
    mf: RecommendModel = model.estimator
    top = params.get("top_k")
    if call.input_sql is None:
        return _crossed(ctx, mf, top, None)
    reader = ctx.run_input(ctx.input_query(call), INPUT_ROWS)
    user, item = _roles(call, mf, reader.schema.names)
    if user is not None and item is not None:
        if top is not None:
            raise ProgrammingError("ML.RECOMMEND parameter top_k applies without input or to an input of users alone")
        return _pairs(ctx, call, mf, reader, user, item)
    given = user or item
    if len(reader.schema.names) > 1:
        others = [name for name in reader.schema.names if name != given]
        raise ProgrammingError(
            f"ML.RECOMMEND input holding only the {'user' if user else 'item'} column '{given}' (not both the user "
            f"and the item column) may hold no other column; it also has {', '.join(others)}"
        )
    if item is not None and top is not None:
        raise ProgrammingError("ML.RECOMMEND parameter top_k (the best items per user) needs users, not items")
    return _crossed(ctx, mf, top, (reader, given, "user" if user else "item"))


def predict(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.RecordBatchReader:
    """ML.PREDICT of the user-item pairs of the input."""
    extra = [name for name in params if name != "trial_id"]
    if extra:
        raise ProgrammingError(f"ML.PREDICT parameter {extra[0]} does not apply to matrix factorization models")
    reader = ctx.run_input(ctx.input_query(call), INPUT_ROWS)
    user, item = _roles(call, model.estimator, reader.schema.names)
    if user is None or item is None:
        columns = model.estimator.columns
        raise ProgrammingError(
            f"ML.PREDICT of a matrix factorization model needs the user column '{columns['user']}' and the item "
            f"column '{columns['item']}'; input columns: {', '.join(reader.schema.names)} (ML.RECOMMEND takes "
            "users or items alone)"
        )
    return _pairs(ctx, call, model.estimator, reader, user, item)


def _roles(call: MLFunction, mf: RecommendModel, names: list[str]) -> tuple[str | None, str | None]:
    """The input's user and item columns (None: absent); a ProgrammingError when it has neither."""
    user, item = find_column(names, mf.columns["user"]), find_column(names, mf.columns["item"])
    if user is None and item is None:
        raise ProgrammingError(
            f"ML.{call.function} input needs the model's user column '{mf.columns['user']}' or item column "
            f"'{mf.columns['item']}'; input columns: {', '.join(names)}"
        )
    return user, item


def _pairs(
    ctx: MLContext, call: MLFunction, mf: RecommendModel, reader: pa.RecordBatchReader, user: str, item: str
) -> pa.RecordBatchReader:
    """The predictions of the input's pairs, its columns passed through after them."""
    predicted = mf.predicted_column
    if find_column(reader.schema.names, predicted) is not None:
        raise ProgrammingError(
            f"the input of ML.{call.function} already has column {predicted}, which it adds; leave it out or rename it"
        )
    schema = pa.schema([pa.field(predicted, pa.float64()), *reader.schema])
    f = mf.factors()

    def batches() -> Iterator[pa.RecordBatch]:
        rows = 0
        for batch in reader:
            users = scoring.positions(batch.column(user), mf.users, f"user column '{user}'")
            items = scoring.positions(batch.column(item), mf.items, f"item column '{item}'")
            rows += batch.num_rows
            ctx.progress("predicting pairs", rows)
            yield pa.RecordBatch.from_arrays([pa.array(f.predict(users, items)), *batch.columns], schema=schema)

    return ctx.stream(schema, batches())


def _crossed(ctx: MLContext, mf: RecommendModel, top: int | None, given) -> pa.RecordBatchReader:
    """Every user against every item (`given` None), or the input's users (or items) against every item (or
    user): (reader, its column, "user" or "item"). With `top`, each user's `top` best items only."""
    user_type = mf.users.type if given is None or given[2] == "item" else given[0].schema.field(given[1]).type
    item_type = mf.items.type if given is None or given[2] == "user" else given[0].schema.field(given[1]).type
    schema = pa.schema(
        [(mf.predicted_column, pa.float64()), (mf.columns["user"], user_type), (mf.columns["item"], item_type)]
    )
    f = mf.factors()
    by_item = given is not None and given[2] == "item"
    others = len(mf.users) if by_item else len(mf.items)
    per_block = max(1, SCORE_CELLS // others)

    def keys() -> Iterator[tuple[pa.Array, np.ndarray]]:
        """Blocks of (keys as output, dense ids) of the side the rows are built from."""
        if given is None:
            for start in range(0, len(mf.users), per_block):
                yield mf.users[start : start + per_block], np.arange(start, min(start + per_block, len(mf.users)))
            return
        reader, column, role = given
        known = mf.items if by_item else mf.users
        for batch in reader:
            values = batch.column(column)
            for start in range(0, len(values), per_block):
                block = values[start : start + per_block]
                yield block, scoring.positions(block, known, f"{role} column '{column}'")

    def batches() -> Iterator[pa.RecordBatch]:
        done = 0
        for block, ids in keys():
            if top is not None:
                best, scores = scoring.top_k(f, ids, top)
                per_row = best.shape[1]
                other = mf.items.take(pa.array(best.ravel()))
            else:
                scores = scoring.cross(f, np.arange(len(mf.users)), ids).T if by_item else scoring.cross(f, ids)
                per_row = others
                other = (mf.users if by_item else mf.items).take(pa.array(np.tile(np.arange(others), len(ids))))
            repeated = block.take(pa.array(np.repeat(np.arange(len(ids)), per_row)))
            columns = [other, repeated] if by_item else [repeated, other]
            done += len(ids)
            ctx.progress("recommending", done, len(mf.users) if given is None else None)
            yield pa.RecordBatch.from_arrays([pa.array(scores.ravel()), *columns], schema=schema)

    return ctx.stream(schema, batches())


def evaluate(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    """One row of metrics: of the input's ratings, or (no input) those measured at training."""
    from sqlml.engine.functions.evaluate import training_rows_notice

    extra = [name for name in params if name != "trial_id"]
    if extra:
        raise ProgrammingError(f"ML.EVALUATE parameter {extra[0]} does not apply to matrix factorization models")
    mf: RecommendModel = model.estimator
    if call.input_sql is None:
        row = model.version.metrics
        if not model.version.eval_rows:
            ctx.notices.append(training_rows_notice(model))
    else:
        ratings = _input_ratings(ctx, call, mf)
        if not len(ratings.values):
            raise DataError(f"ML.EVALUATE input has no row with a rating ('{mf.columns['rating']}' not NULL)")
        row = scoring.metrics(mf, mf.factors(), ratings)
    table = pa.table({name: pa.array([value], pa.float64()) for name, value in row.items()})
    return with_trial(ctx, model, table, params.get("trial_id"))


def _input_ratings(ctx: MLContext, call: MLFunction, mf: RecommendModel) -> Ratings:
    """The input's rows with a rating, users and items as the model's ids (-1: unknown or NULL)."""
    reader = ctx.run_input(ctx.input_query(call), INPUT_ROWS)
    names = reader.schema.names
    found = {role: find_column(names, mf.columns[role]) for role in ("user", "item", "rating")}
    missing = [role for role, name in found.items() if name is None]
    if missing:
        raise ProgrammingError(
            f"ML.EVALUATE input has no {missing[0]} column '{mf.columns[missing[0]]}'; input columns: {', '.join(names)}"
        )
    users, items, values = [], [], []
    for batch in reader:
        batch = batch.filter(pc.is_valid(batch.column(found["rating"])))
        try:
            values.append(pc.cast(batch.column(found["rating"]), pa.float64()).to_numpy(zero_copy_only=False))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise ProgrammingError(
                f"ML.EVALUATE input column '{found['rating']}' must be numeric ratings, got {batch.schema.field(found['rating']).type}"
            ) from None
        users.append(scoring.positions(batch.column(found["user"]), mf.users, f"user column '{found['user']}'"))
        items.append(scoring.positions(batch.column(found["item"]), mf.items, f"item column '{found['item']}'"))
    joined = [np.concatenate(parts) if parts else np.zeros(0) for parts in (users, items, values)]
    return Ratings(joined[0].astype(np.int64), joined[1].astype(np.int64), joined[2], len(mf.users), len(mf.items))


WEIGHT = pa.struct([("factor", pa.int64()), ("weight", pa.float64())])


def weights(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    """A row per user and per item, then the global__intercept__ row."""
    if params.get("standardize"):
        raise ProgrammingError("ML.WEIGHTS parameter standardize applies to linear_reg and logistic_reg models only")
    mf: RecommendModel = model.estimator
    parts = [
        _weight_rows(mf.columns["user"], mf.users, mf.user_factors, mf.user_intercepts),
        _weight_rows(mf.columns["item"], mf.items, mf.item_factors, mf.item_intercepts),
    ]
    schema = parts[0].schema
    total = pa.table(
        {
            "processed_input": pa.nulls(1, pa.string()),
            "feature": pa.array(["global__intercept__"]),
            "factor_weights": pa.nulls(1, schema.field("factor_weights").type),
            "intercept": pa.array([mf.global_intercept]),
        },
        schema=schema,
    )
    return pa.concat_tables([*parts, total])


def factor_embeddings(call: MLFunction, model: Model) -> pa.Table:
    """ML.GENERATE_EMBEDDING of a matrix factorization model: a row per user and per item: its factor weights with its intercept last, as one array."""
    if call.input_sql is not None:
        raise NotSupportedError(
            "ML.GENERATE_EMBEDDING of input rows calls a remote embedding model (Vertex AI), a Google Cloud service "
            "sqlml does not reach; of a matrix factorization model it takes no input: ML.GENERATE_EMBEDDING(MODEL m)"
        )
    mf: RecommendModel = model.estimator
    sides = (
        (mf.columns["user"], mf.users, mf.user_factors, mf.user_intercepts),
        (mf.columns["item"], mf.items, mf.item_factors, mf.item_intercepts),
    )
    tables = []
    for column, keys, factors, intercepts in sides:
        vectors = np.column_stack([factors, intercepts])
        tables.append(
            pa.table(
                {
                    "ml_generate_embedding_result": pa.FixedSizeListArray.from_arrays(
                        pa.array(vectors.ravel()), vectors.shape[1]
                    ).cast(pa.list_(pa.float64())),
                    "processed_input": pa.array([column] * len(keys), pa.string()),
                    "feature": pc.cast(keys, pa.string()),
                }
            )
        )
    return pa.concat_tables(tables)


def _weight_rows(column: str, keys: pa.Array, factors: np.ndarray, intercepts: np.ndarray) -> pa.Table:
    n, k = factors.shape
    entries = pa.StructArray.from_arrays(
        [pa.array(np.tile(np.arange(1, k + 1), n)), pa.array(factors.ravel())], fields=list(WEIGHT)
    )
    return pa.table(
        {
            "processed_input": pa.array([column] * n, pa.string()),
            "feature": pc.cast(keys, pa.string()),
            "factor_weights": pa.ListArray.from_arrays(pa.array(np.arange(0, n * k + 1, k, dtype=np.int32)), entries),
            "intercept": pa.array(intercepts, pa.float64()),
        }
    )
