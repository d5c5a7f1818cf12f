"""A LightGBM booster as one ONNX TreeEnsemble node (ai.onnx.ml opset 5) in double precision.

Thresholds, leaf values, inputs and sums are all float64, so ONNX Runtime takes exactly LightGBM's
decisions (`x <= threshold`, NaN to the default side, |x| <= 1e-35 read as 0, integer category codes in
sets as BRANCH_MEMBER) and the raw scores agree to rounding. ONNX Runtime evaluates these trees about
1.5x faster than LightGBM's own predictor on this machine, which is why sqlml scores boosted trees with
it. The graph outputs raw scores, one column per class tree (num_tree_per_iteration); the objective's
link (sigmoid, softmax) is applied by the caller. `Trees` also takes scikit-learn trees (for EXPORT MODEL).
"""

from __future__ import annotations

import math

import lightgbm as lgb
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BRANCH_LEQ, BRANCH_MEMBER = 0, 6


class Trees:
    """The flat node and leaf arrays of a TreeEnsemble, filled tree by tree."""

    def __init__(self, n_targets: int):
        self.n_targets = n_targets
        self.roots: list[int] = []
        self.nodes: dict[str, list] = {
            key: []
            for key in (
                "featureids",
                "modes",
                "splits",
                "truenodeids",
                "trueleafs",
                "falsenodeids",
                "falseleafs",
                "missing_value_tracks_true",
            )
        }
        self.membership: list[float] = []
        self.leaf_targets: list[int] = []
        self.leaf_weights: list[float] = []

    def add_tree(self, tree: dict, thresholds: list[float]) -> None:
        """Append one tree of dump_model()'s tree_info; `thresholds` are its exact split values."""
        structure, target = tree["tree_structure"], tree["tree_index"] % self.n_targets
        if "split_index" not in structure:  # a single leaf: a split whose two sides are that leaf
            root = self._node(0, BRANCH_LEQ, 0.0, False)
            leaf = (self._leaf(structure, target), 1)
            self._link(root, "true", leaf)
            self._link(root, "false", leaf)
            self.roots.append(root)
            return
        pending = [(structure, None)]  # (subtree, (parent index, side)); a loop, as trees may be 1000 deep
        while pending:
            node, parent = pending.pop()
            if "split_index" in node:
                added = (self._split(node, thresholds), 0)
                pending += [(node["right_child"], (added[0], "false")), (node["left_child"], (added[0], "true"))]
            else:
                added = (self._leaf(node, target), 1)
            if parent is None:
                self.roots.append(added[0])
            else:
                self._link(*parent, added)

    def add_arrays(self, feature, threshold, left, right, values, target: int) -> None:
        """Append one scikit-learn tree (tree_ arrays; leaves have left == -1): x <= threshold goes left."""
        index = {}
        for i in range(len(feature)):  # node i -> (node or leaf index, is_leaf); parents come before children
            index[i] = (
                (self._leaf({"leaf_value": float(values[i])}, target), 1)
                if left[i] == -1
                else (self._node(int(feature[i]), BRANCH_LEQ, float(threshold[i]), False), 0)
            )
        if index[0][1]:  # a single leaf: a split whose two sides are that leaf
            root = self._node(0, BRANCH_LEQ, 0.0, False)
            self._link(root, "true", index[0])
            self._link(root, "false", index[0])
            self.roots.append(root)
            return
        self.roots.append(index[0][0])
        for i in range(len(feature)):
            if left[i] != -1:
                self._link(index[i][0], "true", index[left[i]])
                self._link(index[i][0], "false", index[right[i]])

    def _leaf(self, leaf: dict, target: int) -> int:
        self.leaf_targets.append(target)
        self.leaf_weights.append(leaf["leaf_value"])
        return len(self.leaf_weights) - 1

    def _split(self, node: dict, thresholds: list[float]) -> int:
        if node["decision_type"] == "==":  # categorical: left when the category is in the set; NaN right
            self.membership.extend([float(c) for c in str(node["threshold"]).split("||")] + [math.nan])
            return self._node(node["split_feature"], BRANCH_MEMBER, 0.0, False)
        split, missing = thresholds[node["split_index"]], node["missing_type"]
        if missing == "Zero":
            raise ValueError("zero-as-missing splits are not supported")  # sqlml never trains them
        # LightGBM sends NaN to the default side of NaN-type splits and scores it as 0.0 elsewhere
        nan_left = node["default_left"] if missing == "NaN" else 0.0 <= split
        return self._node(node["split_feature"], BRANCH_LEQ, split, nan_left)

    def _node(self, feature: int, mode: int, split: float, nan_true: bool) -> int:
        for key, value in (
            ("featureids", feature),
            ("modes", mode),
            ("splits", split),
            ("missing_value_tracks_true", int(nan_true)),
            ("truenodeids", 0),
            ("trueleafs", 0),
            ("falsenodeids", 0),
            ("falseleafs", 0),
        ):
            self.nodes[key].append(value)
        return len(self.nodes["featureids"]) - 1

    def _link(self, index: int, side: str, child: tuple[int, int]) -> None:
        """Point the true or false side of node `index` at child (index, is_leaf)."""
        self.nodes[f"{side}nodeids"][index], self.nodes[f"{side}leafs"][index] = child

    def node(self, inputs: str, output: str, dtype=np.float64) -> onnx.NodeProto:
        """The TreeEnsemble node: the sum of the trees' leaves per target, in `dtype` (float32: each split
        rounded down to a float32, so that a float32 input takes the branch it takes against the double)."""
        splits = np.array(self.nodes["splits"], np.float64)
        if dtype == np.float32:
            rounded = splits.astype(np.float32)
            splits = np.where(rounded > splits, np.nextafter(rounded, np.float32(-np.inf)), rounded)
        tensors = {
            "nodes_modes": np.array(self.nodes["modes"], np.uint8),
            "nodes_splits": splits.astype(dtype),
            "leaf_weights": np.array(self.leaf_weights, dtype),
        }
        if self.membership:
            tensors["membership_values"] = np.array(self.membership, dtype)
        ints = {
            f"nodes_{key}": self.nodes[key]
            for key in (
                "featureids",
                "truenodeids",
                "trueleafs",
                "falsenodeids",
                "falseleafs",
                "missing_value_tracks_true",
            )
        }
        return helper.make_node(
            "TreeEnsemble",
            [inputs],
            [output],
            domain="ai.onnx.ml",
            n_targets=self.n_targets,
            aggregate_function=1,
            post_transform=0,
            tree_roots=self.roots,
            leaf_targetids=self.leaf_targets,
            **ints,
            **{name: numpy_helper.from_array(array, name) for name, array in tensors.items()},
        )


