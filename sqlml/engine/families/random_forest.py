"""random_forest_regressor / random_forest_classifier on scikit-learn, stored with skops.

Option mapping: num_parallel_tree -> n_estimators, max_tree_depth -> max_depth, subsample -> max_samples
(bootstrap), colsample_bynode -> max_features, min_tree_child_weight -> min_samples_leaf (at least 1),
min_split_loss -> min_impurity_decrease. tree_method: AUTO and EXACT are scikit-learn's own exact splits; HIST
and APPROX split on histogram bins as XGBoost's do, with the boosted trees' bin counts (HIST 256, APPROX 33):
each encoded column with more distinct training values (as float32, what scikit-learn's trees read) than bins
gets `histogram_edges`, the forest trains on bin indices (b = the number of edges below x), and each split
"b <= k + 0.5" is then rewritten as "x <= edges[k]", which holds for exactly the same rows. The stored forest
reads raw values: prediction, explanations and ONNX export see a plain scikit-learn forest.
It samples columns per node only and grows trees without leaf-weight regularization: colsample_bytree /
colsample_bylevel below 1 and l1_reg / l2_reg above 0 are refused (`unsupported_by_scikit_learn`). early_stop
and min_rel_progress are accepted and change nothing: a forest trains all its trees in one round, as XGBoost's
does. Artifacts load with skops trusting exactly the tree type below:
anything else in a stored artifact is refused. scikit-learn's Cython Tree trusts its arrays (a child or
feature index out of range reads outside memory, a cycle loops forever), so each tree's state is checked
while skops holds it as plain arrays, before any Tree is built from it; then the forest's shape.
"""

from __future__ import annotations

import io
import json
from collections import deque
from zipfile import ZipFile

import numpy as np

from sqlml.engine.families.base import FLOAT32_MAX, Family, TrainData
from sqlml.engine.families.boosted_tree import APPROX_MAX_BIN
from sqlml.engine.families.common import (
    CLASS_WEIGHTS,
    CLASSIFIER_RULES,
    COMPUTE,
    EARLY_STOP,
    GLOBAL_EXPLAIN,
    INSTANCE_WEIGHT,
    SPLIT,
    TUNING,
    XGBOOST_ONLY,
    data_split,
    instance_weights,
    regularization,
    tree_options,
)
from sqlml.engine.store.artifacts import check_trees, expect, is_integer
from sqlml.errors import NotSupportedError, ProgrammingError

TRUSTED_TYPES = ["sklearn.tree._tree.Tree"]


class ForestModel:
    def __init__(self, forest):
        self.forest = forest

    def predict(self, X: np.ndarray) -> np.ndarray:
        if hasattr(self.forest, "classes_"):
            return self.forest.predict_proba(X)
        return self.forest.predict(X)

    def raw_scores(self, X: np.ndarray) -> np.ndarray:
        """The scores ML.EXPLAIN_PREDICT explains: values, or class probabilities (a forest has no other)."""
        return self.predict(X).reshape(len(X), -1)

    def splits(self):
        """(matrix column, gain, cover) of every split of every tree (ML.FEATURE_IMPORTANCE)."""
        for estimator in self.forest.estimators_:
            tree = estimator.tree_
            weight, impurity = tree.weighted_n_node_samples, tree.impurity
            for i in np.nonzero(tree.children_left != -1)[0]:
                left, right = tree.children_left[i], tree.children_right[i]
                gain = weight[i] * impurity[i] - weight[left] * impurity[left] - weight[right] * impurity[right]
                yield int(tree.feature[i]), float(gain), float(weight[i])

    @property
    def n_features(self) -> int:
        return self.forest.n_features_in_

    def artifact(self) -> bytes:
        import skops.io as sio

        return sio.dumps(self.forest)

    @classmethod
    def load(cls, data: bytes, n_classes: int = 0) -> ForestModel:
        forest = _load_checked(data, n_classes)
        _check_forest(forest, n_classes)
        return cls(forest)


