"""EXPORT MODEL ... OPTIONS(format='c') (issue 18): every family's header, compiled by a test program of our
own as C99 and as C++ with every warning an error, gives ML.PREDICT's predictions for the penguins; quantized
forms stay within their limits; the reported code size is what binutils' `size` reads; bad input is refused
clearly and writes nothing. ML.PREDICT's output columns:
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

import sqlml
from tests.export.c_program import HAVE_CC, build_and_run, program

pytestmark = pytest.mark.skipif(not HAVE_CC, reason="needs a host C and C++ compiler (cc, c++)")

SELECT = "SELECT species, island, bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g, sex FROM penguins"
MODELS = {  # name -> (CREATE MODEL options and TRANSFORM, the query's columns, what ML.PREDICT gives)
    "logistic_multiclass": ("OPTIONS(model_type='logistic_reg', input_label_cols=['species'])", "class"),
    "logistic_binary": ("OPTIONS(model_type='logistic_reg', input_label_cols=['sex'])", "class"),
    "linear_reg": ("OPTIONS(model_type='linear_reg', input_label_cols=['body_mass_g'])", "value"),
    "boosted_multiclass": (
        "OPTIONS(model_type='boosted_tree_classifier', input_label_cols=['species'], max_iterations=10)",
        "class",
    ),
    "boosted_regressor": (
        "OPTIONS(model_type='boosted_tree_regressor', input_label_cols=['body_mass_g'], max_iterations=10)",
        "value",
    ),
    "forest_binary": (
        "OPTIONS(model_type='random_forest_classifier', input_label_cols=['sex'], num_parallel_tree=5)",
        "class",
    ),
    "forest_regressor": (
        "OPTIONS(model_type='random_forest_regressor', input_label_cols=['flipper_length_mm'], num_parallel_tree=5)",
        "value",
    ),
    "dnn_classifier": (
        "OPTIONS(model_type='dnn_classifier', input_label_cols=['species'], hidden_units=[8, 4], max_iterations=20)",
        "class",
    ),
    "dnn_regressor": (
        "OPTIONS(model_type='dnn_regressor', input_label_cols=['body_mass_g'], hidden_units=[6], "
        "activation_fn='TANH', max_iterations=20)",
        "value",
    ),
    "wide_and_deep": (
        "OPTIONS(model_type='dnn_linear_combined_classifier', input_label_cols=['species'], hidden_units=[4], "
        "max_iterations=10)",
        "class",
    ),
    "kmeans": ("OPTIONS(model_type='kmeans', num_clusters=4)", "kmeans"),
    "pca": ("OPTIONS(model_type='pca', num_principal_components=3)", "pca"),
    "autoencoder": ("OPTIONS(model_type='autoencoder', hidden_units=[4, 2, 4], max_iterations=10)", "latent"),
    "transform": (
        "TRANSFORM(ML.STANDARD_SCALER(bill_length_mm) OVER () AS bill, ML.ONE_HOT_ENCODER(island) OVER () AS isl, "
        "ML.BUCKETIZE(flipper_length_mm, [190, 210]) AS flipper, LOG(bill_depth_mm) + 1 AS depth, "
        "ML.IMPUTER(sex, 'most_frequent') OVER () AS sex, body_mass_g) "
        "OPTIONS(model_type='linear_reg', input_label_cols=['body_mass_g'])",
        "value",
    ),
    "transform_scalers": (
        "TRANSFORM(ML.MIN_MAX_SCALER(bill_length_mm) OVER () AS bill, ML.NORMALIZER([bill_depth_mm, "
        "flipper_length_mm], 2) AS shape, ML.FEATURE_CROSS(STRUCT(island, sex)) AS place, body_mass_g) "
        "OPTIONS(model_type='linear_reg', input_label_cols=['body_mass_g'])",
        "value",
    ),
}
TRANSFORM_READS = ("bill_length_mm", "island", "flipper_length_mm", "bill_depth_mm", "sex")  # the header's inputs
KINDS = {"species": "str", "island": "str", "sex": "str", "flipper_length_mm": "int", "body_mass_g": "int"}


@pytest.fixture(scope="module")
def con():
    from tests.export.onnx_helpers import ROOT

    con = sqlml.connect()
    con.cursor().execute(
        f"CREATE TABLE penguins AS FROM read_csv('{ROOT}/sql_examples/data/penguins.csv', nullstr='NA')"
    )
    yield con
    con.close()


def _rows(cur, sql: str) -> list[dict]:
    cur.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _export(cur, path, options: str = "") -> dict:
    cur.execute(f"EXPORT MODEL m OPTIONS(uri='{path}', format='c'{options})")
    return dict(zip([d[0] for d in cur.description], cur.fetchone()))


def _train(cur, table: str, model: str) -> None:
    """A table of our own and a model on it."""
    cur.execute(table)
    cur.execute(model)


def _create(cur, name: str) -> tuple[str, list[str]]:
    """CREATE MODEL m as MODELS[name]; its label (None) and feature columns."""
    options, _ = MODELS[name]
    cur.execute(f"CREATE OR REPLACE MODEL m {options} AS {SELECT}")
    label = options.split("input_label_cols=['")[1].split("'")[0] if "input_label_cols" in options else None
    columns = [c for c in SELECT[7:].split(" FROM")[0].split(", ") if c != label]
    return label, [c for c in columns if c in TRANSFORM_READS] if options.startswith("TRANSFORM") else columns


def _c_predictions(cur, tmp_path, name: str, label: str | None, features: list[str], rows: list[dict], k: int):
    """Our own program's printed outputs for `rows` (lists of fields per row)."""
    kind = MODELS[name][1]
    prints = {
        "class": [(f"predicted_{label}", label), (f"predicted_{label}_probs", k)],
        "value": [(f"predicted_{label}", None)],
        "kmeans": [("CENTROID_ID", None), ("centroid_distances", k)],
        "pca": [("principal_components", k)],
        "latent": [("latent_space", k)],
    }[kind]
    columns = {c: KINDS.get(c, "num") for c in features}
    source = program("m", columns, rows, prints)
    return build_and_run(tmp_path, tmp_path / "m.h", source)


