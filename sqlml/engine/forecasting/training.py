"""CREATE MODEL of a forecasting model: the query's columns checked, its rows streamed from DuckDB ordered by
series and time, each series fitted by pipeline.fit_series (on every core when there are many, or on a cluster's
workers), the model built.

No frame of every series is ever held: DuckDB sorts, and series are cut from its batches one at a time and handed
to the workers (worker processes, or the cluster's) a few chunks ahead of what they finish. A series that fails
(too short, an ARIMA that cannot be fitted) keeps its error_message (ML.ARIMA_EVALUATE) and the model trains
without it; a model whose every series fails is a DataError.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import closing
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sqlml.engine.context import MLContext
from sqlml.engine.forecasting import pipeline, state
from sqlml.engine.sqltext.quoting import quote_identifier
from sqlml.errors import DataError, NotSupportedError, ProgrammingError

if TYPE_CHECKING:
    from sqlml.engine.compute import Cluster

TIME_TYPES = ("TIMESTAMP", "DATE", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS")
NUMBER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER")
NUMBER_TYPES += ("UBIGINT", "FLOAT", "DOUBLE", "DECIMAL")
BATCH_ROWS = 65_536
CHUNK_SERIES = 8  # series per task handed to a worker process
PARALLEL_SERIES = 16  # fewer series than this are fitted in the statement's own process


def train(
    ctx: MLContext, query: str, options: dict, cluster: Cluster | None = None
) -> tuple[state.ForecastModel, int, int]:
    """(the model, the rows read, the rows left out for a NULL timestamp) of the training `query`; its series
    fitted on `cluster`'s workers when given."""
    relation = ctx.relation(query)
    columns = {name: str(kind) for name, kind in zip(relation.columns, relation.types)}
    ids, time, value, regressors = _roles(columns, options)
    select = ", ".join(
        [
            *(quote_identifier(c) for c in ids),
            _as_utc(time, columns[time]),
            f"CAST({quote_identifier(value)} AS DOUBLE)",
        ]
        + [f"CAST({quote_identifier(c)} AS DOUBLE)" for c in regressors]
    )
    order = ", ".join([*(quote_identifier(c) for c in ids), quote_identifier(time)])
    ((rows, timeless, count),) = ctx.cur.sql(
        f"SELECT count(*), count(*) FILTER ({quote_identifier(time)} IS NULL), "
        f"count(DISTINCT row({', '.join(quote_identifier(c) for c in ids) or '1'})) "
        f"FILTER ({quote_identifier(time)} IS NOT NULL) FROM ({query})"
    ).fetchall()
    if rows == 0:
        raise DataError("the training query returned no rows: nothing to forecast")
    if rows == timeless:
        raise DataError(
            f"the training query has no row with a timestamp: time_series_timestamp_col '{time}' is NULL in all of "
            f"its {rows} rows, nothing to forecast"
        )
    reader = ctx.run_input(
        f"SELECT {select} FROM ({query}) WHERE {quote_identifier(time)} IS NOT NULL ORDER BY {order}", BATCH_ROWS
    )
    keys, tables, done = [], [], 0
    # a failure cancels the tasks handed out
    with closing(_fitted(_series(reader, len(ids), time), options, count, cluster)) as fitted:
        for chunk_keys, table in fitted:
            keys += chunk_keys
            tables.append(table)
            done += table.num_rows
            ctx.progress("series", done, count)
    fitted = pa.concat_tables(tables)
    errors = fitted.column("error_message")
    if errors.null_count == 0:
        if count == 1:
            raise DataError(errors[0].as_py())
        raise DataError(f"none of the {count} time series could be fitted; the first: {errors[0].as_py()}")
    id_table = pa.Table.from_batches(keys) if ids else None
    zoned = columns[time] == "TIMESTAMP WITH TIME ZONE"
    return state.ForecastModel.build(id_table, fitted, options, regressors, zoned), rows - timeless, timeless


