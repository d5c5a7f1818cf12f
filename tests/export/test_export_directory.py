"""EXPORT MODEL to a directory: a uri ending in '/' gets model.onnx and its sidecars inside it, as BigQuery ML
exports a model into a directory (https://cloud.google.com/bigquery/docs/reference/standard-sql/
bigqueryml-syntax-export-model: `uri = 'gs://bucket/path/to/saved_model/'`). The directory is created if
missing; existing files follow EXPORT's overwrite rule; a bad path leaves nothing behind."""

from __future__ import annotations

import errno
import tempfile

import numpy as np
import pytest

import sqlml
from sqlml.engine.policies import ExportPolicy
from sqlml.engine.session import Session
from tests.engine.reference import fails
from tests.export.onnx_helpers import ROOT, result_row, rows_of, run_onnx

CREATE = (
    "CREATE OR REPLACE MODEL m OPTIONS(model_type='dnn_classifier', input_label_cols=['species'], "
    "hidden_units=[8], learn_rate=0.05) AS SELECT * EXCLUDE (year) FROM penguins"
)
FILES = ["model.json", "model.md", "model.onnx"]


def test_the_files_land_in_a_new_directory(data, tmp_path):
    """Two missing levels are created; the graph in them, run by ONNX Runtime, gives ML.PREDICT's labels and
    probabilities on every row."""
    data.cursor().execute(CREATE)
    cur = data.cursor()
    cur.execute(f"EXPORT MODEL m OPTIONS(uri='{tmp_path}/out/saved_model/')")
    folder = tmp_path / "out" / "saved_model"
    assert result_row(cur)["uri"] == str(folder / "model.onnx")
    assert sorted(p.name for p in folder.iterdir()) == FILES
    query = "SELECT * EXCLUDE (year) FROM penguins"
    got = run_onnx(folder / "model.onnx", rows_of(data, query))
    predicted = rows_of(data, f"SELECT * FROM ML.PREDICT(MODEL m, ({query}))")
    assert got["predicted_species"].tolist() == [r["predicted_species"] for r in predicted]
    probs = np.array([[e["prob"] for e in r["predicted_species_probs"]] for r in predicted])
    np.testing.assert_allclose(got["predicted_species_probs"], probs, atol=1e-9)


def test_an_existing_directory_follows_the_overwrite_rule(data, tmp_path):
    """A model.onnx already there is kept without overwrite=TRUE and replaced with it; other files stay."""
    data.cursor().execute(CREATE)
    (tmp_path / "model.onnx").write_bytes(b"precious")
    (tmp_path / "notes.txt").write_text("mine")
    fails(data, f"EXPORT MODEL m OPTIONS(uri='{tmp_path}/')", sqlml.ProgrammingError, "model.onnx", "overwrite=TRUE")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx", "notes.txt"]
    assert (tmp_path / "model.onnx").read_bytes() == b"precious"
    data.cursor().execute(f"EXPORT MODEL m OPTIONS(uri='{tmp_path}/', overwrite=TRUE)")
    assert sorted(p.name for p in tmp_path.iterdir()) == [*FILES, "notes.txt"]
    assert (tmp_path / "model.onnx").read_bytes() != b"precious" and (tmp_path / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("uri", ["{dir}/f/", "{dir}/f/deeper/"])
def test_a_file_in_the_way(data, tmp_path, uri):
    data.cursor().execute(CREATE)
    (tmp_path / "f").write_text("a file")
    fails(
        data,
        f"EXPORT MODEL m OPTIONS(uri='{uri.format(dir=tmp_path)}')",
        sqlml.ProgrammingError,
        f"'{tmp_path}/f' is a file",
    )
    assert [p.name for p in tmp_path.iterdir()] == ["f"] and (tmp_path / "f").read_text() == "a file"


def test_a_directory_that_cannot_be_created(data, tmp_path):
    """/proc takes no new directory, even from root; a name past the system's limit fails after its parent
    was created, and the parent is removed again."""
    data.cursor().execute(CREATE)
    fails(data, "EXPORT MODEL m OPTIONS(uri='/proc/sqlml_m/')", sqlml.OperationalError, "cannot create", "/proc")
    fails(
        data,
        f"EXPORT MODEL m OPTIONS(uri='{tmp_path}/new/{'x' * 300}/')",
        sqlml.OperationalError,
        "cannot create directory",
        "too long",
    )
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_removes_the_directories_it_created(data, tmp_path, monkeypatch):
    """A full disk while the files are written: the error names the directory, which is gone afterwards."""
    data.cursor().execute(CREATE)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "mkstemp", full)
    fails(data, f"EXPORT MODEL m OPTIONS(uri='{tmp_path}/a/b/')", sqlml.OperationalError, "No space left", "a/b")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def confined(tmp_path):
    """A session whose exports are confined to tmp_path/exports, with the penguins model m trained."""
    (tmp_path / "exports").mkdir()
    session = Session(exports=ExportPolicy(directory=str(tmp_path / "exports")))
    cur = session.cursor()
    cur.execute(f"CREATE TABLE penguins AS FROM read_csv('{ROOT}/sql_examples/data/penguins.csv', nullstr='NA')")
    cur.execute(CREATE)
    yield session
    session.close()


def test_the_export_policy_still_applies(confined, tmp_path):
    """Inside the export directory a new directory is made; outside it (by '..', an absolute path or a
    symbolic link) nothing is created."""
    exports, outside = tmp_path / "exports", tmp_path / "outside"
    outside.mkdir()
    (exports / "link").symlink_to(outside)
    for uri in ["../escaped/", f"{outside}/new/", "link/new/"]:
        fails(confined, f"EXPORT MODEL m OPTIONS(uri='{uri}')", sqlml.OperationalError, "outside the export directory")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exports", "outside"] and list(outside.iterdir()) == []
    confined.cursor().execute("EXPORT MODEL m OPTIONS(uri='kept/v1/')")
    assert sorted(p.name for p in (exports / "kept" / "v1").iterdir()) == FILES


def test_a_connection_that_may_not_export_creates_nothing(tmp_path):
    session = Session(exports=ExportPolicy(allowed=False))
    fails(session, f"EXPORT MODEL m OPTIONS(uri='{tmp_path}/new/')", sqlml.OperationalError, "not allowed")
    session.close()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("uri", ["gs://bucket/path/to/saved_model/", "s3://bucket/model.onnx"])
def test_a_cloud_storage_uri_is_refused_and_writes_nothing(data, tmp_path, monkeypatch, uri):
    """BigQuery ML's page exports to gs://...; sqlml writes local files only, and does not make a local
    directory named 'gs:' of the URI."""
    data.cursor().execute(CREATE)
    monkeypatch.chdir(tmp_path)
    fails(data, f"EXPORT MODEL m OPTIONS(uri='{uri}')", sqlml.NotSupportedError, f"uri '{uri}' is a URL")
    assert list(tmp_path.iterdir()) == []
