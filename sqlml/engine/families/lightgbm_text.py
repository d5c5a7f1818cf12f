"""The LightGBM model text of a boosted tree version, checked before LightGBM parses it.

LightGBM trusts its model text: a child index pointing back up the tree loops forever or crashes, an
array shorter than num_leaves says aborts the process from a parser thread, an index out of range reads
outside memory. `check` reads the text as LightGBM does (header lines up to the first `Tree=`, one block
per tree at the offsets `tree_sizes` gives, then the feature importances and parameters) and admits
only what LightGBM writes for the models sqlml trains: printable ASCII lines, known keys, numbers in
LightGBM's formats, arrays exactly as long as num_leaves and num_cat say, nodes forming one tree
(`artifacts.check_trees`), split features up to max_feature_idx, categorical splits inside cat_threshold,
no linear trees or zero-as-missing splits, and an objective and a tree count per iteration matching
the version's classes. LightGBM then parses the very text that was checked, to the structure checked.
"""

from __future__ import annotations

import re

import numpy as np

from sqlml.engine.store.artifacts import check_trees, expect, output_width

_INT = r"-?\d{1,10}"
_FLOAT = r"(?>-?(?:\d++(?:\.\d*+)?|\.\d++)(?:[eE][-+]?\d++)?+|-?inf|nan)"  # atomic: no backtracking
_INT32 = (-(2**31), 2**31 - 1)
_HEADER = (
    "version",
    "num_class",
    "num_tree_per_iteration",
    "label_index",
    "max_feature_idx",
    "objective",
    "feature_names",
    "feature_infos",
    "tree_sizes",
)
_FEATURE_INFO = re.compile(rf"none|\[{_FLOAT}:{_FLOAT}\]|{_INT}(?::{_INT})*")
# per tree: key -> (number format, length: "nodes" = num_leaves - 1, "leaves" = num_leaves, or "one")
_TREE = {
    "num_leaves": (_INT, "one"),
    "num_cat": (_INT, "one"),
    "split_feature": (_INT, "nodes"),
    "split_gain": (_FLOAT, "nodes"),
    "threshold": (_FLOAT, "nodes"),
    "decision_type": (_INT, "nodes"),
    "left_child": (_INT, "nodes"),
    "right_child": (_INT, "nodes"),
    "leaf_value": (_FLOAT, "leaves"),
    "leaf_weight": (_FLOAT, "leaves"),
    "leaf_count": (_INT, "leaves"),
    "internal_value": (_FLOAT, "nodes"),
    "internal_weight": (_FLOAT, "nodes"),
    "internal_count": (_INT, "nodes"),
    "is_linear": ("0", "one"),
    "shrinkage": (_FLOAT, "one"),
}
_CATEGORIES = ("cat_boundaries", "cat_threshold")
_STUMP = ("leaf_value", "leaf_count", "is_linear", "shrinkage")  # what LightGBM reads of a single-leaf tree
_CHECKED = ("leaf_value", "split_feature", "decision_type", "threshold", "left_child", "right_child")
MAX_LEAVES = 131072  # LightGBM's own limit on num_leaves
_TAIL = re.compile(
    r"end of trees\n\nfeature_importances:\n(?:[^\s=]+=\d+\n)*\nparameters:\n"
    r"(?:\[(?!linear_tree: 1)[a-z0-9_]+: [^\n\[\]:]*\]\n)*\nend of parameters\n\n"
    r"pandas_categorical:null\n"
)


def check(text: str, n_classes: int) -> None:
    """ValueError naming the line, tree or field of `text` that LightGBM must not be given (see above)."""
    if not (text.isascii() and text.replace("\n", "").isprintable()):
        raise ValueError("the LightGBM model text holds characters other than printable ASCII and newlines")
    start = text.find("\nTree=") + 1
    if not start:
        raise ValueError("the LightGBM model text has no trees")
    header = _header(text[:start].split("\n"), n_classes)
    trees, position = [], start
    for index, size in enumerate(header["tree_sizes"]):
        block, title = text[position : position + size], f"Tree={index}\n"
        body, _, rest = block.removeprefix(title).partition("\n\n")
        if len(block) != size or not block.startswith(title) or not block.endswith("\n\n") or rest.strip("\n"):
            raise ValueError(f"tree {index} is not where tree_sizes puts it")
        trees.append(_tree_fields(body.split("\n"), index))
        position += size
    if not _TAIL.fullmatch(text, position):
        raise ValueError("the LightGBM model text after its trees is not LightGBM's feature importances and parameters")
    _check_splits(trees, _arrays(trees), header["max_feature_idx"] + 1)