def _roles(columns: dict[str, str], options: dict) -> tuple[list[str], str, str, list[str]]:
    """The id, time and value columns the options name, checked against the query's columns and their types,
    and (ARIMA_PLUS_XREG) the external regressors: every other column."""
    by_name = {name.lower(): name for name in columns}

    def find(option: str, name: str) -> str:
        if name.lower() not in by_name:
            raise ProgrammingError(
                f"OPTIONS: {option} '{name}' is not a column of the training query; its columns: {', '.join(columns)}"
            )
        return by_name[name.lower()]

    time = find("time_series_timestamp_col", options["time_series_timestamp_col"])
    value = find("time_series_data_col", options["time_series_data_col"])
    ids = [find("time_series_id_col", name) for name in options["time_series_id_col"] or ()]
    if columns[time] not in TIME_TYPES:
        raise ProgrammingError(
            f"OPTIONS: time_series_timestamp_col '{time}' is {columns[time]}; it must be a TIMESTAMP, DATE or DATETIME"
        )
    if not columns[value].startswith(NUMBER_TYPES):
        raise ProgrammingError(f"OPTIONS: time_series_data_col '{value}' is {columns[value]}; it must be a number")
    if len({time, value, *ids}) < 2 + len(ids):
        raise ProgrammingError("OPTIONS: the timestamp, data and id columns must be different columns")
    rest = [c for c in columns if c not in (time, value, *ids)]
    if options["model_type"] != "arima_plus_xreg":
        return ids, time, value, []
    if not rest:
        raise ProgrammingError(
            "ARIMA_PLUS_XREG needs external regressors: the training query's columns besides the timestamp, data "
            "and id columns"
        )
    for column in rest:
        if not (columns[column].startswith(NUMBER_TYPES) or columns[column] == "BOOLEAN"):
            raise NotSupportedError(
                f"ARIMA_PLUS_XREG regressor '{column}' is {columns[column]}; sqlml's external regressors are numbers "
                "or BOOLs (encode a category as numbers in the query)"
            )
    return ids, time, value, rest


def _as_utc(column: str, kind: str) -> str:
    """The timestamp column as a UTC TIMESTAMP."""
    quoted = quote_identifier(column)
    if kind == "TIMESTAMP WITH TIME ZONE":
        return f"timezone('UTC', {quoted})"
    return f"CAST({quoted} AS TIMESTAMP)"


def _series(reader: pa.RecordBatchReader, n_ids: int, time: str) -> Iterator[tuple[pa.RecordBatch, dict]]:
    """(the id values as a one-row batch, {"times", "values", "regressors", "name"}) per series, in order."""
    pending: list[pa.RecordBatch] = []  # the pieces of the series being read
    for batch in reader:
        bounds = [0, *_starts(batch, n_ids), batch.num_rows]
        for start, end in zip(bounds, bounds[1:]):
            piece = batch.slice(start, end - start)
            if pending and not (start == 0 and _same_series(pending[-1], piece, n_ids)):
                yield _one(pa.Table.from_batches(pending), n_ids, time)
                pending = []
            if piece.num_rows:
                pending.append(piece)
    if pending:
        yield _one(pa.Table.from_batches(pending), n_ids, time)


def _starts(batch: pa.RecordBatch, n_ids: int) -> list[int]:
    """The positions in `batch` where a new series begins (besides 0)."""
    if not n_ids or batch.num_rows < 2:
        return []
    change = np.zeros(batch.num_rows - 1, dtype=bool)
    for column in batch.columns[:n_ids]:
        values = column.slice(1)
        before = column.slice(0, batch.num_rows - 1)
        differs = pc.fill_null(pc.not_equal(values, before), True)
        both_null = pc.and_(values.is_null(), before.is_null())
        change |= pc.and_not(differs, both_null).to_numpy(zero_copy_only=False)
    return (np.flatnonzero(change) + 1).tolist()