def _load_checked(data: bytes, n_classes: int):
    """The object of a skops artifact, loaded as skops.io.loads does (its steps, from skops' internal modules),
    but with every Tree's constructor arguments and state checked (`_check_tree_states`) before skops builds
    the Tree from them."""
    from sklearn.tree._tree import Tree
    from skops.io._audit import audit_tree, get_tree
    from skops.io._general import TypeNode
    from skops.io._sklearn import TreeNode
    from skops.io._utils import LoadContext

    with ZipFile(io.BytesIO(data)) as archive:
        schema = json.loads(archive.read("schema.json"))
        root = get_tree(schema, LoadContext(src=archive, protocol=schema["protocol"]), trusted=TRUSTED_TYPES)
        audit_tree(root, trusted=TRUSTED_TYPES)
        trees = [
            node
            for node in _breadth_first(root)
            if not isinstance(node, TypeNode)
            and (node.module_name, node.class_name) == (Tree.__module__, Tree.__name__)
        ]
        if any(type(node) is not TreeNode for node in trees):
            raise TypeError("a Tree is stored in a form other than skops' own")
        # a node's children are built once: the Tree is later built from these very values
        _check_tree_states(
            [(node.children["args"].construct(), node.children["attrs"].construct()) for node in trees], n_classes
        )
        return root.construct()


def _breadth_first(root):
    """Every node of a skops node tree once, breadth first (so a forest's trees come in estimators_ order)."""
    from skops.io._audit import Node

    pending, seen = deque([root]), set()
    while pending:
        node = pending.popleft()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        for child in node.children.values():
            pending.extend(
                child
                if isinstance(child, list)
                else child.values()
                if isinstance(child, dict)
                else [child]
                if isinstance(child, Node)
                else []
            )


def _check_tree_states(states: list[tuple], n_classes: int) -> None:
    """Each Tree's constructor arguments and state (`_tree_children`), then all their nodes forming trees."""
    children = [_tree_children(index, args, state, max(n_classes, 1)) for index, (args, state) in enumerate(states)]
    if children:
        sizes = np.array([len(left) for left, _ in children])
        offsets = np.repeat(np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes)
        left, right = (np.concatenate(side) for side in zip(*children))
        check_trees(np.where(left == -1, -1, left + offsets), np.where(right == -1, -1, right + offsets), sizes)


