"""Every registered model family honours one contract (scikit-learn's parametrize_with_checks idea: one suite,
every estimator). Read from the registry, so a new family is covered by adding it there.

Record checks: each option's default passes its own spec; the default search space names tunable options of
the family, within their bounds, that its rules accept; AutoML proposals are valid options; capability tags
name what the engine and export know. Statement checks, on a tiny table: CREATE MODEL, ML.PREDICT,
ML.EVALUATE (against scikit-learn on ML.PREDICT's output), ML.EXPLAIN_PREDICT where the record has an
explainer (attributions add up to the prediction), EXPORT MODEL run by ONNX Runtime alone (equal to
ML.PREDICT), and the database reopened in a new process predicting the same rows (a model compiled to SQL
importing no ML library to do so).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import optuna
import pytest
from sklearn import metrics as skm

import sqlml
from sqlml.engine.families import FAMILIES, Family, TrainData
from sqlml.engine.families.base import compiled_by
from sqlml.engine.families.common import SPLIT, data_split
from sqlml.engine.families.linear import LinearModel
from sqlml.engine.families.options import coerce
from sqlml.export.estimators import BUILDERS
from tests.export.onnx_helpers import rows_of, run_onnx

TASKS = {
    "regression",
    "classification",
    "clustering",
    "dimensionality_reduction",
    "autoencoder",
    "imported",
    "transform",
    "forecasting",
    "recommendation",
}
# the statement checks' families: forecasting models forecast series rather than predict rows (tests/forecasting/),
# matrix factorization models score users and items (tests/engine/test_matrix_factorization.py)
PREDICTING = [
    family for family in FAMILIES.values() if not (family.transform_only or family.forecasting or family.recommends)
]
HEAVY = ("sklearn", "lightgbm", "scipy", "onnx", "onnxruntime", "pandas", "optuna", "fairlearn", "skops")
# options a family cannot train without (its rules ask for one of several), and what keeps training quick
REQUIRED = {"pca": {"num_principal_components": 2}}
QUICK = {"max_iterations": 5, "budget_hours": 1e-6}
ROWS = 60
# what scoring a compiled model may not load: pyarrow itself imports pandas (when installed) on its first
# pa.array() call, which encoding a model's categories makes
SCORING_LIBRARIES = tuple(name for name in HEAVY if name != "pandas")


def _sql(value) -> str:
    return repr(value) if not isinstance(value, bool) else str(value).upper()


# ---- the records ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES.values(), ids=list(FAMILIES))
def test_every_option_default_passes_its_own_spec(family):
    assert family.task in TASKS
    for name, spec in family.options.items():
        if spec.default is not None:
            assert coerce(name, spec, spec.default) == spec.default, name


@pytest.mark.parametrize("family", FAMILIES.values(), ids=list(FAMILIES))
def test_the_search_space_tunes_options_of_the_family_within_bounds(family):
    space = family.search_space or {}
    assert not space or "num_trials" in family.options  # a family with a space can be tuned
    for name, values in space.items():
        spec = family.options[name]
        assert spec.tunable, name
        ends = values.get("hparam_range") or values["hparam_candidates"]
        for value in ends:
            assert coerce(name, spec, value) == value, (name, value)
            family.check({**family.defaults(), **REQUIRED.get(family.model_type, {}), name: value})


@pytest.mark.parametrize("family", [f for f in FAMILIES.values() if f.propose], ids=lambda f: f.model_type)
def test_automl_proposals_are_valid_options(family):
    assert family.supervised and family.fit is not None
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(20):
        proposed = family.propose(study.ask())
        for name, value in proposed.items():
            assert coerce(name, family.options[name], value) == value, (name, value)
        family.check({**family.defaults(), **proposed})


@pytest.mark.parametrize("family", FAMILIES.values(), ids=list(FAMILIES))
def test_capability_tags_name_what_the_engine_and_export_know(family):
    trained = family.fit is not None
    assert (family.load is not None) == (
        trained or family.imported or family.transform_only or family.forecasting or family.recommends
    )
    assert family.search is None or not trained  # AutoML trains the family its search picks
    assert family.onnx_builder is None or family.onnx_builder in BUILDERS
    assert (family.onnx_builder is not None) == trained  # every trained family exports (AutoML: its winner)
    assert set(family.quantize) <= {"INT8", "FLOAT16"}
    assert family.quantize_auto in {"NONE", *family.quantize}
    assert family.explainer in (None, "tree_shap", "linear", "sampled")
    assert family.importance in (None, "splits", "weights")
    assert set(family.warm_start_kept) <= set(family.options)
    assert family.scale_option is None or family.options[family.scale_option].kind == "bool"
    assert not family.classifier or family.max_classes >= 2 or family.search is not None


# ---- the statements ---------------------------------------------------------------------------------------


def _options(family) -> str:
    """OPTIONS(...) training `family` quickly on table t (label y for a regressor, label for a classifier)."""
    options = {"model_type": family.model_type, **REQUIRED.get(family.model_type, {})}
    options |= {name: value for name, value in QUICK.items() if name in family.options}
    if family.task == "regression":
        options["input_label_cols"] = ["y"]
    return ", ".join(f"{name}={_sql(value)}" for name, value in options.items())


def _query(family) -> str:
    label = {"regression": ", y", "classification": ", label"}.get(family.task, "")
    return f"SELECT a, b, c{label} FROM t"


def _predict_sql(family) -> str:
    """ML.PREDICT of m on all of t in `a` order; a pca model keeps its feature columns (keep_original_columns),
    as the other families pass theirs through, so that its rows order and compare alike."""
    keep = ", STRUCT(TRUE AS keep_original_columns)" if family.reduces_dimensions else ""
    return f"SELECT * FROM ML.PREDICT(MODEL m, TABLE t{keep}) ORDER BY a"


def _create(cur, family, folder: Path) -> None:
    """CREATE MODEL m of `family`: trained on t, or (an imported family) a linear model exported to ONNX."""
    if family.imported:
        cur.execute(
            "CREATE MODEL source OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS SELECT a, b, c, y FROM t"
        )
        cur.execute(f"EXPORT MODEL source OPTIONS(uri='{folder / 'source.onnx'}')")
        cur.execute(f"CREATE MODEL m OPTIONS(model_type='{family.model_type}', model_path='{folder / 'source.onnx'}')")
        return
    cur.execute(f"CREATE MODEL m OPTIONS({_options(family)}) AS {_query(family)}")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """model_type -> (database file, ML.PREDICT's rows in a order, or the exception CREATE MODEL raised): each
    family's model in its own database, closed, ready to be reopened."""
    folder = tmp_path_factory.mktemp("families")
    built = {}
    for family in PREDICTING:
        path = folder / f"{family.model_type}.duckdb"
        con = sqlml.connect(str(path))
        try:
            cur = con.cursor()
            cur.execute(
                f"CREATE TABLE t AS SELECT i / 10 AS a, ((i * 7) % 11)::DOUBLE AS b, "
                "['red', 'green', 'blue'][i % 3 + 1] AS c, 2 * (i / 10) - ((i * 7) % 11) / 4 + (i % 3) AS y, "
                f"(i * 7) % 11 > 5 AS label FROM range({ROWS}) r(i)"
            )
            _create(cur, family, folder)
            built[family.model_type] = (path, rows_of(con, _predict_sql(family)))
        except Exception as exc:  # reported by this family's tests only
            built[family.model_type] = (path, exc)
        finally:
            con.close()
    return built


def _predictions(trained, family):
    path, rows = trained[family.model_type]
    if isinstance(rows, Exception):
        raise rows
    assert len(rows) == ROWS
    return path, rows


def _column(rows: list[dict], name: str) -> np.ndarray:
    return np.array([row[name] for row in rows])


@pytest.mark.parametrize("family", PREDICTING, ids=lambda f: f.model_type)
def test_evaluate_agrees_with_scikit_learn_on_predict(family, trained):
    path, rows = _predictions(trained, family)
    if family.imported:
        return  # nothing sqlml trained: no labels, no metrics
    with sqlml.connect(str(path)) as con:
        (metrics,) = rows_of(con, "SELECT * FROM ML.EVALUATE(MODEL m, TABLE t)")
    if family.task == "regression":
        expected = skm.mean_absolute_error(_column(rows, "y"), _column(rows, "predicted_y"))
        assert metrics["mean_absolute_error"] == pytest.approx(expected, rel=1e-9)
    elif family.task == "classification":
        assert metrics["accuracy"] == pytest.approx(
            skm.accuracy_score(_column(rows, "label"), _column(rows, "predicted_label"))
        )
    elif family.task == "clustering":
        nearest = [min(entry["DISTANCE"] for entry in row["NEAREST_CENTROIDS_DISTANCE"]) for row in rows]
        assert metrics["mean_squared_distance"] == pytest.approx(np.mean(np.square(nearest)), rel=1e-9)
    elif family.task == "autoencoder":  # ML.RECONSTRUCTION_LOSS's per-row errors averaged
        with sqlml.connect(str(path)) as con:
            losses = rows_of(con, "SELECT * FROM ML.RECONSTRUCTION_LOSS(MODEL m, TABLE t)")
        assert metrics["mean_squared_error"] == pytest.approx(np.mean(_column(losses, "mean_squared_error")), rel=1e-9)
    else:
        assert 0 < metrics["total_explained_variance_ratio"] <= 1 + 1e-12


@pytest.mark.parametrize("family", [f for f in FAMILIES.values() if f.explainer], ids=lambda f: f.model_type)
def test_explanations_add_up_to_the_prediction(family, trained):
    path, rows = _predictions(trained, family)
    with sqlml.connect(str(path)) as con:
        explained = rows_of(con, "SELECT * FROM ML.EXPLAIN_PREDICT(MODEL m, TABLE t) ORDER BY a")
    for row, predicted in zip(explained, rows):
        total = row["baseline_prediction_value"] + sum(e["attribution"] for e in row["top_feature_attributions"])
        assert total == pytest.approx(row["prediction_value"], rel=1e-9, abs=1e-9)
        if family.task == "regression":  # the raw score is the prediction itself
            assert row["prediction_value"] == pytest.approx(predicted["predicted_y"], rel=1e-9, abs=1e-9)


def _onnx_equals_predict(outputs: dict, rows: list[dict], task: str) -> None:
    if task == "regression":
        np.testing.assert_allclose(outputs["predicted_y"], _column(rows, "predicted_y"), rtol=1e-9, atol=1e-9)
    elif task == "classification":
        probabilities = [[entry["prob"] for entry in row["predicted_label_probs"]] for row in rows]
        np.testing.assert_allclose(outputs["predicted_label_probs"], probabilities, rtol=1e-9, atol=1e-9)
        assert outputs["predicted_label"].tolist() == _column(rows, "predicted_label").tolist()
    elif task == "clustering":
        assert outputs["CENTROID_ID"].tolist() == _column(rows, "CENTROID_ID").tolist()
    elif task == "autoencoder":
        latent = np.column_stack(
            [_column(rows, f"latent_col_{i + 1}") for i in range(outputs["latent_space"].shape[1])]
        )
        np.testing.assert_allclose(outputs["latent_space"], latent, rtol=1e-9, atol=1e-9)
    else:
        components = np.column_stack(
            [_column(rows, f"principal_component_{i + 1}") for i in range(outputs["principal_components"].shape[1])]
        )
        np.testing.assert_allclose(outputs["principal_components"], components, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("family", PREDICTING, ids=lambda f: f.model_type)
def test_the_exported_onnx_file_predicts_as_ml_predict(family, trained, tmp_path):
    path, rows = _predictions(trained, family)
    with sqlml.connect(str(path)) as con:
        cur = con.cursor()
        if family.imported:  # its graph is the file it was imported from
            with pytest.raises(sqlml.NotSupportedError, match="EXPORT MODEL"):
                cur.execute(f"EXPORT MODEL m OPTIONS(uri='{tmp_path / 'm.onnx'}')")
            return
        cur.execute(f"EXPORT MODEL m OPTIONS(uri='{tmp_path / 'm.onnx'}')")
        inputs = rows_of(con, f"{_query(family)} ORDER BY a")
    _onnx_equals_predict(run_onnx(tmp_path / "m.onnx", inputs), rows, family.task)


RELOAD = """
import json, sys
import sqlml
heavy = {name for name in %r if name in sys.modules}
out = {}
for model_type, (path, sql) in json.loads(sys.argv[1]).items():
    with sqlml.connect(path) as con:
        cur = con.cursor()
        cur.execute(sql)
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row)) for row in cur.fetchall()]
    out[model_type] = {"rows": rows, "imported": sorted(n for n in %r if n in sys.modules and n not in heavy)}
print(json.dumps(out, default=str))
""" % (SCORING_LIBRARIES, SCORING_LIBRARIES)  # noqa: UP031 - a Python program as a template: its braces are its own


@pytest.fixture(scope="module")
def reloaded(trained):
    """model_type -> ML.PREDICT's rows in a new process, and the ML libraries predicting imported there: the
    compiled families first (before any streamed model's library is loaded), one process for all."""
    ready = {name: str(path) for name, (path, rows) in trained.items() if not isinstance(rows, Exception)}
    order = sorted(ready, key=lambda name: FAMILIES[name].compile_sql is None)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            RELOAD,
            json.dumps({name: [ready[name], _predict_sql(FAMILIES[name])] for name in order}),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("family", PREDICTING, ids=lambda f: f.model_type)
def test_a_new_process_predicts_the_same_rows(family, trained, reloaded):
    _, rows = _predictions(trained, family)
    again = reloaded[family.model_type]
    assert json.loads(json.dumps(rows, default=str)) == again["rows"]
    if family.compile_sql is not None:  # compiled to SQL: its JSON artifact loads, DuckDB scores, no ML library
        assert again["imported"] == []


@pytest.mark.parametrize("family", [f for f in FAMILIES.values() if f.transform_only], ids=lambda f: f.model_type)
def test_a_transform_only_family_transforms_and_predicts_nothing(family, tmp_path):
    """It needs a TRANSFORM; ML.TRANSFORM gives what the same expression gives over the training query (its
    statistics fitted on every row); ML.PREDICT, ML.EVALUATE and EXPORT MODEL refuse it, naming what it is."""
    with sqlml.connect() as con:
        cur = con.cursor()
        cur.execute("CREATE TABLE t AS SELECT i / 10 AS a, ['red', 'green'][i % 2 + 1] AS c FROM range(20) r(i)")
        with pytest.raises(sqlml.ProgrammingError, match="TRANSFORM"):
            cur.execute(f"CREATE MODEL m OPTIONS(model_type='{family.model_type}') AS SELECT * FROM t")
        cur.execute(
            "CREATE MODEL m TRANSFORM(ML.MIN_MAX_SCALER(a) OVER () AS s, c) "
            f"OPTIONS(model_type='{family.model_type}') AS SELECT * FROM t"
        )
        assert rows_of(con, "SELECT * FROM ML.TRANSFORM(MODEL m, TABLE t)") == rows_of(
            con, "SELECT (a - min(a) OVER ()) / (max(a) OVER () - min(a) OVER ()) AS s, c FROM t"
        )
        # ML.FEATURE_INFO describes what the TRANSFORM reads, as BigQuery ML's does for TRANSFORM_ONLY models
        # (https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-feature)
        a = [i / 10 for i in range(20)]
        info = rows_of(con, "SELECT input, min, max, mean, stddev, category_count FROM ML.FEATURE_INFO(MODEL m)")
        assert info == [
            dict(
                input="a",
                min=min(a),
                max=max(a),
                mean=pytest.approx(np.mean(a)),
                stddev=pytest.approx(np.std(a, ddof=1)),
                category_count=None,
            ),
            dict(input="c", min=None, max=None, mean=None, stddev=None, category_count=2),
        ]
        for statement in (
            "SELECT * FROM ML.PREDICT(MODEL m, TABLE t)",
            "SELECT * FROM ML.EVALUATE(MODEL m)",
            f"EXPORT MODEL m OPTIONS(uri='{tmp_path / 'm.onnx'}')",
        ):
            with pytest.raises(sqlml.NotSupportedError, match="transform_only"):
                cur.execute(statement)


# ---- a new family: one module, one registry line ----------------------------------------------------------


def _fit_mean(data: TrainData) -> LinearModel:
    """A toy family's trainer: every prediction is the training rows' mean label."""
    return LinearModel(np.zeros((1, data.X.shape[1])), [data.y.mean()], logistic=False)


MEAN_REG = Family(
    "mean_reg",
    "regression",
    {**SPLIT},
    _fit_mean,
    LinearModel.load,
    "json",
    rules=(data_split,),
    compile_sql=compiled_by("linear"),
    onnx_builder="linear",
)


def test_a_new_family_needs_only_its_record_in_the_registry(monkeypatch, tmp_path):
    """A family made of its record alone (what its module would hold), added to the registry, trains, predicts
    in SQL, evaluates and exports with no other change."""
    monkeypatch.setitem(FAMILIES, "mean_reg", MEAN_REG)
    with sqlml.connect() as con:
        cur = con.cursor()
        cur.execute("CREATE TABLE t AS SELECT i::DOUBLE AS a, (i % 7)::DOUBLE AS y FROM range(20) r(i)")
        cur.execute("CREATE MODEL m OPTIONS(model_type='mean_reg', input_label_cols=['y']) AS SELECT a, y FROM t")
        mean = np.mean([i % 7 for i in range(20)])
        predicted = _column(rows_of(con, "SELECT * FROM ML.PREDICT(MODEL m, TABLE t) ORDER BY a"), "predicted_y")
        np.testing.assert_allclose(predicted, mean, rtol=1e-12)
        (metrics,) = rows_of(con, "SELECT * FROM ML.EVALUATE(MODEL m, TABLE t)")
        assert metrics["mean_absolute_error"] == pytest.approx(np.mean([abs(i % 7 - mean) for i in range(20)]))
        cur.execute(f"EXPORT MODEL m OPTIONS(uri='{tmp_path / 'm.onnx'}')")
        outputs = run_onnx(tmp_path / "m.onnx", rows_of(con, "SELECT a FROM t"))
        np.testing.assert_allclose(outputs["predicted_y"], mean, rtol=1e-12)
        with pytest.raises(sqlml.ProgrammingError, match="unknown option 'l2_reg' for model_type mean_reg"):
            cur.execute("CREATE MODEL n OPTIONS(model_type='mean_reg', l2_reg=1) AS SELECT a, y FROM t")


# ---- no ML library where none is needed -------------------------------------------------------------------

# a process that loads sqlml's engine modules without sqlml/__init__.py (the package's own imports are the
# lazy-import test's concern): what the registry, the records, the training modules and a compiled model need
BARE = """
import json, sys, types
package = types.ModuleType("sqlml")
package.__path__ = [%r]
sys.modules["sqlml"] = package
import sqlml.engine.families, sqlml.engine.training.create_model, sqlml.engine.training.tuning
loaded = sorted(name for name in %r if name in sys.modules)
if len(sys.argv) > 1:
    import duckdb
    from sqlml.engine.store import catalog
    from sqlml.engine.store.model import Model
    cur = duckdb.connect(sys.argv[1])
    model = Model(catalog.load(cur, *catalog.locate(cur, (None, "m"))[:3]))
    relation = cur.sql("SELECT * FROM t")
    compiled = model.family.compile_sql(model, "SELECT * FROM t", relation, model.resolve(relation.columns), 0.5)
    cur.execute(f"SELECT * FROM ({compiled}) ORDER BY a")
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, row)) for row in cur.fetchall()]
    loaded = sorted(name for name in %r if name in sys.modules)
    print(json.dumps(rows, default=str))
print(json.dumps(loaded))
""" % (str(Path(sqlml.__file__).parent), HEAVY, SCORING_LIBRARIES)  # noqa: UP031 - a Python program as a template: its braces are its own


def _bare(*args: str) -> list:
    done = subprocess.run([sys.executable, "-c", BARE, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_the_registry_and_training_modules_import_no_ml_library():
    assert _bare() == [[]]


@pytest.mark.parametrize("family", [f for f in FAMILIES.values() if f.compile_sql], ids=lambda f: f.model_type)
def test_a_compiled_model_loads_and_predicts_with_duckdb_alone(family, trained):
    """Its JSON artifact loads and compiles with no ML library imported; DuckDB then gives ML.PREDICT's rows."""
    path, rows = _predictions(trained, family)
    predicted, loaded = _bare(str(path))
    assert loaded == []
    assert predicted == json.loads(json.dumps(rows, default=str))