def _same_series(last: pa.RecordBatch, piece: pa.RecordBatch, n_ids: int) -> bool:
    """Whether `piece` goes on the series whose last piece is `last` (ids equal, NULL equal to NULL)."""
    return all(last.column(i)[-1].equals(piece.column(i)[0]) for i in range(n_ids))


def _one(table: pa.Table, n_ids: int, time: str) -> tuple[pa.RecordBatch, dict]:
    """One series' id values and arrays; a repeated timestamp is a DataError naming the series."""
    key = table.slice(0, 1).select(range(n_ids)).to_batches()[0] if n_ids else None
    name = _name(key)
    times = table.column(n_ids).to_numpy().astype("datetime64[us]")
    repeated = np.flatnonzero(np.diff(times.astype(np.int64)) == 0)
    if len(repeated):
        raise DataError(
            f"{name} has two rows at {time} = {times[repeated[0]].item()}: the timestamps of a series must be distinct "
            f"(BigQuery ML averages them; here aggregate them in the query, e.g. GROUP BY {time} with AVG)"
        )
    values = table.column(n_ids + 1).to_numpy(zero_copy_only=False).astype(np.float64)
    regressors = None
    if table.num_columns > n_ids + 2:
        regressors = np.column_stack(
            [c.to_numpy(zero_copy_only=False).astype(np.float64) for c in table.columns[n_ids + 2 :]]
        )
    return key, {"times": times, "values": values, "regressors": regressors, "name": name}


def _name(key: pa.RecordBatch | None) -> str:
    if key is None:
        return "the time series"
    return "the time series " + ", ".join(f"{k} = {v!r}" for k, v in key.to_pylist()[0].items())


def _fitted(
    series: Iterator[tuple], options: dict, count: int, cluster: Cluster | None
) -> Iterator[tuple[list, pa.Table]]:
    """(id values, stored rows) per chunk of CHUNK_SERIES series, in order: fitted on the cluster's workers, or
    here, or by worker processes when there are many."""
    from sqlml.engine.forecasting import workers

    chunks = _chunks(series)
    if cluster is not None:
        yield from _ahead(chunks, options, cluster.fit_series, 2 * cluster.lineage()["workers"])
    elif count < PARALLEL_SERIES or workers.size() == 1:
        for keys, items in chunks:
            yield keys, state.rows_table([fit_one(item, options) for item in items])
    else:
        yield from _ahead(chunks, options, workers.pool().submit, 2 * workers.size())


def _chunks(series: Iterator[tuple]) -> Iterator[tuple[list, list]]:
    keys, items = [], []
    for key, item in series:
        keys.append(key)
        items.append(item)
        if len(items) == CHUNK_SERIES:
            yield keys, items
            keys, items = [], []
    if items:
        yield keys, items


def fit_one(item: dict, options: dict) -> dict:
    """The stored row of one series, or its error_message."""
    try:
        fit = pipeline.fit_series(item["times"], item["values"], item["regressors"], options, item["name"])
    except DataError as exc:
        return {"error_message": str(exc)}
    except Exception as exc:  # an optimizer's failure on this series: recorded, the model trains without it
        return {"error_message": f"{item['name']} could not be fitted: {exc}"}
    return state.series_row(fit, options.get("decompose_time_series", True))


def _ahead(chunks: Iterator[tuple], options: dict, submit, most: int) -> Iterator[tuple[list, pa.Table]]:
    """The chunks fitted by `submit(task, options)` (a future of workers.fit_chunk's result), at most `most` tasks
    ahead of the results. Tasks and results are Arrow IPC bytes and JSON text, never pickled objects."""
    from sqlml.engine.forecasting import workers

    text = json.dumps(options)
    pending = []
    try:
        for keys, items in chunks:
            pending.append((keys, submit(workers.pack(items), text)))
            while len(pending) > most:
                keys, future = pending.pop(0)
                yield keys, workers.unpack(future.result())
        while pending:
            keys, future = pending.pop(0)
            yield keys, workers.unpack(future.result())
    finally:
        for _, future in pending:
            future.cancel()
