"""BigQuery ML's documented statements run as written: one case per statement of a reference or tutorial page
(tests/conformance/cases/*.sql, each file naming its page), through `sqlml.connect(db, dialect='bigquery')`.

Each case checks that the statement runs and that its result has the column names the page documents; where
the page shows numbers (tutorial outputs on BigQuery's public data), their order of magnitude on the local
stand-in data (tests/conformance/datasets.py); where the page shows exact values, those values. Where a case
says so, the columns' types are the page's and properties the page states hold over all rows (checked by DuckDB
itself on the fetched result: a forecast's row count, its value inside its interval, ...)."""

from __future__ import annotations

import math

import duckdb
import pyarrow as pa
import pytest

from sqlml import errors
from tests.conformance import cases

CASES = cases.load()


def _same(actual, expected: str) -> bool:
    try:
        return math.isclose(float(actual), float(expected), rel_tol=1e-3, abs_tol=1e-9)
    except (TypeError, ValueError):
        return str(actual) == expected


# the DuckDB types of BigQuery's types (a TIMESTAMP is UTC, with or without DuckDB's zone)
DUCKDB_TYPES = {
    "FLOAT64": {"DOUBLE"},
    "INT64": {"BIGINT"},
    "STRING": {"VARCHAR"},
    "BOOL": {"BOOLEAN"},
    "DATE": {"DATE"},
    "TIMESTAMP": {"TIMESTAMP", "TIMESTAMP WITH TIME ZONE"},
    "ARRAY<STRING>": {"VARCHAR[]"},
    "ARRAY<FLOAT64>": {"DOUBLE[]"},
}


def _check_types(case, description) -> None:
    actual = {column[0]: str(column[1]) for column in description}
    wrong = {name: actual[name] for name, page in zip(case.columns, case.types, strict=True)
             if actual[name] not in DUCKDB_TYPES[page]}  # fmt: skip
    assert wrong == {}, f"{case.page}: types"


def _check_holds(case, rows: list[tuple]) -> None:
    """Each `-- holds:` expression, run by DuckDB over the fetched rows (in their order), is TRUE."""
    assert rows, "no rows to check"
    with duckdb.connect() as con:
        con.register("result", pa.Table.from_pylist([dict(zip(case.columns, row, strict=True)) for row in rows]))
        for expression in case.holds:
            assert con.execute(f"SELECT ({expression}) FROM result").fetchall() == [(True,)], expression


def _check_first_row(case, first: dict) -> None:
    """The page's numbers: `-- magnitude:` within a factor of 10, `-- equals:` to 1e-3 relative."""
    for name, reference in case.magnitudes.items():
        value = first[name]
        assert value is not None and value * reference > 0, f"{name} = {value}; the page shows {reference}"
        assert 0.1 <= value / reference <= 10, f"{name} = {value}: not of the order of the page's {reference}"
    for name, expected in case.equals.items():
        assert _same(first[name], expected), f"{name} = {first[name]!r}; the page shows {expected}"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_statement(case, bigquery, scratch):
    cursor = bigquery.cursor()
    bigquery.prepare(case, cursor)
    statement = case.statement.replace("{tmp}", str(scratch))
    if case.refused is not None:  # a statement sqlml refuses, with the reason docs/bigquery.md gives
        with pytest.raises(getattr(errors, case.refused)):
            cursor.execute(statement)
        return
    cursor.execute(statement)
    if case.columns is None:  # DDL or DML: the page documents no result
        return
    assert [column[0] for column in cursor.description or ()] == case.columns, f"{case.page}: columns"
    if case.types is not None:
        _check_types(case, cursor.description)
    if not (case.magnitudes or case.equals or case.rows is not None or case.holds):
        return
    rows = cursor.fetchall()
    if case.rows is not None:
        assert len(rows) == case.rows, f"{case.page}: rows"
    if case.holds:
        _check_holds(case, rows)
    if case.magnitudes or case.equals:
        _check_first_row(case, dict(zip(case.columns, rows[0], strict=True)))


SQLML_ONLY = {"VERSIONS", "FAIRNESS", "ERROR_SLICES", "MODEL_CARD"}  # functions BigQuery ML has no page for


def test_the_suite_covers_the_issue():
    """At least 120 statements, from pages named by their address, that create every model type sqlml has and
    call every ML function BigQuery ML documents, the preprocessing functions included."""
    from sqlml.engine.data.preprocessors import PREPROCESSORS
    from sqlml.engine.families import FAMILIES
    from sqlml.engine.functions.registry import ML_FUNCTIONS

    assert len(CASES) >= 120
    assert all(case.page.startswith("https://cloud.google.com/bigquery/docs/") for case in CASES)
    assert len({case.id for case in CASES}) == len(CASES)
    text = "\n".join(part for case in CASES for part in (case.statement, *case.given)).lower()
    assert [m for m in FAMILIES if f"'{m}'" not in text] == []
    functions = (set(ML_FUNCTIONS) - SQLML_ONLY) | set(PREPROCESSORS) | {"DISTANCE", "LP_NORM"}
    assert sorted(f for f in functions if f"ml.{f.lower()}(" not in text) == []