def _tree_children(index: int, args, state, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The left and right children of tree `index`, once its (n_features, n_classes, n_outputs) and {max_depth,
    node_count, nodes, values} are checked: one output of `width` values (classes, or 1 for a regression),
    node_count nodes, finite values, split features below n_features, thresholds not NaN."""
    if not (
        isinstance(args, tuple)
        and len(args) == 3
        and is_integer(args[0])
        and args[0] >= 1
        and isinstance(args[1], np.ndarray)
        and args[1].dtype.kind in "iu"
        and args[1].tolist() == [width]
        and is_integer(args[2])
        and args[2] == 1
    ):
        raise ValueError(f"tree {index} is not made for one output of {width} value(s)")
    if not isinstance(state, dict) or not {"max_depth", "node_count", "nodes", "values"} <= state.keys():
        raise ValueError(f"tree {index} has no nodes")
    nodes, values = state["nodes"], state["values"]
    if not (
        isinstance(nodes, np.ndarray)
        and nodes.ndim == 1
        and len(nodes) >= 1
        and nodes.dtype.names
        and {"left_child", "right_child", "feature", "threshold"} <= set(nodes.dtype.names)
    ):
        raise ValueError(f"tree {index}'s nodes are not an array of scikit-learn tree nodes")
    expect(state["node_count"], len(nodes), f"tree {index}'s node_count")
    if not (
        isinstance(values, np.ndarray)
        and values.dtype == np.float64
        and values.shape == (len(nodes), 1, width)
        and np.isfinite(values).all()
    ):
        raise ValueError(f"tree {index}'s values are not {len(nodes)} x 1 x {width} finite numbers")
    split = nodes["left_child"] != -1
    features = nodes["feature"][split]
    if features.size and (features.min() < 0 or features.max() >= args[0] or np.isnan(nodes["threshold"][split]).any()):
        raise ValueError(f"tree {index} splits on a feature outside 0..{args[0] - 1} or at a NaN threshold")
    return nodes["left_child"].astype(np.int64), nodes["right_child"].astype(np.int64)


def _check_forest(forest, n_classes: int) -> None:
    """A forest of the version's kind, its trees reading its n_features_in_ features, with its classes."""
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
    from sklearn.tree._tree import Tree

    kind, tree_kind = (
        (RandomForestClassifier, DecisionTreeClassifier)
        if n_classes
        else (RandomForestRegressor, DecisionTreeRegressor)
    )
    if type(forest) is not kind:
        raise TypeError(f"artifact holds {type(forest).__name__}, not a {kind.__name__}")
    width = getattr(forest, "n_features_in_", None)
    trees = getattr(forest, "estimators_", None)
    if not is_integer(width) or not isinstance(trees, list) or not trees or getattr(forest, "n_outputs_", None) != 1:
        raise ValueError("the forest has no trees, or not one output")
    for index, tree in enumerate(trees):
        if (
            type(tree) is not tree_kind
            or type(getattr(tree, "tree_", None)) is not Tree
            or tree.n_features_in_ != width
            or tree.tree_.n_features != width
        ):
            raise ValueError(f"tree {index} is not a {tree_kind.__name__} reading the forest's {width} features")
    if n_classes and not (np.array_equal(forest.classes_, np.arange(n_classes)) and forest.n_classes_ == n_classes):
        raise ValueError(f"the forest's classes are not the version's {n_classes}")


def forest_estimator(options: dict, classification: bool):
    """The scikit-learn forest for the BigQuery ML options (see module docstring)."""
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    forest = RandomForestClassifier if classification else RandomForestRegressor
    return forest(
        n_estimators=options["num_parallel_tree"],
        max_depth=options["max_tree_depth"],
        max_samples=options["subsample"] if options["subsample"] < 1 else None,
        max_features=options["colsample_bynode"],
        min_samples_leaf=max(1, options["min_tree_child_weight"]),
        min_impurity_decrease=options["min_split_loss"],
        random_state=options["seed"],
        n_jobs=-1,
    )


HISTOGRAM_BINS = {"HIST": 256, "APPROX": APPROX_MAX_BIN}  # tree_method: bins per column, as boosted trees'


def histogram_edges(column: np.ndarray, bins: int) -> np.ndarray | None:
    """The bins-1 edges of a column's `bins` quantile bins over its n distinct values u_1 < ... < u_n: edge i
    (i = 1..bins-1) is the inverted-CDF quantile at i / bins, u_j with j = ceil(i * n / bins), the smallest
    distinct value with at least i / bins of them at or below it. None (exact splits) when n <= bins."""
    values = np.unique(column)
    if len(values) <= bins:
        return None
    return values[(np.arange(1, bins) * len(values) - 1) // bins]


def _binned(X: np.ndarray, bins: int) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """X as float32 (what scikit-learn's trees read), each column with edges (from all its training rows, before
    any tree's subsample) replaced by its bin indices; and the edges by column. X holds no NaN: NULLs are
    imputed with the training mean."""
    X32 = X.astype(np.float32)
    edges = {j: e for j in range(X32.shape[1]) if (e := histogram_edges(X32[:, j], bins)) is not None}
    for j, column_edges in edges.items():
        X32[:, j] = np.searchsorted(column_edges, X32[:, j], "left")
    return X32, edges


def _split_on_values(forest, edges: dict[int, np.ndarray]) -> None:
    """Rewrite each split of a forest trained on bin indices, "b <= t" (t between two indices), as "x <= edges[k]"
    with k = floor(t): b <= k exactly when x <= edges[k]. Each tree is rebuilt from its state (as skops does)."""
    for estimator in forest.estimators_:
        state = estimator.tree_.__getstate__()
        nodes = state["nodes"].copy()
        for feature, column_edges in edges.items():
            at = (nodes["left_child"] != -1) & (nodes["feature"] == feature)
            nodes["threshold"][at] = column_edges[np.floor(nodes["threshold"][at]).astype(np.int64)]
        estimator.tree_.__setstate__({**state, "nodes": nodes})


def fit_random_forest(data: TrainData) -> ForestModel:
    forest = forest_estimator(data.options, classification=data.n_classes > 0)
    bins = HISTOGRAM_BINS.get(data.options["tree_method"])
    X, edges = _binned(data.X, bins) if bins else (data.X, {})
    forest.fit(X, data.y, sample_weight=data.weights)
    _split_on_values(forest, edges)
    forest.n_jobs = 1  # parallel prediction sums trees in a varying order: results would differ in the last bits
    return ForestModel(forest)


def several_trees(options: dict) -> None:
    if options["num_parallel_tree"] < 2:
        raise ProgrammingError("OPTIONS: num_parallel_tree must be >= 2 for a random forest")


_UNSUPPORTED = {  # option: (what scikit-learn can honour, why not more)
    "colsample_bytree": ((1.0,), "it samples columns at each node only (colsample_bynode)"),
    "colsample_bylevel": ((1.0,), "it samples columns at each node only (colsample_bynode)"),
    "l1_reg": ((0.0,), "its leaves are plain means, with no L1 / L2 penalty on leaf weights"),
    "l2_reg": ((0.0,), "its leaves are plain means, with no L1 / L2 penalty on leaf weights"),
}


def unsupported_by_scikit_learn(options: dict) -> None:
    """NotSupportedError for an XGBoost forest option scikit-learn's forest cannot honour (_UNSUPPORTED)."""
    for name, (honoured, why) in _UNSUPPORTED.items():
        if options[name] not in honoured:
            allowed = " or ".join(repr(v) if isinstance(v, str) else f"{v:g}" for v in honoured)
            raise NotSupportedError(
                f"OPTIONS: {name} = {options[name]!r} is not supported for random forests: sqlml trains them "
                f"with scikit-learn, and {why}; use {allowed}"
            )


def propose(trial) -> dict:
    """AutoML: a candidate's hyperparameters from an optuna trial."""
    return {
        "num_parallel_tree": trial.suggest_int("num_parallel_tree", 50, 200),
        "max_tree_depth": trial.suggest_int("max_tree_depth_forest", 5, 20),
        "colsample_bynode": trial.suggest_float("colsample_bynode", 0.3, 1.0),
    }


OPTIONS = {
    **SPLIT,
    **COMPUTE,
    **tree_options(
        num_parallel_tree=100,
        max_tree_depth=15,
        subsample=0.8,
        colsample_bynode=0.8,
        min_tree_child_weight=1,
        min_split_loss=0.0,
        colsample_bytree=1.0,
        colsample_bylevel=1.0,
        tree_method="AUTO",
    ),
    **regularization(0.0, 0.0),
    **EARLY_STOP,
    **TUNING,
    **COMPUTE,
    **GLOBAL_EXPLAIN,
    **XGBOOST_ONLY,
    **INSTANCE_WEIGHT,
}
_SHARED = dict(
    fit=fit_random_forest,
    load=ForestModel.load,
    artifact_format="skops",
    linear_encoding=False,
    feature_limit=FLOAT32_MAX,
    search_space={"max_tree_depth": {"hparam_range": [2, 20]}, "colsample_bynode": {"hparam_range": [0.3, 1.0]}},
    propose=propose,
    explainer="sampled",
    importance="splits",
    onnx_builder="forest",
    quantize=("FLOAT16",),
    quantize_auto="FLOAT16",
)
FAMILIES = (
    Family(
        "random_forest_regressor",
        "regression",
        OPTIONS,
        rules=(data_split, several_trees, unsupported_by_scikit_learn, instance_weights),
        **_SHARED,
    ),
    Family(
        "random_forest_classifier",
        "classification",
        {**OPTIONS, **CLASS_WEIGHTS},
        max_classes=1000,
        rules=(data_split, several_trees, unsupported_by_scikit_learn, instance_weights, *CLASSIFIER_RULES),
        **_SHARED,
    ),
)
