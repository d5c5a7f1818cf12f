"""The integrity of a stored version: its SHA-256 checksum, and the structure every artifact must have
before a native library (LightGBM, scikit-learn's Cython trees, ONNX Runtime) sees it.

**Checksum.** `sqlml.model_versions.artifact_sha256` (and `sqlml.model_trials.artifact_sha256`, for a tuning
trial's own artifact) is the SHA-256 of everything a loaded version scores with: the canonical JSON
(sorted keys, no spaces, ASCII) of its model_type, estimator_type, options, label, label_type, classes,
features (the preprocessing specs, vocabularies included), transform and artifact_format, then a NUL
byte, then the artifact bytes. Names, version numbers and lineage (training SQL, metrics, ...)
are not covered: they do not change a prediction. Loading a version recomputes the checksum; a mismatch
is a DataError (the row was altered or damaged). A version written before sqlml kept checksums has none
(NULL): it loads with the structural checks alone.

**Structure.** A checksum only tells that a row changed; a row written by hand can carry a matching one.
So every version is also checked for what would crash, hang or silently mislead the code that scores
it: feature specs of known kinds with the fields the encoder reads, classes matching the task, and
arrays whose shapes agree with each other and with the encoded feature count. Tree models are checked
node by node before LightGBM or scikit-learn builds them (`check_trees`: child indexes in range, one
parent per node, no cycle, bounded depth). Problems raise ValueError; `Model` reports them as a DataError
naming the model and version.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

import numpy as np

from sqlml.engine.data.features import leaf_width, spec_leaves
from sqlml.errors import DataError

if TYPE_CHECKING:
    from sqlml.engine.store.catalog import ModelVersion

SCORED_FIELDS = (
    "model_type",
    "estimator_type",
    "options",
    "label",
    "label_type",
    "classes",
    "features",
    "transform",
    "artifact_format",
)
# deeper than any tree sqlml ever trained (max_tree_depth once allowed 1000; BigQuery ML's 20 applies since):
# a bound for the structural walk, not the option's rule, so older versions still load
MAX_TREE_DEPTH = 1000
_LEAF_KINDS = ("numeric", "categorical", "multi_hot", "sparse", "vector")


def checksum(version: ModelVersion) -> str:
    """The SHA-256 (hex) of what `version` scores with (see the module docstring)."""
    scored = json.dumps(
        {field: getattr(version, field) for field in SCORED_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    digest = hashlib.sha256(scored.encode("ascii") + b"\0")
    digest.update(version.artifact)
    return digest.hexdigest()


def verify(version: ModelVersion) -> None:
    """DataError unless `version` matches its stored checksum (a version without one passes)."""
    if version.artifact_sha256 is not None and version.artifact_sha256 != checksum(version):
        raise DataError(
            f"model {version.qualified_name} version {version.version}: stored artifact fails its "
            "SHA-256 check; the catalog row was altered or damaged"
        )


def check_schema(version: ModelVersion, classifier: bool, scale_option: str | None) -> None:
    """The version's classes, options and feature specs are what a model (a `classifier` or not) is loaded
    with."""
    if not isinstance(version.options, dict):
        raise ValueError("options is not a JSON object")
    if scale_option is not None and not isinstance(version.options.get(scale_option), bool):
        raise ValueError(f"option {scale_option} is not a BOOL")
    _check_classes(version.classes, version.label_type, classifier)
    if not isinstance(version.features, list):
        raise ValueError("features is not a list of feature specs")
    for spec in version.features:
        _check_spec(spec)


def check_width(specs: list[dict], linear: bool, n_features: int) -> None:
    """The feature specs encode exactly the `n_features` columns the estimator reads."""
    encoded = sum(leaf_width(leaf, linear) for spec in specs for leaf in spec_leaves(spec))
    if encoded != n_features:
        raise ValueError(f"the estimator reads {n_features} encoded feature(s); the feature specs encode {encoded}")


def _check_classes(classes, label_type, classifier: bool) -> None:
    if not classifier:
        if classes is not None:
            raise ValueError("a model that is not a classifier has classes")
        return
    if (
        not isinstance(classes, list)
        or len(classes) < 2
        or not all(isinstance(c, (str, int, float)) for c in classes)
        or len(set(classes)) != len(classes)
    ):
        raise ValueError("classes is not a list of 2 or more distinct labels")
    if not isinstance(label_type, str):
        raise ValueError("a classifier has no label_type")


def _check_spec(spec) -> None:
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not isinstance(spec.get("type"), str):
        raise ValueError("a feature spec has no name or type")
    if spec.get("kind") in ("timestamp", "struct"):
        parts = spec.get("parts")
        if not isinstance(parts, list) or not parts:
            raise ValueError(f"feature '{spec['name']}' has no parts")
    for leaf in spec_leaves(spec):
        _check_leaf(leaf)


def _check_leaf(leaf) -> None:
    """The fields FeatureEncoder reads from a leaf of `kind`."""
    if not isinstance(leaf, dict) or not isinstance(leaf.get("name"), str):
        raise ValueError("a feature spec part has no name")
    name, kind = f"feature '{leaf['name']}'", leaf.get("kind")
    if kind not in _LEAF_KINDS:
        raise ValueError(f"{name} has an unknown kind {kind!r}")
    if kind == "numeric":
        statistics = [leaf.get("mean"), leaf.get("std")]
        if not all(_is_number(v) and np.isfinite(v) for v in statistics) or statistics[1] <= 0:
            raise ValueError(f"{name} needs a finite mean and a positive finite std")
    elif kind in ("sparse", "vector"):
        if not is_integer(leaf.get("width")) or leaf["width"] < 1:
            raise ValueError(f"{name} needs a positive integer width")
    else:
        vocabulary = leaf.get("vocabulary")
        if (
            not isinstance(vocabulary, list)
            or not all(isinstance(v, str) for v in vocabulary)
            or any(a >= b for a, b in zip(vocabulary, vocabulary[1:]))
        ):
            raise ValueError(f"{name}'s vocabulary is not a sorted list of distinct strings")
        if kind == "categorical" and not isinstance(leaf.get("has_null"), bool):
            raise ValueError(f"{name} needs has_null TRUE or FALSE")
        _check_category_encoding(name, leaf)


def _check_category_encoding(name: str, leaf: dict) -> None:
    """DUMMY_ENCODING's dropped column is one of the leaf's one-hot columns; TARGET_ENCODING has a finite
    number for each category, NULL and the unseen ones."""
    width = len(leaf["vocabulary"]) + (leaf["has_null"] is True)
    if "dropped" in leaf and not (is_integer(leaf["dropped"]) and 0 <= leaf["dropped"] < width):
        raise ValueError(f"{name}'s dropped one-hot column is not one of its {width}")
    if "target" in leaf:
        expect(
            len(numbers(leaf["target"], 1, f"{name}'s target encoding")),
            len(leaf["vocabulary"]) + 2,
            f"{name}'s target encoding",
        )


def is_integer(value) -> bool:
    """A Python or numpy integer, not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def numbers(value, ndim: int, what: str) -> np.ndarray:
    """`value` (nested JSON lists) as a float64 array of `ndim` non-empty dimensions, every number finite."""
    array = np.asarray(value) if isinstance(value, list) else np.empty(0)  # ragged lists raise ValueError
    if array.dtype.kind not in "iuf" or array.ndim != ndim or not array.size:
        raise ValueError(f"{what} is not a {ndim}-D array of numbers")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{what} holds NaN or infinite values")
    return array


