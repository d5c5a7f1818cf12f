"""Split text as ONNX nodes, for TRANSFORM's list functions (export/transform.py): tokens, n-grams, and
how each row's tokens hit a vocabulary (ML.BAG_OF_WORDS, ML.TF_IDF, ML.MULTI_HOT_ENCODER, a list feature)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from onnx import TensorProto

from sqlml.export.graph import Graph

_LAST = np.iinfo(np.int64).max  # Slice to the end


class Tokens(NamedTuple):
    values: str  # [N, L] strings, padded with ""
    padding: str  # [N, L] bool: True where values holds padding
    count: str  # [N, 1] double: each row's number of tokens


def split(g: Graph, text: str, delimiter: str) -> Tokens:
    """STR_SPLIT(text, delimiter) of a [N, 1] string (ONNX StringSplit); "" (NULL) has no tokens."""
    values, counts = g.op(
        "StringSplit", g.op("Squeeze", text, g.const([1], "axis", np.int64)), delimiter=delimiter, outputs=2
    )
    width = g.op("Squeeze", g.op("Shape", values, start=1, end=2))
    positions = g.op("Range", g.const(0, "zero", np.int64), width, g.const(1, "one", np.int64))
    counts = g.op("Unsqueeze", counts, g.const([1], "axis", np.int64))
    padding = g.op("Not", g.op("Less", g.op("Unsqueeze", positions, g.const([0], "axis", np.int64)), counts))
    return Tokens(values, padding, g.op("Cast", counts, to=TensorProto.DOUBLE))


def ngrams(g: Graph, tokens: Tokens, low: int, high: int, separator: str) -> Tokens:
    """ML.NGRAMS: each run of n consecutive tokens joined by `separator`, for n in [low, high]."""
    grams, paddings = [], []
    axis = g.const([1], "axis", np.int64)
    for n in range(low, high + 1):
        parts = [
            g.op(
                "Slice",
                tokens.values,
                g.const([k], "start", np.int64),
                g.const([k - (n - 1) if k < n - 1 else _LAST], "end", np.int64),
                axis,
            )
            for k in range(n)
        ]
        gram = parts[0]
        for part in parts[1:]:
            gram = g.op("StringConcat", g.op("StringConcat", gram, g.const(separator, "separator")), part)
        grams.append(gram)  # a window is padding when its last token is
        paddings.append(
            g.op("Slice", tokens.padding, g.const([n - 1], "start", np.int64), g.const([_LAST], "end", np.int64), axis)
        )
    values = g.op("Concat", *grams, axis=1) if len(grams) > 1 else grams[0]
    padding = g.op("Concat", *paddings, axis=1) if len(paddings) > 1 else paddings[0]
    count = g.op("ReduceSum", g.op("Cast", g.op("Not", padding), to=TensorProto.DOUBLE), axis, keepdims=1)
    return Tokens(values, padding, count)


def hits(g: Graph, tokens: Tokens, vocabulary: list[str], first: int, reduce: str) -> str:
    """[N, first + len(vocabulary)]: how often (reduce 'ReduceSum') or whether ('ReduceMax') each row's
    tokens are each vocabulary element, the elements at positions first, first + 1, ...; with first=1,
    position 0 counts the tokens outside the vocabulary, with first=0 they count nowhere."""
    codes = list(range(first, first + len(vocabulary)))
    keys, codes = (vocabulary, codes) if vocabulary else (["\x00"], [first - 1])
    coded = g.op(
        "LabelEncoder",
        tokens.values,
        domain="ai.onnx.ml",
        keys_strings=keys,
        values_int64s=codes,
        default_int64=first - 1,
    )
    coded = g.op("Where", tokens.padding, g.const([[-1]], "none", np.int64), coded)  # padding counts nowhere
    positions = g.const(np.arange(first + len(vocabulary), dtype=np.int64).reshape(1, 1, -1), "positions")
    found = g.op("Equal", g.op("Unsqueeze", coded, g.const([2], "axis", np.int64)), positions)
    return g.op(reduce, g.op("Cast", found, to=TensorProto.DOUBLE), g.const([1], "axis", np.int64), keepdims=0)


def vocabulary_vector(g: Graph, function: str, tokens: Tokens, stats: dict) -> str:
    """ML.BAG_OF_WORDS (counts), ML.MULTI_HOT_ENCODER (presence) or ML.TF_IDF (count / tokens * idf) of the
    tokens: [N, 1 + vocabulary], index 0 for the tokens outside the vocabulary."""
    counts = hits(g, tokens, stats["vocabulary"], 1, "ReduceSum")
    if function == "BAG_OF_WORDS":
        return counts
    zero = g.const([[0.0]], "zero", np.float64)
    present = g.op("Greater", counts, zero)
    if function == "MULTI_HOT_ENCODER":
        return g.op("Cast", present, to=TensorProto.DOUBLE)
    share = g.op("Div", counts, tokens.count)
    return g.op("Where", present, g.op("Mul", share, g.const([stats["idf"]], "idf", np.float64)), zero)
