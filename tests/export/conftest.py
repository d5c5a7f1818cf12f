"""The bundled penguins and cars tables, loaded once per test module."""

from __future__ import annotations

import pytest

import sqlml
from tests.export.onnx_helpers import ROOT


@pytest.fixture(scope="module")
def data():
    con = sqlml.connect()
    cur = con.cursor()
    cur.execute(f"CREATE TABLE penguins AS FROM read_csv('{ROOT}/sql_examples/data/penguins.csv', nullstr='NA')")
    cur.execute(f"CREATE TABLE cars AS FROM read_csv('{ROOT}/sql_examples/data/cars.csv')")
    yield con
    con.close()
