"""Every registered ML function's call is checked against its signature in one place, with one wording: a
model of a task it does not take, missing or refused input, a list of values it does not take, an unknown
STRUCT parameter (with the closest name suggested), a parameter of the wrong type. Each failure is a named
error and leaves the catalog and the data unchanged. Handlers are imported on their first call."""

from __future__ import annotations

import subprocess
import sys

import pytest

import sqlml
from sqlml.engine.functions.registry import ML_FUNCTIONS
from tests.engine.reference import fails

# one small model per task, and its model_type
MODELS = {
    "regression": ("lin", "linear_reg"),
    "classification": ("cls", "logistic_reg"),
    "clustering": ("km", "kmeans"),
    "dimensionality_reduction": ("p", "pca"),
    "autoencoder": ("ae", "autoencoder"),
    "recommendation": ("mf", "matrix_factorization"),
    "forecasting": ("fc", "arima_plus"),
}
KIND = {"arima_plus": "an ARIMA_PLUS model, which ML.FORECAST forecasts"}  # how refusals name a forecasting model
VALID = {float: "0.1", int: "1", bool: "TRUE", str: "'b'", list: "[1]"}  # a value of each parameter type
WRONG = {float: "'a'", int: "'a'", bool: "'a'", str: "1", list: "1"}  # and one of another type
TYPE_TEXT = {float: "a number", int: "an integer", bool: "TRUE or FALSE", str: "a string", list: "a list"}


@pytest.fixture(scope="module")
def models():
    con = sqlml.connect()
    cur = con.cursor()
    cur.execute(
        "CREATE TABLE t AS SELECT i::DOUBLE AS x1, (i * 7 % 11)::DOUBLE AS x2, (i * 3 % 5)::DOUBLE AS y, "
        "CASE WHEN i % 2 = 0 THEN 'u' ELSE 'v' END AS b FROM range(40) r(i)"
    )
    cur.execute(
        "CREATE TABLE s AS SELECT DATE '2024-01-01' + i::INT AS day, (i * 7 % 11)::DOUBLE AS y FROM range(30) r(i)"
    )
    cur.execute(
        "CREATE MODEL fc OPTIONS(model_type='arima_plus', time_series_timestamp_col='day', time_series_data_col='y', "
        "horizon=5) AS SELECT * FROM s"
    )
    cur.execute(
        "CREATE MODEL mf OPTIONS(model_type='matrix_factorization', num_factors=2) AS "
        "SELECT x1 % 5 AS user, x1 % 7 AS item, x2 AS rating FROM t"
    )
    for name, model_type in list(MODELS.values())[:-2]:
        label = {"lin": ", input_label_cols=['y']", "cls": ", input_label_cols=['b']"}.get(name, "")
        columns = "x1, x2" + {"lin": ", y", "cls": ", b"}.get(name, "")
        extra = {"km": ", num_clusters=2", "p": ", num_principal_components=1", "ae": ", max_iterations=2"}.get(
            name, ""
        )
        cur.execute(f"CREATE MODEL {name} OPTIONS(model_type='{model_type}'{label}{extra}) AS SELECT {columns} FROM t")
    yield con
    con.close()


def _call(
    name: str,
    model: str | None = None,
    data: bool | None = None,
    struct: dict[str, str] | None = None,
    values: str = "",
) -> str:
    """SELECT * FROM ML.<name>(...) with its required arguments, unless told otherwise: `model` (default one
    whose task the function takes), `data` (TABLE t or not), STRUCT fields {name: value}, a list of values."""
    signature = ML_FUNCTIONS[name]
    fields = {p: VALID[spec.kind] for p, spec in signature.params.items() if spec.required} | (struct or {})
    if signature.tasks is None:
        args = ["TABLE t"] + (["TABLE t"] if signature.second_input == "required" else [])
    else:
        model = model or next(m for task, (m, _) in MODELS.items() if task in signature.tasks)
        data = signature.input == "required" if data is None else data
        args = [f"MODEL {model}"] + (["TABLE t"] if data else [])
    args += [values] if values else []
    args += [f"STRUCT({', '.join(f'{value} AS {field}' for field, value in fields.items())})"] if fields else []
    return f"SELECT * FROM ML.{name}({', '.join(args)})"


def _cases():
    """(id, sql, error, fragments) of each bad call of each registered function."""
    for name, signature in ML_FUNCTIONS.items():
        fn = f"ML.{name}"
        wrong = [(m, t) for task, (m, t) in MODELS.items() if task not in (signature.tasks or MODELS)]
        if wrong:
            model, model_type = wrong[0]
            yield (
                f"{name}-task",
                _call(name, model),
                sqlml.NotSupportedError,
                [f"{fn} takes ", f" models; model main.{model} is {KIND.get(model_type, f'a {model_type}')}"],
            )
        if signature.tasks is not None and signature.input == "required":
            yield f"{name}-no-input", _call(name, data=False), sqlml.ProgrammingError, [f"{fn} needs input data: {fn}("]
        if signature.input == "refused":
            yield f"{name}-input", _call(name, data=True), sqlml.ProgrammingError, [f"{fn} takes a model only: {fn}("]
        if signature.tasks is None and signature.second_input == "refused":
            yield (
                f"{name}-second-input",
                _call(name).replace("(TABLE t", "(TABLE t, TABLE t"),
                sqlml.ProgrammingError,
                [f"{fn} takes one input: {fn}("],
            )
        if signature.second_input == "required":
            yield (
                f"{name}-no-second-input",
                _call(name).replace("(TABLE t, TABLE t", "(TABLE t"),
                sqlml.ProgrammingError,
                [f"{fn} needs second input data: {fn}("],
            )
        if not signature.values:
            yield (
                f"{name}-values",
                _call(name, values="[0.5]"),
                sqlml.ProgrammingError,
                [f"{fn} takes no list of values; only ML.ROC_CURVE does"],
            )
        if not signature.params:
            yield (
                f"{name}-unknown",
                _call(name, struct={"nope": "1"}),
                sqlml.ProgrammingError,
                [f"{fn} has no parameter 'nope'", "Valid parameters: none"],
            )
            continue
        first, spec = next(iter(signature.params.items()))
        yield (
            f"{name}-typo",
            _call(name, struct={first[:-1]: VALID[spec.kind]}),
            sqlml.ProgrammingError,
            [f"{fn} has no parameter '{first[:-1]}'. Did you mean \"{first}\"?", f"Valid parameters: {first}"],
        )
        yield (
            f"{name}-type",
            _call(name, struct={first: WRONG[spec.kind]}),
            sqlml.ProgrammingError,
            [f"{fn} parameter {first} must be {TYPE_TEXT[spec.kind]}, got "],
        )


