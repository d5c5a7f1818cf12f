"""The bundled penguins and cars tables, loaded once per test module."""

from __future__ import annotations

from pathlib import Path

import pytest

import sqlml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data():
    con = sqlml.connect()
    cur = con.cursor()
    cur.execute(f"CREATE TABLE penguins AS FROM read_csv('{ROOT}/sql_examples/data/penguins.csv', nullstr='NA')")
    cur.execute(f"CREATE TABLE cars AS FROM read_csv('{ROOT}/sql_examples/data/cars.csv')")
    yield con
    con.close()


def result_row(cur) -> dict:
    return dict(zip([d[0] for d in cur.description], cur.fetchone()))
