"""One DuckDB file of stand-in tables per test session, and one BigQuery-dialect connection to it."""

from __future__ import annotations

import pytest

import sqlml
from tests.conformance import datasets


class BigQuerySession:
    """Opens `sqlml.connect(path, dialect='bigquery')` at the first case; a failure to open fails every case."""

    def __init__(self, path):
        self.path = path
        self._connection = None
        self._given = set()  # the case files whose `-- given:` statements have run

    def cursor(self):
        if self._connection is None:
            self._connection = sqlml.connect(str(self.path), dialect="bigquery")
        return self._connection.cursor()

    def prepare(self, case, cursor):
        """Runs the `-- given:` statements of the case's file once, before its first case, on the cursor that
        case runs on (a `SELECT setseed(...)` seeds that cursor's RAND())."""
        if case.file not in self._given:
            self._given.add(case.file)
            for statement in case.given:
                cursor.execute(statement)

    def close(self):
        if self._connection is not None:
            self._connection.close()


@pytest.fixture(scope="session")
def scratch(tmp_path_factory):
    """The directory that stands in for the pages' Cloud Storage paths (`{tmp}` in a statement)."""
    return tmp_path_factory.mktemp("gcs")


@pytest.fixture(scope="session")
def bigquery(tmp_path_factory, scratch):
    path = datasets.build(tmp_path_factory.mktemp("conformance") / "bigquery.duckdb")
    datasets.write_iris_onnx(scratch / "pipeline_rf.onnx")
    session = BigQuerySession(path)
    yield session
    session.close()