CASES = list(_cases())


@pytest.mark.parametrize(("sql", "error", "fragments"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_a_call_that_does_not_fit_the_signature_fails_alike_and_changes_nothing(models, sql, error, fragments):
    fails(models, sql, error, *fragments)


@pytest.mark.parametrize(
    ("sql", "fragments"),
    [
        (
            "SELECT * FROM ML.DETECT_ANOMALIES(MODEL km, TABLE t)",
            ["ML.DETECT_ANOMALIES needs STRUCT(<value> AS contamination): the share of the training rows"],
        ),
        (
            "SELECT * FROM ML.DETECT_ANOMALIES(MODEL km, TABLE t, STRUCT(0.6 AS contamination))",
            ["ML.DETECT_ANOMALIES parameter contamination must be in [0, 0.5], got 0.6"],
        ),
        (
            "SELECT * FROM ML.EXPLAIN_PREDICT(MODEL lin, TABLE t, STRUCT(1 AS num_permutations))",
            ["ML.EXPLAIN_PREDICT parameter num_permutations must be at least 2, got 1"],
        ),
        (
            "SELECT * FROM ML.ERROR_SLICES(MODEL lin, TABLE t, STRUCT(0 AS alpha))",
            ["ML.ERROR_SLICES parameter alpha must be in (0, 1), got 0.0"],
        ),
        (
            "SELECT * FROM ML.MODEL_CARD(MODEL lin, STRUCT('PDF' AS format))",
            ["ML.MODEL_CARD parameter format must be 'markdown' or 'html', got 'PDF'"],
        ),
        (
            "SELECT * FROM ML.VERSIONS(MODEL lin VERSION 1)",
            ["ML.VERSIONS takes no model version: ML.VERSIONS(MODEL m)"],
        ),
        (
            "SELECT * FROM ML.PREDICTS(MODEL lin, TABLE t)",
            ["unknown function ML.PREDICTS.", 'Did you mean "ML.PREDICT"?'],
        ),
    ],
)
def test_bounds_choices_and_required_parameters_share_one_wording(models, sql, fragments):
    fails(models, sql, sqlml.ProgrammingError, *fragments)


def test_checked_parameters_reach_the_handler(models):
    """A choice is matched case-insensitively, an integer is taken as a number, defaults fill in: the card in
    HTML, and ML.WEIGHTS standardized equals unstandardized weights times the inputs' population std (DuckDB's)."""
    cur = models.cursor()
    cur.execute("SELECT model_card FROM ML.MODEL_CARD(MODEL lin, STRUCT('HTML' AS format))")
    assert cur.fetchone()[0].startswith("<!DOCTYPE html>")
    cur.execute("SELECT processed_input, weight FROM ML.WEIGHTS(MODEL lin) ORDER BY 1")
    raw = dict(cur.fetchall())
    cur.execute("SELECT processed_input, weight FROM ML.WEIGHTS(MODEL lin, STRUCT(TRUE AS standardize)) ORDER BY 1")
    scaled = dict(cur.fetchall())
    cur.execute("SELECT stddev_pop(x1), stddev_pop(x2) FROM t")
    std = dict(zip(("x1", "x2"), cur.fetchone()))
    for name in ("x1", "x2"):
        assert scaled[name] == pytest.approx(raw[name] * std[name])
    cur.execute("SELECT count(*) FROM ML.DETECT_ANOMALIES(MODEL km, TABLE t, STRUCT(0 AS contamination))")
    assert cur.fetchone()[0] == 40


HANDLERS_LOADED = """
import sys
import sqlml
from sqlml.engine.functions.registry import ML_FUNCTIONS

def handlers():
    return sorted(m.rsplit(".", 1)[1] for m in sys.modules
                  if m.startswith("sqlml.engine.functions.") and not m.endswith(".registry"))

print(handlers())
cur = sqlml.connect().cursor()
cur.execute("CREATE TABLE t AS SELECT i::DOUBLE AS x, (2 * i)::DOUBLE AS y FROM range(10) r(i)")
cur.execute("CREATE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS SELECT * FROM t")
cur.execute("SELECT * FROM ML.TRAINING_INFO(MODEL m)").fetchall()
print(handlers())
"""


def test_handlers_are_imported_on_their_first_call():
    """The registry names its handlers: reading it imports none; a call imports its own module only."""
    result = subprocess.run([sys.executable, "-c", HANDLERS_LOADED], capture_output=True, text=True, check=True)
    before, after = result.stdout.splitlines()
    assert before == "[]"
    assert after == "['training_history']"
