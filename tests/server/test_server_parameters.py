"""Parameters sent by psycopg (extended protocol, `$n` on the wire) into ML statements are bound values, never
SQL text (issue 14, item 1): the rows equal plain DuckDB's with the same values bound."""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from tests.server.serving import dsn

WHERE = "body_mass_g > 4000-{} AND island = {}"


@pytest.mark.parametrize("values", [[-5, "Biscoe"], [-5, "\nOR true --"], [-500, "Dream' OR '1'='1"]])
def test_psycopg_parameters_in_an_ml_input_query_stay_values(server, database, values):
    sql = "SELECT count(*) FROM ML.PREDICT(MODEL species, (SELECT * FROM penguins WHERE " + WHERE + "))"
    with psycopg.connect(dsn(server)) as con:
        got = con.execute(sql.format("%s", "%s"), values).fetchone()[0]
    with duckdb.connect(str(database), read_only=True) as reference:
        want = reference.execute("SELECT count(*) FROM penguins WHERE " + WHERE.format("?", "?"), values).fetchone()[0]
    assert got == want


@pytest.mark.parametrize("value", [10.0, 0.1, -2.5e-300, 7, "7", True])
@pytest.mark.parametrize("placeholder", ["%s", "%b"])  # psycopg's text and binary formats
def test_a_parameter_keeps_its_type_in_an_ml_statement(server, database, value, placeholder):
    """Issue 19, item 4: a float parameter is a DOUBLE inside an ML.PREDICT input query, as in plain SQL and in
    DuckDB with the same value bound (psycopg sends a Python float as float8, an int as int2/4/8)."""
    ml_sql = "SELECT x, typeof(x) FROM ML.PREDICT(MODEL species, (SELECT {} AS x, * FROM penguins LIMIT 1))"
    plain_sql = "SELECT {} AS x, typeof(x)"
    with psycopg.connect(dsn(server)) as con:
        ml = con.execute(ml_sql.format(placeholder), [value]).fetchone()
        plain = con.execute(plain_sql.format(placeholder), [value]).fetchone()
    with duckdb.connect(str(database), read_only=True) as reference:
        (want_type,) = reference.execute("SELECT typeof(?)", [value]).fetchone()
    assert ml == plain and ml[0] == value
    if type(value) is not int:  # psycopg sends an int as int2, int4 or int8 by its size: DuckDB takes INTEGER
        assert ml[1] == want_type
    if isinstance(value, float):
        assert want_type == "DOUBLE" and isinstance(ml[0], float)