def _width(name: str, predicted: list[dict], label: str | None) -> int:
    kind = MODELS[name][1]
    if kind == "class":
        return len(predicted[0][f"predicted_{label}_probs"])
    if kind == "kmeans":
        return 4
    if kind == "pca":
        return 3
    return 2 if kind == "latent" else 0


def _agreement(name: str, printed: list[list[str]], predicted: list[dict], label: str | None) -> tuple[float, float]:
    """(label agreement, largest relative difference of values) of the program's output with ML.PREDICT's."""
    kind, labels, differences = MODELS[name][1], [], []
    for fields, row in zip(printed, predicted, strict=True):
        if kind == "class":
            probs = {p["label"]: p["prob"] for p in row[f"predicted_{label}_probs"]}
            got = [float(v) for v in fields[1:]]
            labels.append(fields[0] == str(row[f"predicted_{label}"]))
            differences += [abs(g - p) for g, p in zip(got, sorted(probs.values(), key=lambda _: 0))]
            differences.append(abs(max(got) - probs[row[f"predicted_{label}"]]))
        elif kind == "value":
            value = row[f"predicted_{label}"]
            differences.append(abs(float(fields[0]) - value) / max(1.0, abs(value)))
        elif kind == "kmeans":
            labels.append(int(fields[0]) == row["CENTROID_ID"])
            nearest = min(e["DISTANCE"] for e in row["NEAREST_CENTROIDS_DISTANCE"])
            differences.append(abs(float(fields[int(fields[0])]) - nearest) / max(1.0, nearest))
        else:
            prefix = "principal_component" if kind == "pca" else "latent_col"
            values = [row[f"{prefix}_{j + 1}"] for j in range(len(fields))]
            differences += [abs(float(g) - v) / max(1.0, abs(v)) for g, v in zip(fields, values)]
    return (float(np.mean(labels)) if labels else 1.0), max(differences)


@pytest.mark.parametrize("name", MODELS)
def test_every_family_compiles_strictly_and_gives_ml_predicts_predictions(con, tmp_path, name):
    cur = con.cursor()
    label, features = _create(cur, name)
    row = _export(cur, tmp_path / "m.h")
    assert row["format"] == "c" and row["quantize"] == "none" and row["rows_verified"] > 0
    rows = _rows(cur, f"SELECT * FROM penguins{f' WHERE {label} IS NOT NULL' if label else ''}")
    predicted = _rows(
        cur,
        f"SELECT * FROM ML.PREDICT(MODEL m, (SELECT * FROM penguins{f' WHERE {label} IS NOT NULL' if label else ''}))",
    )
    printed = _c_predictions(cur, tmp_path, name, label, features, rows, _width(name, predicted, label))
    agreement, difference = _agreement(name, printed, predicted, label)
    assert agreement >= 0.999 and difference <= 1e-4, (agreement, difference)


