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
