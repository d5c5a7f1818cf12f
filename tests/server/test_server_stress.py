"""A read-write server under mixed load (issue 14): 8 psycopg clients x 50 statements mixing ML.PREDICT,
CREATE OR REPLACE MODEL and plain SQL on 127.0.0.1. Every answer is checked against DuckDB or the DB-API run
before the load; no statement may fail (a raw DuckDB conflict text would mean two writers raced)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import duckdb
import psycopg
import pytest

import sqlml
from tests.server.serving import dsn, make_database, serve

CLIENTS, STATEMENTS = 8, 50
REPLACE = (
    "CREATE OR REPLACE MODEL shared OPTIONS(model_type='linear_reg', input_label_cols=['body_mass_g']) AS "
    "SELECT flipper_length_mm, bill_length_mm, body_mass_g FROM penguins"
)
PREDICT = {
    "species": "SELECT predicted_species FROM ML.PREDICT(MODEL species, (SELECT * FROM penguins "
    "WHERE penguin_id = %s))",
    "shared": "SELECT predicted_body_mass_g FROM ML.PREDICT(MODEL shared, (SELECT * FROM penguins "
    "WHERE penguin_id = %s))",
}


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    path = make_database(tmp_path_factory.mktemp("stress") / "penguins.duckdb")
    with sqlml.connect(str(path)) as con:
        con.execute(REPLACE)
    return path


def test_eight_clients_mixing_predictions_replaces_and_plain_sql(database):
    with sqlml.connect(str(database), read_only=True) as con:
        expected = {
            name: dict(
                con.execute(
                    sql.replace("SELECT ", "SELECT penguin_id, ", 1).replace("WHERE penguin_id = %s", "")
                ).fetchall()
            )
            for name, sql in PREDICT.items()
        }
    with duckdb.connect(str(database), read_only=True) as con:
        by_island = dict(con.execute("SELECT island, count(*) FROM penguins GROUP BY ALL").fetchall())

    def client(number: int) -> list[str]:
        wrong = []
        with psycopg.connect(dsn(port, password="", user="sqlml"), autocommit=True) as con:
            for i in range(STATEMENTS):
                key = (number * STATEMENTS + i) % 344 + 1
                try:
                    if i % 5 == 0:
                        con.execute(REPLACE)
                    elif i % 5 in (1, 2):
                        name = "species" if i % 5 == 1 else "shared"
                        (got,) = con.execute(PREDICT[name], [key]).fetchone()
                        want = expected[name][key]
                        if got != (want if isinstance(want, str) else pytest.approx(want, rel=1e-9)):
                            wrong.append(f"{name} {key}: {got} != {expected[name][key]}")
                    else:
                        island = sorted(by_island)[key % 3]
                        got = con.execute("SELECT count(*) FROM penguins WHERE island = %s", [island]).fetchone()
                        if got != (by_island[island],):
                            wrong.append(f"count {island}: {got}")
                except psycopg.Error as exc:
                    wrong.append(f"{type(exc).__name__}: {exc}")
        return wrong

    with serve(database, "--read-write") as port:
        with ThreadPoolExecutor(CLIENTS) as pool:
            failures = [f for found in pool.map(client, range(CLIENTS), timeout=600) for f in found]
        assert failures == []
        with psycopg.connect(dsn(port, password="", user="sqlml"), autocommit=True) as con:  # alive
            versions = con.execute(
                "SELECT list(version ORDER BY version), max(version) FROM sqlml.model_versions "
                "WHERE model_name = 'shared'"
            ).fetchone()
            active = con.execute("SELECT active_version FROM sqlml.models WHERE model_name = 'shared'").fetchone()
    replaces = CLIENTS * len(range(0, STATEMENTS, 5))
    assert versions == (list(range(1, replaces + 2)), replaces + 1) and active == (replaces + 1,)