@pytest.mark.parametrize(
    "name, quantize, least",
    [
        ("boosted_multiclass", "int16", 0.99),
        ("forest_binary", "int16", 0.99),
        ("dnn_classifier", "int8", 0.97),
        ("dnn_classifier", "int16", 0.99),
        ("logistic_multiclass", "int8", 0.97),
    ],
)
def test_quantized_forms_agree_within_their_limits(con, tmp_path, name, quantize, least):
    cur = con.cursor()
    label, features = _create(cur, name)
    exact = _export(cur, tmp_path / "exact.h")
    row = _export(cur, tmp_path / "m.h", f", quantize='{quantize}'")
    assert row["quantize"] == quantize and row["metric_native"] - row["metric_exported"] <= 0.01
    assert row["rodata_bytes"] < exact["rodata_bytes"]  # smaller in flash
    if row["weight_bytes"]:
        assert row["weight_bytes"] <= {"int8": 0.3, "int16": 0.55}[quantize] * row["weight_bytes_float"]
    rows = _rows(cur, f"SELECT * FROM penguins WHERE {label} IS NOT NULL")
    predicted = _rows(cur, f"SELECT * FROM ML.PREDICT(MODEL m, (SELECT * FROM penguins WHERE {label} IS NOT NULL))")
    printed = _c_predictions(cur, tmp_path, name, label, features, rows, _width(name, predicted, label))
    agreement, _ = _agreement(name, printed, predicted, label)
    assert agreement >= least


@pytest.mark.skipif(shutil.which("size") is None, reason="needs binutils' size")
def test_the_reported_code_size_is_what_size_reads(con, tmp_path):
    cur = con.cursor()
    _create(cur, "boosted_multiclass")
    row = _export(cur, tmp_path / "m.h")
    (tmp_path / "model.h").write_text((tmp_path / "m.h").read_text())
    (tmp_path / "probe.c").write_text(  # the documented measure: the predict function compiled with -Os
        '#include "model.h"\nvoid sqlml_size_probe(const m_input *in, m_output *out);\n'
        "void sqlml_size_probe(const m_input *in, m_output *out) { m_predict(in, out); }\n"
    )
    subprocess.run(["cc", "-std=c99", "-Os", "-c", "probe.c"], cwd=tmp_path, check=True)
    sections = subprocess.run(["size", "-A", "-d", "probe.o"], cwd=tmp_path, check=True, capture_output=True, text=True)
    sizes = {"text": 0, "rodata": 0}
    for line in sections.stdout.splitlines():
        parts = line.split()
        if parts and (parts[0] == ".text" or parts[0].startswith(".text.")):
            sizes["text"] += int(parts[1])
        elif parts and parts[0].startswith((".rodata", ".data.rel.ro")):
            sizes["rodata"] += int(parts[1])
    assert (row["text_bytes"], row["rodata_bytes"]) == (sizes["text"], sizes["rodata"]) and sizes["rodata"] > 1000