def _header(lines: list[str], n_classes: int) -> dict:
    """The header's fields, checked and converted: ints, tree_sizes a list."""
    if lines[0] != "tree":
        raise ValueError("the LightGBM model text does not start with 'tree'")
    fields = _fields([line for line in lines[1:] if line], _HEADER, "header")
    missing = [key for key in _HEADER if key not in fields]
    if missing:
        raise ValueError(f"the LightGBM header lacks {', '.join(missing)}")
    width = output_width(n_classes)
    for key, expected in (("num_class", width), ("num_tree_per_iteration", width), ("label_index", 0)):
        expect(_number(fields[key], key), expected, key)
    objective = {0: "regression", 2: "binary sigmoid:1"}.get(n_classes, f"multiclass num_class:{n_classes}")
    if fields["objective"] != objective:
        raise ValueError(f"objective {fields['objective']!r} does not fit a model with {n_classes or 'no'} classes")
    n_features = _number(fields["max_feature_idx"], "max_feature_idx") + 1
    if n_features < 1 or n_features > _INT32[1]:
        raise ValueError("max_feature_idx is out of range")
    names, infos = fields["feature_names"].split(" "), fields["feature_infos"].split(" ")
    expect(len(names), n_features, "the number of feature_names")
    expect(len(infos), n_features, "the number of feature_infos")
    if not all(re.fullmatch(r'[^\s"\\]+', name) for name in names) or not all(
        _FEATURE_INFO.fullmatch(info) for info in infos
    ):
        raise ValueError("feature_names or feature_infos are malformed")
    sizes = [int(size) for size in fields["tree_sizes"].split(" ") if re.fullmatch(r"[1-9]\d{0,9}", size)]
    if len(sizes) != len(fields["tree_sizes"].split(" ")) or len(sizes) % width:
        raise ValueError(f"tree_sizes is not a list of sizes of a multiple of {width} trees")
    return {"max_feature_idx": n_features - 1, "tree_sizes": sizes}


def _fields(lines: list[str], known, where: str) -> dict[str, str]:
    """key -> value of `key=value` lines: known keys, each once."""
    fields = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if not sep or "=" in value or key not in known or key in fields:
            raise ValueError(f"unexpected {where} line {line[:40]!r}")
        fields[key] = value
    return fields


def _number(value: str, what: str) -> int:
    if not re.fullmatch(_INT, value):
        raise ValueError(f"{what} is not an integer")
    return int(value)


def _tree_fields(lines: list[str], index: int) -> dict:
    """One tree block: its index, num_leaves (n) and num_cat, and its fields as text."""
    try:
        fields = _fields(lines, {*_TREE, *_CATEGORIES}, "tree")
        n, num_cat = _number(fields.get("num_leaves", ""), "num_leaves"), _number(fields.get("num_cat", ""), "num_cat")
        if not 1 <= n <= MAX_LEAVES or not 0 <= num_cat < n:
            raise ValueError(f"num_leaves {n} / num_cat {num_cat} is out of range")
        expected = {*_TREE, *(_CATEGORIES if num_cat else ())}
        if fields.keys() != expected:
            raise ValueError(f"the fields are not {', '.join(sorted(expected))}")
    except ValueError as exc:
        raise ValueError(f"tree {index}: {exc}") from None
    return {"index": index, "n": n, "num_cat": num_cat, "fields": fields}


