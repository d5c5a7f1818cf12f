"""EXPORT MODEL figures: sizes, agreement and single-row latency, against the raw Python stack.

    python -m benchmarks.export [--quick]

A 100-tree boosted classifier and a DNN (hidden_units [256, 128]) trained on 50,000 rows of the 20-feature
benchmark data (the evaluation split, 10,000 rows, is what EXPORT MODEL verifies on). Sizes: the tree's
float16 export (compact TreeEnsemble) against onnxmltools' float32 ai.onnx.ml export of the same booster;
the DNN's int8 export against its float32 graph. Latency: p50 of 1,000 single-row calls with one thread,
ONNX Runtime on the exported file against LightGBM's Booster.predict / scikit-learn's MLP on one row.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import lightgbm as lgb
import numpy as np
import onnxruntime as ort
from onnxmltools import convert_lightgbm
from onnxmltools.convert.common.data_types import FloatTensorType
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

import sqlml
from benchmarks.run import FEATURES, TREE_OPTIONS, numpy_rows, write_parquet


def p50_us(call, calls: int) -> float:
    times = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        call()
        times.append(time.perf_counter_ns() - start)
    return float(np.median(times)) / 1000


def single_row_session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def export(cur, model: str, path: Path, quantize: str) -> dict:
    cur.execute(f"EXPORT MODEL {model} OPTIONS(uri='{path}', quantize='{quantize}', overwrite=TRUE)")
    return dict(zip([d[0] for d in cur.description], cur.fetchone()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the harness works")
    args = parser.parse_args(argv)
    rows, calls, epochs = (2_000, 50, 2) if args.quick else (50_000, 1_000, 20)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        train = work / "train.parquet"
        write_parquet(train, rows, 1)
        con = sqlml.connect()
        cur = con.cursor()
        cur.execute(f"CREATE MODEL tree OPTIONS({TREE_OPTIONS}) AS SELECT * FROM '{train}'")
        cur.execute(
            f"CREATE MODEL dnn OPTIONS(model_type='dnn_classifier', input_label_cols=['label'], "
            f"hidden_units=[256, 128], max_iterations={epochs}, learn_rate=0.003) AS SELECT * FROM '{train}'"
        )
        cur.execute("SELECT artifact FROM sqlml.model_versions WHERE model_name = 'tree'")
        booster = lgb.Booster(model_str=cur.fetchone()[0].decode())
        X, y = numpy_rows(train)
        one = X[:1]
        feeds = {name: one[:, [i]] for i, name in enumerate(FEATURES)}
        print(f"{'export benchmark':<52}{'sqlml':>12}{'raw':>12}{'ratio':>9}  target")

        fp32 = convert_lightgbm(
            booster, initial_types=[("X", FloatTensorType([None, len(FEATURES)]))], target_opset=15, zipmap=False
        ).ByteSize()
        for quantize in ("none", "float16"):
            result = export(cur, "tree", work / f"tree_{quantize}.onnx", quantize)
            print(
                f"{'tree ' + quantize + ': bytes vs onnxmltools fp32 export':<52}{result['bytes']:>12,}{fp32:>12,}"
                f"{result['bytes'] / fp32:>8.2f}x  {'<= 0.6' if quantize == 'float16' else ''}"
            )
            print(
                f"{'tree ' + quantize + ': label agreement, max |prob diff|':<52}{result['label_agreement']:>12.4%}"
                f"{result['max_abs_diff']:>12.2e}{'':>9}  {'>= 99.5%' if quantize == 'float16' else '>= 99.9%, 1e-4'}"
            )
            session = single_row_session(work / f"tree_{quantize}.onnx")
            ours = p50_us(lambda session=session: session.run(None, feeds), calls)
            raw = p50_us(lambda: booster.predict(one, num_threads=1), calls)
            print(
                f"{'tree ' + quantize + ': single-row p50, 1 thread (us)':<52}{ours:>12.1f}{raw:>12.1f}"
                f"{raw / ours:>8.2f}x  <= 100 us"
            )

        with warnings.catch_warnings():  # one epoch is enough for timing a one-row call
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp = MLPClassifier((256, 128), max_iter=1).fit(X[:1000], y[:1000])
        for quantize in ("none", "int8"):
            result = export(cur, "dnn", work / f"dnn_{quantize}.onnx", quantize)
            print(
                f"{'dnn ' + quantize + ': bytes vs its float32 graph':<52}{result['bytes']:>12,}"
                f"{result['bytes_unquantized']:>12,}{result['bytes'] / result['bytes_unquantized']:>8.2f}x  "
                f"{'<= 0.3' if quantize == 'int8' else ''}"
            )
            drop = 100 * (result["metric_native"] - result["metric_exported"])
            print(
                f"{'dnn ' + quantize + ': accuracy native, exported (drop, points)':<52}"
                f"{result['metric_native']:>12.4f}{result['metric_exported']:>12.4f}{drop:>8.2f}pt  "
                f"{'<= 0.5 pt' if quantize == 'int8' else ''}"
            )
            session = single_row_session(work / f"dnn_{quantize}.onnx")
            ours = p50_us(lambda session=session: session.run(None, feeds), calls)
            raw = p50_us(lambda: mlp.predict_proba(one), calls)
            print(
                f"{'dnn ' + quantize + ': single-row p50, 1 thread (us)':<52}{ours:>12.1f}{raw:>12.1f}"
                f"{raw / ours:>8.2f}x  <= 100 us"
            )


if __name__ == "__main__":
    main()