def test_two_models_compile_into_one_program(con, tmp_path):
    cur = con.cursor()
    _create(cur, "boosted_multiclass")
    _export(cur, tmp_path / "a.h", ", prefix='species_model'")
    _create(cur, "kmeans")
    _export(cur, tmp_path / "b.h", ", prefix='clusters'")
    (tmp_path / "main.c").write_text(
        '#include "a.h"\n#include "b.h"\n#include <stdio.h>\nint main(void)\n{\n'
        "    species_model_input a; species_model_output p; clusters_input b; clusters_output c;\n"
        '    a.island = species_model_string_code("Dream"); a.bill_length_mm = 50.0; a.bill_depth_mm = 19.0;\n'
        "    a.flipper_length_mm = 196; a.body_mass_g = 3900; a.sex = SPECIES_MODEL_SEX_FEMALE;\n"
        "    species_model_predict(&a, &p);\n"
        "    b.species = CLUSTERS_SPECIES_NULL; b.island = clusters_string_code(0); b.bill_length_mm = 50.0;\n"
        "    b.bill_depth_mm = NAN; b.flipper_length_mm = INT64_MIN; b.body_mass_g = 3900; b.sex = CLUSTERS_SEX_UNSEEN;\n"
        "    clusters_predict(&b, &c);\n"
        '    printf("%s %d\\n", species_model_species_name(p.predicted_species), (int)c.CENTROID_ID);\n'
        "    return 0;\n}\n"
    )
    subprocess.run(
        ["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-o", "both", "main.c", "-lm"],
        cwd=tmp_path,
        check=True,
    )
    printed = subprocess.run([str(tmp_path / "both")], check=True, capture_output=True, text=True).stdout.split()
    expected = _rows(
        cur,
        "SELECT * FROM ML.PREDICT(MODEL m, (SELECT NULL::VARCHAR AS species, NULL::VARCHAR AS island, 50.0::DOUBLE AS "
        "bill_length_mm, NULL::DOUBLE AS bill_depth_mm, NULL::BIGINT AS flipper_length_mm, 3900::BIGINT AS "
        "body_mass_g, 'unheard of' AS sex))",
    )
    assert printed[0] in ("Adelie", "Chinstrap", "Gentoo") and int(printed[1]) == expected[0]["CENTROID_ID"]


BAD = [  # (model, TRANSFORM or None, options, error class, fragments of the message)
    ("boosted_multiclass", None, ", prefix='9lives'", sqlml.ProgrammingError, ["prefix '9lives'", "C identifier"]),
    ("boosted_multiclass", None, ", prefix='int'", sqlml.ProgrammingError, ["prefix 'int'", "keyword"]),
    ("boosted_multiclass", None, ", quantize='int8'", sqlml.NotSupportedError, ["int8", "nothing to quantize"]),
    ("kmeans", None, ", quantize='int16'", sqlml.NotSupportedError, ["int16", "kmeans"]),
    ("linear_reg", None, ", quantize='float16'", sqlml.ProgrammingError, ["float16", "format='c'", "'int16'"]),
    ("linear_reg", None, ", dialect='postgres'", sqlml.ProgrammingError, ["dialect", "format='c'"]),
    (
        "linear_reg",
        "TRANSFORM(CAST(bill_length_mm AS VARCHAR) AS b, body_mass_g)",
        "",
        sqlml.NotSupportedError,
        ["TRANSFORM output 'b'", "CAST(bill_length_mm AS TEXT)"],
    ),
    (
        "linear_reg",
        "TRANSFORM(CASE WHEN island = sex THEN 1.0 ELSE 0.0 END AS same, body_mass_g)",
        "",
        sqlml.NotSupportedError,
        ["format='c'", "comparison of two text values", "island, sex", "format='onnx'"],
    ),
    (
        "linear_reg",
        "TRANSFORM(ML.BAG_OF_WORDS(string_split(island, 'e')) OVER () AS words, body_mass_g)",
        "",
        sqlml.NotSupportedError,
        ["format='c'", "text model", "island"],
    ),
]


@pytest.mark.parametrize("name, transform, options, error, fragments", BAD, ids=range(len(BAD)))
def test_bad_input_is_refused_clearly_and_writes_nothing(con, tmp_path, name, transform, options, error, fragments):
    cur = con.cursor()
    if transform:
        cur.execute(
            f"CREATE OR REPLACE MODEL m {transform} OPTIONS(model_type='linear_reg', input_label_cols=['body_mass_g'])"
            f" AS {SELECT}"
        )
    else:
        _create(cur, name)
    before = _rows(cur, "DESCRIBE MODEL m")
    with pytest.raises(error) as raised:
        _export(cur, tmp_path / "m.h", options)
    assert all(f in str(raised.value) for f in fragments), str(raised.value)
    assert list(tmp_path.iterdir()) == [] and _rows(cur, "DESCRIBE MODEL m") == before


def test_without_a_c_compiler_the_export_is_refused(con, tmp_path, monkeypatch):
    cur = con.cursor()
    _create(cur, "linear_reg")
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    with pytest.raises(sqlml.OperationalError, match="no C compiler"):
        _export(cur, tmp_path / "m.h")
    assert not (tmp_path / "m.h").exists()