def _arrays(trees: list[dict]) -> dict[str, np.ndarray]:
    """Check every array of every tree for its length and LightGBM's number format; the arrays checked
    further, read as numbers, all trees' end to end. A single-leaf tree's splits are not read (LightGBM
    stops after its leaf)."""
    arrays = {}
    for key, (token, length) in _TREE.items():
        read = [tree for tree in trees if tree["n"] > 1 or key in _STUMP]
        for tree in read:
            expected = {"one": 1, "nodes": tree["n"] - 1, "leaves": tree["n"]}[length]
            value = tree["fields"][key]
            if (value.count(" ") + 1 if value else 0) != expected:
                raise ValueError(f"tree {tree['index']}: {key} does not hold {expected} value(s)")
        joined = " ".join(tree["fields"][key] for tree in read if tree["fields"][key])
        if joined and not re.fullmatch(rf"{token}(?: {token})*+", joined):
            raise ValueError(f"{key} holds a value that is not a number of LightGBM's format")
        if key in _CHECKED:
            arrays[key] = np.array(joined.split(" ") if joined else [], np.float64 if token == _FLOAT else np.int64)
            if token == _INT and joined and (arrays[key].min() < _INT32[0] or arrays[key].max() > _INT32[1]):
                raise ValueError(f"{key} holds a number beyond 32 bits")
    return arrays


def _check_splits(trees: list[dict], arrays: dict[str, np.ndarray], n_features: int) -> None:
    """Leaf values, split features, decision types, thresholds, category sets and the node structure."""
    leaves = np.array([tree["n"] for tree in trees])
    splits = leaves - 1
    leaf_tree, split_tree = np.repeat(np.arange(len(trees)), leaves), np.repeat(np.arange(len(trees)), splits)

    def fail(bad: np.ndarray, owner: np.ndarray, problem: str) -> None:
        if bad.any():
            raise ValueError(f"tree {owner[np.argmax(bad)]}: {problem}")

    fail(~np.isfinite(arrays["leaf_value"]), leaf_tree, "a leaf value is NaN or infinite")
    features, decisions, thresholds = arrays["split_feature"], arrays["decision_type"], arrays["threshold"]
    fail((features < 0) | (features >= n_features), split_tree, f"a split_feature is outside 0..{n_features - 1}")
    fail(
        (decisions < 0) | (decisions > 15) | np.isin((decisions >> 2) & 3, (1, 3)),
        split_tree,
        "a decision_type is not one sqlml trains (zero-as-missing splits are not supported)",
    )
    fail(np.isnan(thresholds), split_tree, "a threshold is NaN")
    categorical = (decisions & 1).astype(bool)
    fail(
        categorical
        & (
            (thresholds != np.floor(thresholds))
            | (thresholds < 0)
            | (thresholds >= np.repeat([tree["num_cat"] for tree in trees], splits))
        ),
        split_tree,
        "a categorical split's threshold is not the index of one of its category sets",
    )
    for tree in trees:
        if tree["num_cat"]:
            _check_categories(tree)
    # one numbering for check_trees: tree t's splits from start[t], then its leaf ~c at start[t] + n - 1 + ~c
    start = np.repeat(np.concatenate([[0], np.cumsum(2 * leaves - 1)[:-1]]), splits)
    node = start + np.arange(len(split_tree)) - np.repeat(np.concatenate([[0], np.cumsum(splits)[:-1]]), splits)
    n = np.repeat(leaves, splits)
    children = []
    for side in ("left_child", "right_child"):
        child = arrays[side]
        fail((child < -n) | (child > n - 2), split_tree, f"a {side} is outside -num_leaves..num_leaves - 2")
        linked = np.full(int((2 * leaves - 1).sum()), -1)
        linked[node] = start + np.where(child >= 0, child, n - 1 + ~child)
        children.append(linked)
    check_trees(*children, 2 * leaves - 1)


def _check_categories(tree: dict) -> None:
    """cat_boundaries rise from 0 to the length of cat_threshold, a list of 32-bit words."""
    boundaries, words = tree["fields"]["cat_boundaries"].split(" "), tree["fields"]["cat_threshold"]
    if len(boundaries) != tree["num_cat"] + 1 or not all(re.fullmatch(r"\d{1,10}", b) for b in boundaries):
        raise ValueError(f"tree {tree['index']}: cat_boundaries are not num_cat + 1 counts")
    bounds = [int(b) for b in boundaries]
    count = words.count(" ") + 1 if words else 0
    if (
        bounds[0] != 0
        or bounds != sorted(bounds)
        or bounds[-1] != count
        or (words and not re.fullmatch(r"\d{1,10}(?: \d{1,10})*", words))
        or any(int(word) >= 2**32 for word in words.split(" ") if words)
    ):
        raise ValueError(f"tree {tree['index']}: cat_boundaries and cat_threshold do not fit together")
