"""What the tests of trials on the workers (tuning, AutoML) share: their table, queries of the results and lineage."""

from __future__ import annotations

import datetime
import json


def table(rows: int) -> str:
    """A table t of `rows` rows: features x1, x2 (numbers) and c (a category), a class `label`, a number `target`."""
    return (
        f"CREATE OR REPLACE TABLE t AS SELECT i, (i * 37 % 101) / 101.0 AS x1, sin(i) AS x2, (i * 13 % 7)::VARCHAR AS c, "
        f"CASE WHEN (i * 37 % 101) / 101.0 + sin(i) + (i % 5) / 10.0 > 0.9 THEN 'yes' ELSE 'no' END AS label, "
        f"(i * 37 % 101) / 101.0 * 3 - sin(i) + (i % 3) AS target FROM range({rows}) r(i)"
    )


def rows(con, sql: str) -> list[tuple]:
    cur = con.cursor()
    cur.execute(sql)
    return cur.fetchall()


def lineage(con, model: str) -> dict | None:
    """The model's compute lineage (sqlml.model_versions.compute)."""
    [(compute,)] = rows(con, f"SELECT compute FROM sqlml.model_versions WHERE model_name = '{model}'")
    return compute and json.loads(compute)


def intervals(lineage: dict) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """Each trial's (start, end) on its worker, in trial order."""
    parse = datetime.datetime.fromisoformat
    return [(parse(trial["started"]), parse(trial["ended"])) for trial in lineage["trials"]]