def test_timestamps_are_microseconds_since_the_epoch(con, tmp_path):
    """A TIMESTAMP feature is an int64_t field of microseconds (UTC), decomposed in C as the engine does."""
    cur = con.cursor()
    _train(
        cur,
        "CREATE OR REPLACE TABLE times AS SELECT TIMESTAMP '1969-12-30 22:00:00' + to_hours(i * 37) AS seen_at, "
        "CASE WHEN i % 7 = 0 THEN NULL ELSE i % 5 END AS x, (i * 37 % 24) + (i % 3) * 10.0 AS y FROM range(400) r(i)",
        "CREATE OR REPLACE MODEL m OPTIONS(model_type='boosted_tree_regressor', input_label_cols=['y'], "
        "max_iterations=20) AS SELECT seen_at, x, y FROM times",
    )
    assert _export(cur, tmp_path / "m.h")["rows_verified"] > 0
    rows = _rows(cur, "SELECT epoch_us(seen_at) AS seen_at, x FROM times")
    predicted = _rows(cur, "SELECT predicted_y FROM ML.PREDICT(MODEL m, TABLE times)")
    source = program("m", {"seen_at": "int", "x": "int"}, rows, [("predicted_y", None)])
    printed = build_and_run(tmp_path, tmp_path / "m.h", source)
    got, expected = np.array([float(r[0]) for r in printed]), np.array([r["predicted_y"] for r in predicted])
    assert np.max(np.abs(got - expected) / np.maximum(1, np.abs(expected))) <= 1e-4


def test_names_that_collide_or_are_keywords_still_compile_as_c_and_cpp(con, tmp_path):
    cur = con.cursor()
    _train(
        cur,
        "CREATE OR REPLACE TABLE odd AS SELECT ['c', 'd'][1 + i % 2] AS a_b, ['b_c', 'e'][1 + i % 2] AS a, "
        "i % 3 AS \"and\", ['x', 'y'][1 + i % 2] AS \"input\", ['yes', 'no'][1 + (i * 7) % 2] AS \"a*/b\" "
        "FROM range(60) r(i)",
        "CREATE OR REPLACE MODEL \"Int\" OPTIONS(model_type='logistic_reg', input_label_cols=['a*/b']) AS "
        "SELECT * FROM odd",
    )
    cur.execute(f"EXPORT MODEL \"Int\" OPTIONS(uri='{tmp_path / 'm.h'}', format='c')")
    row = dict(zip([d[0] for d in cur.description], cur.fetchone()))
    assert row["prefix"] == "int_"  # the model's name, made an identifier
    (tmp_path / "model.h").write_text((tmp_path / "m.h").read_text())
    (tmp_path / "main.c").write_text(
        '#include "model.h"\nint main(void)\n{\n    int__input in; int__output out;\n'
        '    in.a_b = INT__A_B_C; in.a = INT__A_B_C_; in.and_ = 1; in.input = int__string_code("x");\n'
        "    int__predict(&in, &out);\n    return int__a__b_name(out.predicted_a__b) == 0;\n}\n"
    )
    for command in (["cc", "-std=c99"], ["c++", "-x", "c++", "-std=c++11"]):
        built = subprocess.run(
            [*command, "-Wall", "-Wextra", "-Werror", "-pedantic", "-o", "main", "main.c", "-lm"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert built.returncode == 0, built.stderr
        assert subprocess.run([str(tmp_path / "main")]).returncode == 0


def test_strings_built_from_too_many_strings_are_refused_naming_the_limit(con, tmp_path):
    cur = con.cursor()
    _train(
        cur,
        "CREATE OR REPLACE TABLE many AS SELECT 'product_name_number_' || (i % 200) AS s, ['red', 'green'][1 + i % 2]"
        " AS c, i % 11 * 1.0 AS y FROM range(1000) r(i)",
        "CREATE OR REPLACE MODEL m TRANSFORM(ML.FEATURE_CROSS(STRUCT(s, c)) AS sc, y) "
        "OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS SELECT * FROM many",
    )
    with pytest.raises(sqlml.NotSupportedError, match="format='c' cannot hold this model's text.*at most 4096"):
        _export(cur, tmp_path / "m.h")
    assert list(tmp_path.iterdir()) == []
