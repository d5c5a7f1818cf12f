"""The C compiler of format='c' (export/c_source.py), operator by operator: small ONNX graphs with
broadcasting, reductions, indexing, integer arithmetic, strings and NaN, compiled to a header, built with cc
and run on random rows, against ONNX Runtime running the same graph (the reference)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pyarrow as pa
import pytest
from onnx import TensorProto

from sqlml.export.c_build import run
from sqlml.export.c_header import header
from sqlml.export.graph import Graph
from tests.export.c_program import HAVE_CC

pytestmark = pytest.mark.skipif(not HAVE_CC, reason="needs a host C compiler")
FLOAT, INT, TEXT = TensorProto.FLOAT, TensorProto.INT64, TensorProto.STRING


def _arithmetic(g: Graph) -> None:
    x, y = g.input("x", FLOAT, [None, 1]), g.input("y", FLOAT, [None, 1])
    row = g.const([[0.5, -2.0, 3.0]], "row")
    s = g.op("Add", g.op("Mul", x, row), g.const([1.0, 2.0, 3.0], "vec"))
    s = g.op("Div", g.op("Sub", s, y), g.const([[4.0]], "four"))
    s = g.op("Max", g.op("Min", s, g.const([[2.0]], "two")), g.op("Neg", row))
    s = g.op("Where", g.op("Greater", x, y), s, g.op("Pow", g.op("Abs", s), g.const([[0.5]], "half")))
    g.output(s, "out", FLOAT, [None, 3])


def _unary(g: Graph) -> None:
    x = g.input("x", FLOAT, [None, 1])
    parts = [g.op(op, x) for op in ("Floor", "Ceil", "Round", "Relu", "Sigmoid", "Tanh", "Neg")]
    parts.append(g.op("Exp", g.op("Min", x, g.const([[10.0]], "ten"))))
    parts.append(g.op("Log", g.op("Add", g.op("Abs", x), g.const([[1.0]], "one"))))
    parts.append(g.op("Sqrt", g.op("Abs", x)))
    parts.append(g.op("Cast", g.op("IsNaN", x), to=FLOAT))
    parts.append(g.op("Cast", g.op("IsInf", x), to=FLOAT))
    parts.append(g.op("Sum", x, g.op("Abs", x), g.const([[0.25]], "quarter")))
    g.output(g.op("Concat", *parts, axis=1), "out", FLOAT, [None, len(parts)])


def _reductions(g: Graph) -> None:
    """k-means' shape: [N, 1, F] - [1, K, F], squared, summed over F; then max, mean, argmax, softmax."""
    xs = [g.input(n, FLOAT, [None, 1]) for n in ("a", "b", "c")]
    X = g.op("Concat", *xs, axis=1)
    centroids = g.const(np.arange(12, dtype=np.float32).reshape(1, 4, 3) / 3, "centroids")
    d = g.op("Sub", g.op("Unsqueeze", X, g.const([1], "axis", np.int64)), centroids)
    distances = g.op("ReduceSum", g.op("Mul", d, d), g.const([2], "axes", np.int64), keepdims=0)
    top = g.op("ReduceMax", distances, g.const([1], "axes1", np.int64), keepdims=1)
    low = g.op("ReduceMin", d, g.const([1, 2], "axes2", np.int64), keepdims=1)  # [N, 1, 1]
    low = g.op("Squeeze", low, g.const([2], "axis2", np.int64))
    mean = g.op("ReduceMean", distances, g.const([1], "axes3", np.int64), keepdims=1)
    rounded = g.op("Floor", g.op("Div", distances, g.const([[5.0]], "five")))  # ties for ArgMax
    best = g.op("Cast", g.op("ArgMax", rounded, axis=1, keepdims=1), to=FLOAT)
    worst = g.op("Cast", g.op("ArgMin", rounded, axis=1, keepdims=1), to=FLOAT)
    soft = g.op("Softmax", g.op("Neg", distances), axis=1)
    out = g.op("Concat", distances, top, low, mean, best, worst, soft, axis=1)
    g.output(out, "out", FLOAT, [None, 13])


def _indexing(g: Graph) -> None:
    xs = [g.input(n, FLOAT, [None, 1]) for n in ("a", "b", "c", "d")]
    X = g.op("Concat", *xs, axis=1)
    picked = g.op("Gather", X, g.const([-1, 0, 2], "picks", np.int64), axis=1)
    bounds = ((-3, "s"), (4, "e"), (1, "ax"), (2, "st"))
    every_other = g.op("Slice", X, *(g.const([v], n, np.int64) for v, n in bounds))
    position = g.op("Min", g.op("Abs", g.op("Floor", xs[0])), g.const([[2.0]], "last"))
    position = g.op("Where", g.op("IsNaN", position), g.const([[1.0]], "one"), position)
    table = g.op("Gather", g.const([10.0, 20.0, 30.0], "table"), g.op("Cast", position, to=INT))
    g.output(g.op("Concat", picked, every_other, table, axis=1), "out", FLOAT, [None, 6])


def _integers(g: Graph) -> None:
    i, j = g.input("i", INT, [None, 1]), g.input("j", INT, [None, 1])
    nonzero = g.op("Add", g.op("Abs", j), g.const([[1]], "one", np.int64))
    python = g.op("Mod", i, nonzero, fmod=0)
    c = g.op("Mod", i, nonzero, fmod=1)
    both = g.op("And", g.op("Less", i, j), g.op("Not", g.op("Equal", i, g.const([[0]], "zero", np.int64))))
    flag = g.op("Cast", g.op("Or", both, g.op("GreaterOrEqual", i, g.const([[7]], "seven", np.int64))), to=INT)
    truncated = g.op("Div", i, g.const([[-5]], "minus_five", np.int64))  # toward zero, as ONNX Runtime
    g.output(g.op("Concat", python, c, flag, g.op("Mul", i, j), truncated, axis=1), "out", INT, [None, 5])


