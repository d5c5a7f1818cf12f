"""EXPORT MODEL ... OPTIONS(format='c') against the C generators of the field, on the same models, in one run.

    python -m benchmarks.export_c [--quick]

Three classifiers on 20 float32 (REAL) features, 18,000 training rows and 2,000 held-out rows drawn with a
fixed numpy seed: a 100-tree boosted classifier (LightGBM), a 20-tree depth-8 random forest and a DNN
(hidden_units [64, 32]). sqlml's C header (quantize none and int16 for the trees, none and int8 for the DNN)
against: TL2cgen with and without quantize, and m2cgen, on the booster sqlml stored; emlearn on the forest
sqlml stored (float features) and on a forest of the same parameters trained on the features rescaled to
0..32767 (int16 features: emlearn's thresholds are integers), its default majority vote and its 8-bit leaf
proportions; emlearn's MLP for a scikit-learn MLPClassifier (64, 32) trained on the same rows.

Every form is called through the same adapter, `int bench_predict(const T *row)` (the class code), in its own
translation unit. Size: .text + .rodata of the adapter's and the form's objects compiled with -Os, for a
Cortex-M4 (arm-none-eabi-gcc, when installed) and for this machine (objects, not linked: the maths library
is not counted). Agreement: the C labels against the form's own model on the held-out rows (sqlml: its
ML.PREDICT). ns/row: one driver for every form, compiled with -O2, loops over the held-out rows in memory and
times itself with clock_gettime (best of 3 runs of at least 0.2 s).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import lightgbm as lgb
import m2cgen
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import tl2cgen
import treelite
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

import sqlml
from sqlml.engine.families.random_forest import ForestModel
from sqlml.export.c_build import section_sizes

FEATURES = [f"f{i}" for i in range(20)]
M4 = ("arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16")
INT16_TOP = 32767
DRIVER = r"""
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int bench_predict(const T *row);
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
int main(int argc, char **argv)
{
    long n = atol(argv[2]), reps = 1, sink = 0;
    double least = atof(argv[3]), best = 1e30;
    T *rows = malloc(sizeof(T) * n * NF);
    FILE *f = fopen(argv[1], "rb");
    if (!rows || !f || fread(rows, sizeof(T) * NF, n, f) != (size_t)n) return 1;
    for (long i = 0; i < n; ++i) printf("%d\n", bench_predict(rows + i * NF));
    for (int run = 0; run < 3;) {
        double start = now(), took;
        for (long r = 0; r < reps; ++r)
            for (long i = 0; i < n; ++i) sink += bench_predict(rows + i * NF);
        took = now() - start;
        if (took < least) { reps *= 2; continue; }
        if (took / (reps * n) < best) best = took / (reps * n);
        ++run;
    }
    printf("ns %.3f %ld\n", best * 1e9, sink);
    return 0;
}
"""


@dataclass
class Form:
    """One C form of a model: its files, its extra .c sources, the adapter and its reference labels."""

    model: str
    form: str
    files: dict[str, str]
    adapter: str  # C defining int bench_predict(const T *row)
    reference: np.ndarray  # the labels (class codes) of its own model on the held-out rows
    rows: np.ndarray  # the held-out rows as the form reads them (float32 or int16)
    sources: list[str] = field(default_factory=list)
    include: list[str] = field(default_factory=list)
    figures: dict = field(default_factory=dict)


def data(rows: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Features in float32 (uniform, normal and skewed columns) and a 0/1 label that depends on several of them
    non-linearly, with label noise."""
    rng = np.random.default_rng(seed)
    draws = [lambda: rng.random(rows), lambda: rng.normal(size=rows), lambda: rng.exponential(size=rows)]
    X = np.column_stack([draws[i % 3]() for i in range(len(FEATURES))]).astype(np.float32)
    score = np.sin(3 * X[:, 0]) + X[:, 1] * X[:, 5] + 0.5 * np.log1p(X[:, 2]) - 0.1 * X[:, 3] + 0.3 * X[:, 4] * X[:, 7]
    score += 0.4 * (X[:, 9] > 0) - 0.2 * X[:, 10] * X[:, 11] + 0.3 * rng.normal(size=rows)
    return X, (score > np.median(score)).astype(np.int64)


def write(path: Path, X: np.ndarray, y: np.ndarray) -> None:
    columns = {name: pa.array(X[:, i], pa.float32()) for i, name in enumerate(FEATURES)}
    pq.write_table(pa.table({**columns, "label": pa.array(y)}), path)


