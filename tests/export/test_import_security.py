"""Hostile ONNX imports and stored artifacts: no file of the server read through a model, model files read
only where the connection may read and only as regular files, bounded graphs, and runs that stop on cancel.

The risky reads (a FIFO, /dev/zero) and the endless Loop run in a subprocess with a deadline, so a
regression fails the test instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import psycopg
import pytest

import sqlml
from sqlml.engine.families import onnx_model
from sqlml.engine.policies import ImportPolicy
from sqlml.engine.session import Session
from tests.export.hostile import (
    DEADLINE,
    SECRET,
    affine_model,
    chain_model,
    hiding_external_data,
    leaky_model,
    loop_model,
    replace_artifact,
    run_script,
    with_external_w,
)
from tests.server.serving import serve

IMPORT = "CREATE OR REPLACE MODEL {name} OPTIONS(model_type='onnx', model_path='{path}')"


def _import(con, name: str, path) -> None:
    con.cursor().execute(IMPORT.format(name=name, path=path))


def _models(con) -> list:
    return con.cursor().execute("SHOW MODELS").fetchall()


def _refused(con, sql: str, error: type, *fragments: str) -> str:
    """Run `sql`, expect `error` with every fragment in its message, and no model added; the message."""
    before = _models(con)
    with pytest.raises(error) as caught:
        con.cursor().execute(sql)
    for fragment in fragments:
        assert fragment in str(caught.value), (fragment, str(caught.value))
    assert _models(con) == before
    return str(caught.value)


# -- stored artifacts never read files ----------------------------------------------------------------
def test_a_stored_artifact_naming_a_file_of_the_server_is_refused_and_leaks_nothing(tmp_path, monkeypatch, capfd):
    (tmp_path / "leak.onnx").write_bytes(leaky_model().SerializeToString())
    database = tmp_path / "db.duckdb"
    with sqlml.connect(str(database)) as con:
        con.cursor().execute("CREATE TABLE t AS SELECT 1.0::DOUBLE AS x")
        _import(con, "leaky", tmp_path / "leak.onnx")
        assert con.cursor().execute("SELECT y FROM ML.PREDICT(MODEL leaky, TABLE t)").fetchall() == [
            ([0.0] * len(SECRET),)
        ]
    tampered = with_external_w(leaky_model(), "secrets.env").SerializeToString()
    replace_artifact(database, "leaky", tampered)
    workdir = tmp_path / "server"
    workdir.mkdir()
    (workdir / "secrets.env").write_bytes(SECRET)
    monkeypatch.chdir(workdir)
    # the tampered artifact is potent: ONNX Runtime given its bytes here returns the secret
    leaked = ort.InferenceSession(tampered).run(None, {"x": np.ones((1, 1))})[0]
    assert bytes(leaked.astype(np.uint8)[0]) == SECRET
    with sqlml.connect(str(database)) as con:
        with pytest.raises(sqlml.DataError) as caught:  # sqlml's own refusal, or a checksum over the artifact
            con.cursor().execute("SELECT y FROM ML.PREDICT(MODEL leaky, TABLE t)").fetchall()
    message = str(caught.value)
    assert "leaky" in message
    output = capfd.readouterr()
    for text in (message, output.out, output.err):
        assert SECRET.decode() not in text and "hunter" not in text


@pytest.mark.parametrize(
    "place", ["initializer", "sparse initializer", "Constant node", "If branch", "Loop body", "function"]
)
def test_external_data_anywhere_in_a_stored_artifact_is_refused_before_onnx_runtime(place, monkeypatch):
    seen = []
    monkeypatch.setattr(ort, "InferenceSession", lambda *args, **kwargs: seen.append(args))
    with pytest.raises(sqlml.DataError, match="external data"):
        onnx_model.OnnxModel.load(hiding_external_data(place, "secrets.env").SerializeToString())
    assert seen == []


# -- external data of an imported model ---------------------------------------------------------------
def test_a_model_with_its_own_weights_file_imports_from_another_working_directory(tmp_path, monkeypatch):
    folder, elsewhere = tmp_path / "model", tmp_path / "elsewhere"
    folder.mkdir(), elsewhere.mkdir()
    onnx.save_model(
        affine_model(), folder / "affine.onnx", save_as_external_data=True, location="weights.bin", size_threshold=0
    )
    size = (folder / "weights.bin").stat().st_size
    (elsewhere / "weights.bin").write_bytes(np.random.default_rng(1).normal(size=size // 8).tobytes())  # a decoy
    monkeypatch.chdir(elsewhere)
    feeds = {"a": np.array([[0.5], [-1.0], [2.0]]), "b": np.array([[1.5], [0.0], [-3.0]])}
    expected = ort.InferenceSession(str(folder / "affine.onnx")).run(None, feeds)[0]  # from the model's folder
    unoptimized = ort.SessionOptions()
    unoptimized.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    from_cwd = ort.InferenceSession((folder / "affine.onnx").read_bytes(), unoptimized).run(None, feeds)[0]
    assert not np.allclose(from_cwd, expected)  # the model's bytes alone: ONNX Runtime reads the decoy
    with sqlml.connect() as con:
        cur = con.cursor()
        cur.execute("CREATE TABLE t (i INTEGER, a DOUBLE, b DOUBLE)")
        cur.executemany(
            "INSERT INTO t VALUES (?, ?, ?)", [(i, a[0], b[0]) for i, (a, b) in enumerate(zip(feeds["a"], feeds["b"]))]
        )
        _import(con, "affine", folder / "affine.onnx")
        got = cur.execute("SELECT y FROM ML.PREDICT(MODEL affine, TABLE t) ORDER BY i").fetchall()
        np.testing.assert_array_equal([row[0] for row in got], expected)
        (folder / "weights.bin").unlink()  # the version holds the weights
        again = cur.execute("SELECT y FROM ML.PREDICT(MODEL affine, TABLE t) ORDER BY i").fetchall()
        assert again == got


def _with_weights_at(folder: Path, location: str, **entries) -> Path:
    """affine.onnx in `folder` whose weights W are external data at `location` (with `entries`)."""
    model = affine_model()
    weights = model.graph.initializer[0]
    weights.data_location = onnx.TensorProto.EXTERNAL
    weights.ClearField("raw_data")
    weights.external_data.add(key="location", value=location)
    for key, value in entries.items():
        weights.external_data.add(key=key, value=str(value))
    path = folder / "affine.onnx"
    path.write_bytes(model.SerializeToString())
    return path


@pytest.mark.parametrize(
    "location, entries, error, fragment",
    [
        ("../outside.bin", {}, sqlml.ProgrammingError, "not a file in the model's folder"),
        ("{outside}", {}, sqlml.ProgrammingError, "not a file in the model's folder"),
        ("link.bin", {}, sqlml.ProgrammingError, "not a file in the model's folder"),
        ("sub", {}, sqlml.ProgrammingError, "is not a regular file"),
        ("missing.bin", {}, sqlml.ProgrammingError, "cannot be read: No such file"),
        ("inside.bin", {"offset": 60, "length": 64}, sqlml.ProgrammingError, "bytes 60 to 124 are not in the file"),
        ("inside.bin", {"offset": "x"}, sqlml.DataError, "not an integer"),
    ],
)
def test_external_data_is_read_only_from_regular_files_in_the_models_folder(
    tmp_path, location, entries, error, fragment
):
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (tmp_path / "outside.bin").write_bytes(bytes(64))
    (folder / "inside.bin").write_bytes(bytes(64))
    (folder / "link.bin").symlink_to(tmp_path / "outside.bin")
    path = _with_weights_at(folder, location.format(outside=tmp_path / "outside.bin"), **entries)
    with sqlml.connect() as con:
        _refused(con, IMPORT.format(name="m", path=path), error, "external data", "tensor 'W'", fragment)


def test_files_that_are_not_regular_are_refused_without_being_read(tmp_path):
    """A FIFO (nobody writing: opening it for reading would block), /dev/zero (endless), a directory, a symlink to
    /dev/zero, as model_path or as external data: each a clean error, in a subprocess with a deadline."""
    os.mkfifo(tmp_path / "fifo.onnx")
    (tmp_path / "zero.onnx").symlink_to("/dev/zero")
    folder = tmp_path / "model"
    folder.mkdir()
    os.mkfifo(folder / "weights.fifo")
    paths = [
        tmp_path / "fifo.onnx",
        "/dev/zero",
        tmp_path,
        tmp_path / "zero.onnx",
        _with_weights_at(folder, "weights.fifo"),
    ]
    run = run_script(
        f"""
        import json, sqlml
        con = sqlml.connect()
        for path in {[str(p) for p in paths]!r}:
            try:
                con.execute("CREATE MODEL m OPTIONS(model_type='onnx', model_path='" + path + "')")
                print(json.dumps(["imported", path]))
            except sqlml.Error as exc:
                print(json.dumps([type(exc).__name__, str(exc)]))
        print(json.dumps(["models", len(con.execute("SHOW MODELS").fetchall())]))
        """,
        tmp_path,
    )
    assert run.returncode == 0, run.stderr
    results = [json.loads(line) for line in run.stdout.splitlines()]
    assert [kind for kind, _ in results] == ["ProgrammingError"] * 5 + ["models"]
    assert all("is not a regular file" in message for _, message in results[:5])
    assert "external data 'weights.fifo'" in results[4][1]
    assert results[-1] == ["models", 0]


def test_the_size_cap(tmp_path):
    """MAX_MODEL_BYTES for the model file and its external data together (sparse files: nothing is written)."""
    with open(tmp_path / "huge.onnx", "wb") as file:
        file.truncate(onnx_model.MAX_MODEL_BYTES + 1)
    folder = tmp_path / "model"
    folder.mkdir()
    with open(folder / "weights.bin", "wb") as file:
        file.truncate(onnx_model.MAX_MODEL_BYTES)
    path = _with_weights_at(folder, "weights.bin")
    with sqlml.connect() as con:
        _refused(
            con,
            IMPORT.format(name="m", path=tmp_path / "huge.onnx"),
            sqlml.NotSupportedError,
            "is too large (1,073,741,825 bytes): sqlml reads at most 1,073,741,824 bytes",
        )
        _refused(
            con,
            IMPORT.format(name="m", path=path),
            sqlml.NotSupportedError,
            "external data 'weights.bin'",
            f"is too large (1,073,741,824 bytes): sqlml reads at most {2**30 - path.stat().st_size:,} bytes",
        )


# -- where model_path may be read -----------------------------------------------------------------------
def test_with_file_access_off_every_model_path_is_refused_alike(tmp_path):
    """enable_external_access=false: the same error for a model, a missing file, a directory, a FIFO and
    /dev/zero (no existence oracle); in a subprocess, in case the FIFO were opened."""
    (tmp_path / "ok.onnx").write_bytes(loop_model(3).SerializeToString())
    os.mkfifo(tmp_path / "fifo")
    paths = [tmp_path / "ok.onnx", tmp_path / "missing.onnx", tmp_path, tmp_path / "fifo", "/dev/zero"]
    run = run_script(
        f"""
        import json, sqlml
        con = sqlml.connect(config={{"enable_external_access": False}})
        for path in {[str(p) for p in paths]!r}:
            try:
                con.execute("CREATE MODEL m OPTIONS(model_type='onnx', model_path='" + path + "')")
                print(json.dumps(["imported", path]))
            except sqlml.Error as exc:
                print(json.dumps([type(exc).__name__, str(exc).replace(path, "PATH")]))
        """,
        tmp_path,
    )
    assert run.returncode == 0, run.stderr
    results = {tuple(json.loads(line)) for line in run.stdout.splitlines()}
    assert len(run.stdout.splitlines()) == 5 and len(results) == 1
    ((kind, message),) = results
    assert kind == "OperationalError" and message.startswith("Permission Error: model_path 'PATH' cannot be read")
    with sqlml.connect() as con:  # the same model imports where file access is on
        _import(con, "ok", tmp_path / "ok.onnx")


@pytest.fixture
def import_dir(tmp_path):
    """tmp_path/imports holding loop3.onnx, a link to a model outside it and a subfolder; tmp_path holds
    outside.onnx."""
    directory = tmp_path / "imports"
    (directory / "sub").mkdir(parents=True)
    (directory / "loop3.onnx").write_bytes(loop_model(3).SerializeToString())
    (tmp_path / "outside.onnx").write_bytes(loop_model(3).SerializeToString())
    (directory / "link.onnx").symlink_to(tmp_path / "outside.onnx")
    return directory


@pytest.mark.parametrize(
    "path, allowed",
    [
        ("loop3.onnx", True),
        ("sub/../loop3.onnx", True),
        ("{dir}/loop3.onnx", True),
        ("../outside.onnx", False),
        ("../missing.onnx", False),
        ("{dir}/../outside.onnx", False),
        ("link.onnx", False),
        ("sub/../../outside.onnx", False),
        ("/etc/passwd", False),
        ("/nonexistent/x", False),
    ],
)
def test_an_import_directory_is_the_only_place_read(import_dir, path, allowed):
    session = Session(
        imports=ImportPolicy(directory=str(import_dir)), config={"enable_external_access": False}
    )  # as a server runs it
    cur = session.cursor()
    sql = IMPORT.format(name="m", path=path.format(dir=import_dir))
    try:
        if allowed:
            cur.execute(sql)
            cur.execute("SELECT y FROM ML.PREDICT(MODEL m, (SELECT 1.5::DOUBLE AS x))")
            assert cur.duck.fetchall() == [(4.5,)]
        else:
            with pytest.raises(sqlml.OperationalError) as caught:
                cur.execute(sql)
            assert str(caught.value) == (
                f"Permission Error: model_path '{path.format(dir=import_dir)}' is outside the server's import directory"
            )
    finally:
        session.close()


def test_the_server_imports_only_inside_its_import_dir(import_dir, tmp_path):
    database = tmp_path / "db.duckdb"
    sqlml.connect(str(database)).close()
    with (
        serve(database, "--read-write", "--import-dir", str(import_dir)) as port,
        psycopg.connect(f"host=127.0.0.1 port={port} dbname=db user=u", autocommit=True) as con,
    ):
        con.execute(IMPORT.format(name="m", path="loop3.onnx"))
        assert con.execute("SELECT y FROM ML.PREDICT(MODEL m, (SELECT 1.5::DOUBLE AS x))").fetchall() == [(4.5,)]
        for path in ["../outside.onnx", "../missing.onnx"]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="outside the server's import directory"):
                con.execute(IMPORT.format(name="n", path=path))
    with (
        serve(database, "--read-write") as port,
        psycopg.connect(f"host=127.0.0.1 port={port} dbname=db user=u", autocommit=True) as con,
    ):
        messages = set()
        for path in [import_dir / "loop3.onnx", import_dir / "missing.onnx"]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as caught:
                con.execute(IMPORT.format(name="n", path=path))
            messages.add(str(caught.value).replace(str(path), "PATH"))
        assert len(messages) == 1 and "--import-dir" in messages.pop()
        assert con.execute("SELECT model_name FROM sqlml.models").fetchall() == [("m",)]


# -- bounded graphs, runs that stop ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "model, fragments",
    [
        (loop_model(10**12), ["would run 1,000,000,000,000 iterations", "at most 1,000,000"]),
        (loop_model(None), ["has no constant trip count M"]),
        (loop_model(2000, 1000), ["would run 2,000,000 iterations", "nested"]),
        (chain_model(onnx_model.MAX_NODES + 1), ["has 100,001 nodes", "at most 100,000"]),
    ],
)
def test_unbounded_graphs_are_refused_at_import(tmp_path, model, fragments):
    (tmp_path / "m.onnx").write_bytes(model.SerializeToString())
    with sqlml.connect() as con:
        _refused(con, IMPORT.format(name="m", path=tmp_path / "m.onnx"), sqlml.NotSupportedError, *fragments)


@pytest.mark.parametrize("trips", [(3,), (20, 30), (2, 3, 4)])
def test_bounded_loops_import_and_run(tmp_path, trips):
    (tmp_path / "m.onnx").write_bytes(loop_model(*trips).SerializeToString())
    with sqlml.connect() as con:
        _import(con, "m", tmp_path / "m.onnx")
        got = con.execute("SELECT y FROM ML.PREDICT(MODEL m, (SELECT 0.5::DOUBLE AS x))").fetchall()
    assert got == [(0.5 + np.prod(trips),)]


def test_cancel_stops_a_stored_endless_loop(tmp_path):
    """A stored artifact with a Loop of 10^12 iterations (written into the catalog, past the import checks):
    interrupting the cursor (what a server's cancel request and the shell's Ctrl-C do) terminates the ONNX
    Runtime run in flight; in a subprocess, which reports "hung" if the run goes on."""
    (tmp_path / "loop.onnx").write_bytes(loop_model(3).SerializeToString())
    database = tmp_path / "db.duckdb"
    with sqlml.connect(str(database)) as con:
        _import(con, "endless", tmp_path / "loop.onnx")
    replace_artifact(database, "endless", loop_model(10**12).SerializeToString())
    run = run_script(
        f"""
        import os, threading
        from sqlml.engine import progress
        from sqlml.engine.session import Session

        running = threading.Event()  # set when a run has registered how to stop it
        stopping = progress.Progress.stopping
        def signalled(self, stop):
            running.set()
            return stopping(self, stop)
        progress.Progress.stopping = signalled

        cur = Session({str(database)!r}).cursor()
        outcome = []
        def predict():
            try:
                cur.execute("SELECT y FROM ML.PREDICT(MODEL endless, (SELECT 1.0::DOUBLE AS x))")
                cur.duck.fetchall()
                outcome.append("finished")
            except Exception as exc:
                outcome.append(type(exc).__name__ + ": " + str(exc))
        worker = threading.Thread(target=predict, daemon=True)
        worker.start()
        running.wait({DEADLINE})
        cur.interrupt()
        worker.join({DEADLINE})
        print(outcome[0] if outcome else "hung", flush=True)
        os._exit(0)
        """,
        tmp_path,
        timeout=3 * DEADLINE,
    )
    assert run.stdout.strip() == "Cancelled: the statement was cancelled", run.stderr