def _strings(g: Graph) -> None:
    """LabelEncoder of a string column, its equality with a constant, and 'bin_' || the text of an integer."""
    s, n = g.input("s", TEXT, [None, 1]), g.input("n", INT, [None, 1])
    codes = g.op(
        "LabelEncoder", s, domain="ai.onnx.ml", keys_strings=["b", "a", "ab"], values_int64s=[2, 1, 3], default_int64=-1
    )
    is_a = g.op("Cast", g.op("Equal", s, g.const([["a"]], "a")), to=INT)
    text = g.op("StringConcat", g.const([["bin_"]], "bin"), g.op("Cast", n, to=TEXT))
    chosen = g.op("Where", g.op("Equal", n, g.const([[0]], "zero", np.int64)), s, text)
    binned = g.op(
        "LabelEncoder",
        chosen,
        domain="ai.onnx.ml",
        keys_strings=["bin_1", "bin_-2", "bin_10", "a", ""],
        values_int64s=[1, 2, 3, 4, 5],
        default_int64=0,
    )
    g.output(g.op("Concat", codes, is_a, binned, axis=1), "out", INT, [None, 3])


CASES = {
    "arithmetic": _arithmetic,
    "unary": _unary,
    "reductions": _reductions,
    "indexing": _indexing,
    "integers": _integers,
    "strings": _strings,
}


def _rows(inputs, n: int, rng) -> dict[str, np.ndarray]:
    rows = {}
    for value in inputs:
        elem = value.type.tensor_type.elem_type
        if elem == FLOAT:
            column = rng.normal(0, 4, n).astype(np.float32)
            column[rng.random(n) < 0.1] = np.round(column[rng.random(n) < 0.1][:1], 0) if n else 0
            column[:4] = [2.5, -2.5, np.nan, np.inf]  # half-way values round to even; a NaN, an infinity
            rows[value.name] = column
        elif elem == INT:
            rows[value.name] = rng.integers(-12, 12, n)
        else:
            rows[value.name] = rng.choice(np.array(["a", "b", "ab", "ba", "", "bin_1", "zz"], object), n)
    return rows


@pytest.mark.parametrize("case", CASES)
def test_the_compiled_graph_computes_what_onnx_runtime_does(case):
    g = Graph(np.float32)
    CASES[case](g)
    graph = g.model(case, {}, 21)
    rng = np.random.default_rng(7)
    rows = _rows(graph.graph.input, 400, rng)
    if case == "unary":
        rows["x"][3:] = np.where(rng.random(397) < 0.5, np.round(rows["x"][3:] * 2) / 2, rows["x"][3:])
    text, facts = header(graph, "t", "NONE", None, None, case)
    got = run(text, "t", facts, pa.table({k: pa.array(v, from_pandas=True) for k, v in rows.items()}))["out"]
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    expected = session.run(None, {k: v.reshape(-1, 1) for k, v in rows.items()})[0]
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected.astype(np.float64), rtol=2e-6, atol=2e-6, equal_nan=True)


@pytest.mark.parametrize("distinct", [8, None])  # few split values (rank-coded in int16), or all different
@pytest.mark.parametrize("quantize", ["NONE", "INT16"])
def test_tree_ensembles_compute_what_onnx_runtime_does(distinct, quantize):
    """A scikit-learn forest's trees (three classes, each tree once per class) as the TreeEnsemble the export
    builds, compiled as flat arrays; int16 leaves are within half a step of their scale per tree."""
    from sklearn.ensemble import RandomForestClassifier

    from sqlml.engine.families.lightgbm_onnx import Trees

    rng = np.random.default_rng(3)
    X = rng.normal(size=(600, 4)).astype(np.float32)
    if distinct:
        X = np.round(X * distinct / 4) / (distinct / 4)
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] + X[:, 2] > 0.5).astype(int)
    forest = RandomForestClassifier(n_estimators=6, max_depth=6, random_state=0).fit(X, y)
    trees = Trees(3)
    for estimator in forest.estimators_:
        t = estimator.tree_
        fractions = t.value[:, 0, :] / t.value[:, 0, :].sum(axis=1, keepdims=True) / len(forest.estimators_)
        for target in range(3):
            trees.add_arrays(t.feature, t.threshold, t.children_left, t.children_right, fractions[:, target], target)
    g = Graph(np.float32)
    xs = [g.input(f"x{j}", FLOAT, [None, 1]) for j in range(4)]
    scores = g.name("forest")
    g.nodes.append(trees.node(g.op("Concat", *xs, axis=1), scores, np.float32))
    g.output(scores, "out", FLOAT, [None, 3])
    graph = g.model("forest", {}, 21)
    text, facts = header(graph, "t", quantize, None, None, "forest")
    assert ("rank_split" in text) == (quantize == "INT16" and distinct is not None)
    rows = {f"x{j}": X[:, j] for j in range(4)}
    got = run(text, "t", facts, pa.table(rows))["out"]
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    expected = session.run(None, {k: v.reshape(-1, 1) for k, v in rows.items()})[0]
    step = 0.5 / 32767 * np.max(fractions) * 6 if quantize == "INT16" else 0
    np.testing.assert_allclose(got, expected, rtol=0, atol=step + 2e-6)
    np.testing.assert_allclose(expected, forest.predict_proba(X), atol=2e-6)  # and that is scikit-learn's
