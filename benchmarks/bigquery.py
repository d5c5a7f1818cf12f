"""What the BigQuery dialect costs: GoogleSQL statements (translated to DuckDB's dialect by sqlglot before DuckDB
runs them) against the same work in sqlml's default dialect and in DuckDB alone, measured in the same run.

    python -m benchmarks.bigquery [--quick]

Per-statement rows are warm (each statement run once first), the best of 5 interleaved loops, in milliseconds
per statement; each prints its ratio to the DuckDB-dialect statement beside it ("vs"). The first-statement rows
run new processes (median, interleaved). Timing never gates CI.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import duckdb

import sqlml
from benchmarks.run import best_of

SHARDS = 30
GOOGLESQL = (
    'SELECT kind, SUM(IFNULL(amount, 0)) AS total, COUNT(*) AS n FROM t WHERE kind != "d" AND id >= 100 '
    "GROUP BY kind ORDER BY kind"
)
# the same query in DuckDB's dialect (GoogleSQL sorts NULLs first in ascending order, DuckDB last)
DUCKDB_SQL = (
    "SELECT kind, SUM(COALESCE(amount, 0)) AS total, COUNT(*) AS n FROM t WHERE kind <> 'd' AND id >= 100 "
    "GROUP BY kind ORDER BY kind NULLS FIRST"
)
PREDICT_GOOGLESQL = 'SELECT id, predicted_amount FROM ML.PREDICT(MODEL `m`, (SELECT * FROM t WHERE kind != "d"))'
PREDICT_DUCKDB = "SELECT id, predicted_amount FROM ML.PREDICT(MODEL m, (SELECT * FROM t WHERE kind <> 'd'))"


def _table(rows: int) -> str:
    """Table t: `rows` rows of an id, a nullable amount and a four-valued string."""
    return (
        "CREATE OR REPLACE TABLE t AS SELECT i AS id, CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 100) * 1.5 END AS amount,"
        f" ['a', 'b', 'c', 'd'][i % 4 + 1] AS kind FROM range({rows}) r(i)"
    )


def cursors(setup: list[str]):
    """A cursor reading GoogleSQL and one reading DuckDB's dialect, on one sqlml database, after `setup` (DuckDB
    SQL)."""
    con = sqlml.connect(dialect="bigquery")
    googlesql, duck = con.cursor(), con.cursor()
    duck.execute("SET sqlml_dialect = 'duckdb'")
    for statement in setup:
        duck.execute(statement)
    return googlesql, duck


def per_statement(runs: int, calls: int, *sides) -> tuple[float, ...]:
    """Seconds per statement of each (cursor, query) side: warm, the best of `runs` interleaved loops of `calls`."""

    def loop(cursor, query):
        for _ in range(calls):
            cursor.execute(query).fetchall()

    for cursor, query in sides:
        cursor.execute(query).fetchall()
    times = best_of(runs, *[lambda side=side: loop(*side) for side in sides])
    return tuple(time / calls for time in times)


def bench_select(rows: int, runs: int, calls: int) -> tuple[float, float, float]:
    """The filter + GROUP BY in GoogleSQL (bigquery dialect), in DuckDB's (sqlml's default) and in DuckDB alone."""
    googlesql, duck = cursors([_table(rows)])
    plain = duckdb.connect()
    plain.execute(_table(rows))
    return per_statement(runs, calls, (googlesql, GOOGLESQL), (duck, DUCKDB_SQL), (plain, DUCKDB_SQL))


def bench_predict(rows: int, runs: int, calls: int) -> tuple[float, float]:
    """ML.PREDICT of a linear_reg over `rows` rows, written in GoogleSQL and in DuckDB's dialect."""
    model = "CREATE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['amount']) AS SELECT * FROM t"
    googlesql, duck = cursors([_table(rows), model])
    return per_statement(runs, calls, (googlesql, PREDICT_GOOGLESQL), (duck, PREDICT_DUCKDB))


def bench_wildcard(rows: int, runs: int, calls: int) -> tuple[float, float]:
    """A wildcard table over SHARDS date shards of `rows` rows each vs the UNION ALL written by hand."""
    days = [f"202401{day:02}" for day in range(1, SHARDS + 1)]
    setup = ["CREATE SCHEMA shards"] + [
        f"CREATE TABLE shards.events_{day} AS SELECT i AS id, (i % 10)::INTEGER AS score FROM range({rows}) r(i)"
        for day in days
    ]
    googlesql, duck = cursors(setup)
    wildcard = (
        "SELECT _TABLE_SUFFIX AS day, SUM(score) AS total FROM `shards.events_*` "
        "WHERE _TABLE_SUFFIX BETWEEN '20240105' AND '20240110' GROUP BY day ORDER BY day"
    )
    union = " UNION ALL ".join(f"SELECT *, '{day}' AS suffix FROM shards.events_{day}" for day in days)
    by_hand = (
        f"SELECT suffix AS day, SUM(score) AS total FROM ({union}) WHERE suffix BETWEEN '20240105' AND '20240110' "
        "GROUP BY day ORDER BY day NULLS FIRST"
    )
    return per_statement(runs, calls, (googlesql, wildcard), (duck, by_hand))