def exact_thresholds(booster: lgb.Booster) -> list[list[float]]:
    """Each tree's split thresholds, by split_index: from the model text, not the dump, which holds them
    exactly (dump_model() writes +-inf as +-1e300)."""
    return [
        [float(value) for value in line.split("=")[1].split()]
        for line in booster.model_to_string().splitlines()
        if line.startswith("threshold=")
    ]


def booster_nodes(
    booster: lgb.Booster, X: str, output: str, dtype=np.float64
) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto], int]:
    """Nodes and initializers (names prefixed by `output`) computing booster.predict(X, raw_score=True) into
    `output` in `dtype` (exactly in float64), and its column count (num_tree_per_iteration)."""
    dump, thresholds = booster.dump_model(), exact_thresholds(booster)
    trees = Trees(dump["num_tree_per_iteration"])
    for tree, tree_thresholds in zip(dump["tree_info"], thresholds, strict=True):
        trees.add_tree(tree, tree_thresholds)
    if max(trees.nodes["featureids"]) >= booster.num_feature():  # model text is checked first (lightgbm_text.py)
        raise ValueError(f"a split reads a feature beyond the booster's {booster.num_feature()}")
    # LightGBM reads |x| <= kZeroThreshold (1e-35f) as 0.0 before any decision
    p = f"{output}_"
    initializers = [
        numpy_helper.from_array(np.array(np.float32(1e-35), dtype), p + "zero_threshold"),
        numpy_helper.from_array(np.array(0.0, dtype), p + "zero"),
    ]
    nodes = [
        helper.make_node("Abs", [X], [p + "abs"]),
        helper.make_node("LessOrEqual", [p + "abs", p + "zero_threshold"], [p + "is_zero"]),
        helper.make_node("Where", [p + "is_zero", p + "zero", X], [p + "lightgbm"]),
        trees.node(p + "lightgbm", output, dtype),
    ]
    return nodes, initializers, trees.n_targets


def booster_to_onnx(booster: lgb.Booster) -> onnx.ModelProto:
    """X (double, n x features) -> raw_scores (double, n x num_tree_per_iteration), as booster.predict(X,
    raw_score=True) computes them."""
    nodes, initializers, n_targets = booster_nodes(booster, "X", "raw_scores")
    graph = helper.make_graph(
        nodes,
        "lightgbm",
        [helper.make_tensor_value_info("X", TensorProto.DOUBLE, [None, booster.num_feature()])],
        [helper.make_tensor_value_info("raw_scores", TensorProto.DOUBLE, [None, n_targets])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21), helper.make_opsetid("ai.onnx.ml", 5)])
    onnx.checker.check_model(model)
    return model