def sqlml_form(cur, work: Path, model: str, quantize: str, test: Path, X: np.ndarray) -> Form:
    """sqlml's header for `model`, and ML.PREDICT's labels on the held-out rows as class codes."""
    path = work / f"{model}_{quantize}.h"
    cur.execute(f"EXPORT MODEL {model} OPTIONS(uri='{path}', format='c', quantize='{quantize}', prefix='m')")
    row = dict(zip([d[0] for d in cur.description], cur.fetchone()))
    cur.execute(f"SELECT predicted_label, predicted_label_probs FROM ML.PREDICT(MODEL {model}, (FROM '{test}'))")
    predicted = cur.fetchall()
    classes = [p["label"] for p in predicted[0][1]]
    reference = np.array([classes.index(label) for label, _ in predicted])
    fields = " ".join(f"in.{name} = row[{i}];" for i, name in enumerate(FEATURES))
    adapter = (
        '#include "model.h"\n'
        "int bench_predict(const float *row);\n"
        f"int bench_predict(const float *row) {{ m_input in; m_output out; {fields} m_predict(&in, &out); "
        "return out.predicted_label; }\n"
    )
    form = Form(model, f"sqlml {quantize}", {"model.h": path.read_text()}, adapter, reference, X)
    form.figures.update(export=row, classes=classes)
    return form


def tl2cgen_forms(booster: lgb.Booster, work: Path, X: np.ndarray) -> list[Form]:
    """TL2cgen's C of the booster, without and with quantize (thresholds as integer ranks)."""
    model = treelite.frontend.from_lightgbm(booster)
    reference = (booster.predict(X) > 0.5).astype(int)
    adapter = (
        '#include "header.h"\n'
        "int bench_predict(const float *row);\n"
        "int bench_predict(const float *row) { union Entry e[NF]; double p; "
        "for (int i = 0; i < NF; ++i) e[i].fvalue = row[i]; predict(e, 0, &p); return p > 0.5; }\n"
    )
    forms = []
    for quantize in (0, 1):
        folder = work / f"tl2cgen{quantize}"
        with contextlib.redirect_stdout(io.StringIO()):  # its native library's log lines, printed
            tl2cgen.generate_c_code(model, folder, params={"quantize": quantize})
        files = {p.name: p.read_text() for p in folder.iterdir() if p.suffix in (".c", ".h")}
        sources = sorted(name for name in files if name.endswith(".c"))
        form = "tl2cgen quantize" if quantize else "tl2cgen"
        forms.append(Form("boosted", form, files, adapter, reference, X, sources))
    return forms


def m2cgen_form(booster: lgb.Booster, X: np.ndarray) -> Form:
    """m2cgen's C of the booster (it reads an LGBMClassifier: one wraps the booster)."""
    wrapper = lgb.LGBMClassifier()
    wrapper._Booster, wrapper._n_classes, wrapper._classes, wrapper.fitted_ = booster, 2, np.array([0, 1]), True
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
    code = m2cgen.export_to_c(wrapper)
    adapter = (
        '#include "model.c"\n'
        "int bench_predict(const float *row);\n"
        "int bench_predict(const float *row) { double x[NF], p[2]; "
        "for (int i = 0; i < NF; ++i) x[i] = row[i]; score(x, p); return p[1] > p[0]; }\n"
    )
    return Form("boosted", "m2cgen", {"model.c": code}, adapter, (booster.predict(X) > 0.5).astype(int), X)


def _emlearn():
    """emlearn, imported without the np.seterr(all='raise') its import leaves behind."""
    errors = np.geterr()
    import emlearn

    np.seterr(**errors)
    return emlearn


def emlearn_forest(forest, form: str, rows: np.ndarray, dtype: str, leaf_bits: int | None = None) -> Form:
    options, emlearn = {} if leaf_bits is None else {"leaf_bits": leaf_bits}, _emlearn()
    code = emlearn.convert(forest, method="inline", dtype=dtype, **options).save(name="rf")
    adapter = (
        '#include "rf.h"\n'
        f"int bench_predict(const {dtype} *row);\n"
        f"int bench_predict(const {dtype} *row) {{ return rf_predict(row, NF); }}\n"
    )
    reference = forest.predict(rows.astype(np.float32))
    return Form("forest", form, {"rf.h": code}, adapter, reference, rows, include=[emlearn.includedir])