FIRST_STATEMENT = """
import time
start = time.perf_counter()
{connect}
times = [time.perf_counter()]
for _ in range(2):
    cursor.execute({query!r}).fetchall()
    times.append(time.perf_counter())
print(times[0] - start, times[1] - times[0], times[2] - times[1])
"""


def _first_statement_script(dialect: str | None) -> str:
    """A program importing sqlml (or DuckDB alone: None) and creating a table (in DuckDB's dialect), then running
    a query on it twice, printing the seconds of the import and setup, of the first query and of the second."""
    create = _table(1000)
    if dialect is None:
        connect = f"import duckdb; cursor = duckdb.connect(); cursor.execute({create!r})"
    else:
        connect = (
            f"import sqlml; cursor = sqlml.connect(dialect={dialect!r}).cursor(); "
            f"cursor.execute({create!r}, dialect='duckdb')"
        )
    return FIRST_STATEMENT.format(connect=connect, query=GOOGLESQL if dialect == "bigquery" else DUCKDB_SQL)


def bench_first_statement(runs: int) -> dict[str | None, tuple[float, ...]]:
    """For each of the bigquery dialect, sqlml's default and DuckDB alone (None): median seconds of a new process
    (wall), of its import and setup, of its first query and of its second; `runs` processes of each, interleaved."""
    scripts = {dialect: _first_statement_script(dialect) for dialect in ("bigquery", "duckdb", None)}
    measured = {dialect: [] for dialect in scripts}
    for run in range(runs):
        for dialect, script in list(scripts.items())[:: -1 if run % 2 else 1]:
            start = time.perf_counter()
            output = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
            measured[dialect].append((time.perf_counter() - start, *map(float, output.split())))
    return {dialect: tuple(map(statistics.median, zip(*times))) for dialect, times in measured.items()}


def _row(label: str, ours: float, raw: float, note: str = "") -> None:
    print(f"{label:<52}{ours * 1000:>8.2f}ms{raw * 1000:>8.2f}ms{ours / raw:>8.2f}x  {note}".rstrip())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, one run: checks the harness works")
    args = parser.parse_args(argv)
    runs, calls, processes = (1, 5, 1) if args.quick else (5, 50, 7)
    large = 10_000 if args.quick else 1_000_000
    print(f"{'bigquery dialect benchmark':<52}{'sqlml':>10}{'vs':>10}{'ratio':>9}  vs")
    bq, default, raw = bench_select(10_000, runs, calls)
    _row("GoogleSQL SELECT, 10k rows: bigquery dialect", bq, default, "sqlml's default dialect, DuckDB SQL")
    _row("GoogleSQL SELECT, 10k rows: bigquery dialect", bq, raw, "DuckDB alone")
    _row("DuckDB SELECT, 10k rows: default dialect", default, raw, "DuckDB alone")
    bq, default, raw = bench_select(large, runs, max(calls // 10, 1))
    _row(f"GoogleSQL SELECT, {large // 1000}k rows: bigquery dialect", bq, raw, "DuckDB alone")
    _row(f"DuckDB SELECT, {large // 1000}k rows: default dialect", default, raw, "DuckDB alone")
    bq, default = bench_predict(100, runs, calls)
    _row("ML.PREDICT linear_reg, 100 rows: bigquery", bq, default, "the same in the default dialect")
    bq, default = bench_wildcard(100, runs, calls)
    _row(f"wildcard table, {SHARDS} shards x 100 rows: bigquery", bq, default, "the UNION ALL by hand, default")
    first = bench_first_statement(processes)
    duck_wall, _, duck_first, _ = first[None]
    for dialect, label in (("bigquery", "bigquery dialect"), ("duckdb", "default dialect")):
        wall, setup, query, again = first[dialect]
        _row(f"new process + first query, {label} (wall)", wall, duck_wall, "python -c 'import duckdb; ...'")
        _row(f"import, connect, CREATE TABLE, {label}", setup, first[None][1], "import duckdb, ...")
        _row(f"first query in a new process, {label}", query, duck_first, "DuckDB's first query")
        _row(f"second query in that process, {label}", again, first[None][3], "DuckDB's second query")


if __name__ == "__main__":
    main()