def expect(actual, expected, what: str) -> None:
    """ValueError unless `actual` equals `expected`, e.g. a shape."""
    if actual != expected:
        raise ValueError(f"{what} is {actual}, expected {expected}")


def output_width(n_classes: int) -> int:
    """The score columns of a model: one for a regression or a binary classifier (the positive class's)."""
    return n_classes if n_classes > 2 else 1


def check_trees(left: np.ndarray, right: np.ndarray, sizes: np.ndarray) -> None:
    """That node -> child arrays (-1 at a leaf) form trees: consecutive blocks of `sizes` nodes, each rooted
    at its first node, with both children or none, every other node the child of exactly one node of its
    own tree, all reachable from the root, at most MAX_TREE_DEPTH levels deep. ValueError naming the tree."""
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    tree_of = np.repeat(np.arange(len(sizes)), sizes)
    n = len(left)

    def fail(nodes: np.ndarray, problem: str) -> None:
        if nodes.size:
            raise ValueError(f"tree {tree_of[nodes[0]]}: {problem}")

    leaf = left == -1
    fail(np.flatnonzero(leaf != (right == -1)), "a node has a single child")
    parents = np.flatnonzero(~leaf)
    owner, children = np.concatenate([parents, parents]), np.concatenate([left[parents], right[parents]])
    fail(owner[(children < 0) | (children >= n)], "a child index is out of range")
    fail(owner[tree_of[children] != tree_of[owner]], "a child index is outside the tree")
    fail(owner[children == owner], "a node is its own child")
    is_root = np.zeros(n, dtype=bool)
    is_root[starts] = True
    fail(
        np.flatnonzero(np.bincount(children, minlength=n) != ~is_root),
        "a node is the child of several nodes, or the root a child (a cycle or a shared subtree)",
    )
    reached, frontier = is_root.copy(), starts  # one parent each: a node is reached at most once
    for _ in range(MAX_TREE_DEPTH):
        inner = frontier[~leaf[frontier]]
        if not inner.size:
            break
        frontier = np.concatenate([left[inner], right[inner]])
        reached[frontier] = True
    fail(np.sort(frontier[~leaf[frontier]]), f"the tree is deeper than {MAX_TREE_DEPTH} levels")
    fail(np.flatnonzero(~reached), "some nodes cannot be reached from the root (a cycle)")