def int16_features(train: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Each feature mapped affinely from its training range onto 0..32767 (clipped), as int16."""
    low, high = train.min(axis=0), train.max(axis=0)
    return np.clip(np.rint((X - low) / (high - low) * INT16_TOP), 0, INT16_TOP).astype(np.int16)


def emlearn_mlp(mlp: MLPClassifier, X: np.ndarray) -> Form:
    emlearn = _emlearn()
    code = emlearn.convert(mlp).save(name="nn")
    adapter = (
        '#include "eml_net.h"\n#include "nn.h"\n'
        "int bench_predict(const float *row);\n"
        "int bench_predict(const float *row) { return nn_predict(row, NF); }\n"
    )
    return Form("dnn", "emlearn mlp", {"nn.h": code}, adapter, mlp.predict(X), X, include=[emlearn.includedir])


def _compile(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)}: {done.stderr[-3000:]}")


def size(form: Form, folder: Path, compiler: list[str]) -> int:
    """.text + .rodata of the adapter and the form's sources, compiled with -Os."""
    total = 0
    for source in ["adapter.c", *form.sources]:
        flags = ["-std=c99", "-Os", f"-DNF={len(FEATURES)}", *[f"-I{d}" for d in form.include]]
        _compile([*compiler, *flags, "-c", "-o", "size.o", source], folder)
        sections = section_sizes((folder / "size.o").read_bytes())
        total += sections["text"] + sections["rodata"]
    return total


def measure(form: Form, folder: Path, m4: bool, least: float) -> None:
    """The form's sizes, its labels on the held-out rows and ns/row (the `figures`)."""
    folder.mkdir()
    for name, text in form.files.items():
        (folder / name).write_text(text)
    (folder / "adapter.c").write_text(form.adapter)
    ctype = "int16_t" if form.rows.dtype == np.int16 else "float"
    (folder / "driver.c").write_text(f"#define T {ctype}\n#define NF {len(FEATURES)}\n" + DRIVER)
    form.figures["m4"] = size(form, folder, list(M4)) if m4 else None
    form.figures["host"] = size(form, folder, ["cc"])
    flags = ["-std=c99", "-O2", f"-DNF={len(FEATURES)}", *[f"-I{d}" for d in form.include]]
    _compile(["cc", *flags, "-o", "driver", "driver.c", "adapter.c", *form.sources, "-lm"], folder)
    np.ascontiguousarray(form.rows).tofile(folder / "rows.bin")
    n = len(form.rows)
    done = subprocess.run(
        ["./driver", "rows.bin", str(n), str(least)], cwd=folder, capture_output=True, text=True, check=True
    )
    lines = done.stdout.split("\n")
    form.figures["labels"] = np.array(lines[:n], dtype=int)
    form.figures["agreement"] = float(np.mean(form.figures["labels"] == form.reference))
    form.figures["ns"] = float(lines[n].split()[1])


def train(cur, train_path: Path, quick: bool) -> None:
    trees, forest, epochs = (5, 3, 2) if quick else (100, 20, 30)
    common = "input_label_cols=['label'], data_split_method='NO_SPLIT'"
    cur.execute(
        f"CREATE MODEL boosted OPTIONS(model_type='boosted_tree_classifier', max_iterations={trees}, "
        f"early_stop=FALSE, {common}) AS SELECT * FROM '{train_path}'"
    )
    cur.execute(
        f"CREATE MODEL forest OPTIONS(model_type='random_forest_classifier', num_parallel_tree={forest}, "
        f"max_tree_depth=8, {common}) AS SELECT * FROM '{train_path}'"
    )
    cur.execute(
        f"CREATE MODEL dnn OPTIONS(model_type='dnn_classifier', hidden_units=[64, 32], max_iterations={epochs}, "
        f"early_stop=FALSE, learn_rate=0.003, {common}) AS SELECT * FROM '{train_path}'"
    )


def artifact(cur, model: str) -> bytes:
    cur.execute("SELECT artifact FROM sqlml.model_versions WHERE model_name = ?", [model])
    return cur.fetchone()[0]


def same_model(ours: Form, labels: np.ndarray) -> None:
    """The stored model read directly takes the raw columns in order: its labels are ML.PREDICT's."""
    agreement = np.mean(np.array(ours.figures["classes"])[ours.reference] == labels)
    assert agreement > 0.999, f"{ours.model}: the stored model agrees with ML.PREDICT on {agreement:.2%} only"


def forms(cur, work: Path, quick: bool) -> tuple[list[Form], np.ndarray]:
    """Every form of the three models, and the held-out labels."""
    n_train, n_test = (1_500, 300) if quick else (18_000, 2_000)
    X, y = data(n_train + n_test)
    X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
    write(work / "train.parquet", X_train, y_train)
    write(work / "test.parquet", X_test, y_test)
    train(cur, work / "train.parquet", quick)
    test = work / "test.parquet"
    out = [sqlml_form(cur, work, "boosted", q, test, X_test) for q in ("none", "int16")]
    booster = lgb.Booster(model_str=artifact(cur, "boosted").decode())
    same_model(out[0], (booster.predict(X_test) > 0.5).astype(int))
    out += [*tl2cgen_forms(booster, work, X_test), m2cgen_form(booster, X_test)]
    out += [sqlml_form(cur, work, "forest", q, test, X_test) for q in ("none", "int16")]
    forest = ForestModel.load(artifact(cur, "forest"), 2).forest
    same_model(out[-1], forest.predict(X_test))
    out.append(emlearn_forest(forest, "emlearn float", X_test, "float"))
    quantized = RandomForestClassifier(**forest.get_params()).fit(int16_features(X_train, X_train), y_train)
    rows16 = int16_features(X_train, X_test)
    out.append(emlearn_forest(quantized, "emlearn int16", rows16, "int16_t"))
    out.append(emlearn_forest(quantized, "emlearn int16 p8", rows16, "int16_t", leaf_bits=8))
    out += [sqlml_form(cur, work, "dnn", q, test, X_test) for q in ("none", "int8")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier((64, 32), max_iter=2 if quick else 30, random_state=0).fit(X_train, y_train)
    out.append(emlearn_mlp(mlp, X_test))
    return out, y_test


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "n/a"


def report(out: list[Form], y_test: np.ndarray) -> None:
    print(f"{'model':<9}{'form':<19}{'M4 bytes':>10}{'host bytes':>12}{'agreement':>11}{'ns/row':>10}")
    for f in out:
        m4 = f"{f.figures['m4']:,}" if f.figures["m4"] is not None else "-"
        print(
            f"{f.model:<9}{f.form:<19}{m4:>10}{f.figures['host']:>12,}{f.figures['agreement']:>11.2%}"
            f"{f.figures['ns']:>10.1f}"
        )
    by = {(f.model, f.form): f for f in out}
    size_key = "m4" if out[0].figures["m4"] is not None else "host"
    print(f"\ntargets (sizes: {'Cortex-M4' if size_key == 'm4' else 'host'} .text+.rodata)")
    pairs = [
        ("boosted", "sqlml int16", "tl2cgen quantize", "<= 0.7 at >= 99.5%"),
        ("forest", "sqlml int16", "emlearn int16", "<= 1.0 at >= 99.5%"),
        ("forest", "sqlml int16", "emlearn int16 p8", "(emlearn with 8-bit leaf proportions)"),
    ]
    for model, ours, peer, target in pairs:
        a, b = by[(model, ours)].figures, by[(model, peer)].figures
        print(
            f"{model} {ours} size / {peer} size: {_ratio(a[size_key], b[size_key])} "
            f"(agreement {a['agreement']:.2%})  target {target}"
        )
    dnn = {q: by[("dnn", f"sqlml {q}")] for q in ("none", "int8")}
    weights = dnn["int8"].figures["export"]
    accuracy = {
        q: float(np.mean(np.array(f.figures["classes"])[f.figures["labels"]] == y_test)) for q, f in dnn.items()
    }
    print(
        f"dnn int8 weight bytes / float weight bytes: {weights['weight_bytes']:,} / {weights['weight_bytes_float']:,}"
        f" = {_ratio(weights['weight_bytes'], weights['weight_bytes_float'])}  target <= 0.3"
    )
    print(
        f"dnn accuracy on the held-out labels: none {accuracy['none']:.4f}, int8 {accuracy['int8']:.4f}, drop "
        f"{100 * (accuracy['none'] - accuracy['int8']):.2f} pt  target <= 0.5 pt"
    )
    for model in ("boosted", "forest", "dnn"):
        peers = [f for f in out if f.model == model and not f.form.startswith("sqlml")]
        fastest = min(peers, key=lambda f: f.figures["ns"])
        for f in (f for f in out if f.model == model and f.form.startswith("sqlml")):
            print(
                f"{model} {f.form} ns/row / fastest peer ({fastest.form}): "
                f"{f.figures['ns']:.1f} / {fastest.figures['ns']:.1f} = {_ratio(f.figures['ns'], fastest.figures['ns'])}"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small models and short timings: checks the harness")
    args = parser.parse_args(argv)
    m4 = shutil.which(M4[0]) is not None
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):  # emlearn compiles into ./tmp
        work = Path(tmp)
        cur = sqlml.connect().cursor()
        out, y_test = forms(cur, work, args.quick)
        for i, form in enumerate(out):
            measure(form, work / f"form{i}", m4, 0.001 if args.quick else 0.2)
        report(out, y_test)


if __name__ == "__main__":
    main()
