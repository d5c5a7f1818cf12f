"""A TreeEnsemble node (ai.onnx.ml 5, as export/estimators.py builds it) as flat C arrays walked by one loop.

Each tree keeps only its split nodes, in preorder with the true (x <= split) side first, so a split's true
child, when it is a split too, is the next node. Per node: the feature index with three flag bits (true
side is a leaf, false side is a leaf, a category-set split), the split, the true side's leaf (when it is one)
and the false side's node or leaf, tree-local, in the narrowest unsigned type that holds them. Leaves are a
separate array: one value per leaf, or, when a tree appears once per target with the same splits (a random
forest's classes), one vector per leaf, the last target dropped when every leaf's vector sums to its tree's
constant (class fractions: the last is that constant minus the others).

quantize='int16' (rank coding, TL2cgen's idea): each feature's split values are one sorted table; a row's
features are first turned into ranks (how many of its feature's splits are below the value, by binary
search), so each node compares two small integers, exactly as `x <= split` would; leaf values are int16 with
one scale, summed in int32. The features reaching the trees are imputed (export/features.py), so a missing
value never does; a NaN would take the false side in both forms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import helper, numpy_helper

BRANCH_LEQ, BRANCH_MEMBER = 0, 6
LEAF_MAX = 32767


@dataclass
class Layout:
    """The arrays of one ensemble and how to read them."""

    feature: list[int] = field(default_factory=list)  # with the flag bits
    split: list = field(default_factory=list)  # a float split, a rank, or a category set's number
    true_leaf: list[int] = field(default_factory=list)
    false_child: list[int] = field(default_factory=list)
    node_base: list[int] = field(default_factory=list)  # per tree, and the end
    leaf_base: list[int] = field(default_factory=list)
    leaves: list[list[float]] = field(default_factory=list)  # per leaf, `width` values
    tree_target: list[int] = field(default_factory=list)  # per tree when each tree scores one target
    n_targets: int = 1
    width: int = 1  # values per leaf
    dropped: float | None = None  # the last target's total, when it is dropped from the leaves
    feature_bits: int = 1
    n_features: int = 1
    ranks: list[np.ndarray] | None = None  # int16: each feature's sorted splits
    sets: list[list[int]] = field(default_factory=list)  # category sets, as bit words
    scale: float = 1.0  # int16 leaves: value = code * scale

    @property
    def flags(self) -> tuple[int, int, int]:
        b = self.feature_bits
        return 1 << b, 1 << (b + 1), 1 << (b + 2)


def _attributes(node: onnx.NodeProto) -> dict:
    attrs = {}
    for a in node.attribute:
        value = helper.get_attribute_value(a)
        attrs[a.name] = numpy_helper.to_array(value) if isinstance(value, onnx.TensorProto) else value
    return attrs


def _trees(attrs: dict) -> list[tuple]:
    """Each tree as nested tuples: ("split", feature, mode, split or set, true, false) and ("leaf", target, w)."""
    members, sets = list(np.asarray(attrs.get("membership_values", []), np.float64)), []
    current: list[int] = []
    for v in members:  # the category sets of the MEMBER nodes, in node order, each ended by NaN
        if np.isnan(v):
            sets.append(tuple(sorted(current)))
            current = []
        else:
            current.append(int(v))
    set_of, k = {}, 0
    for i, mode in enumerate(np.asarray(attrs["nodes_modes"])):
        if mode == BRANCH_MEMBER:
            set_of[i], k = sets[k], k + 1
    splits, modes = np.asarray(attrs["nodes_splits"]), np.asarray(attrs["nodes_modes"])
    targets, weights = attrs["leaf_targetids"], np.asarray(attrs["leaf_weights"], np.float64)

    def side(i: int, which: str):
        child, leaf = attrs[f"nodes_{which}nodeids"][i], attrs[f"nodes_{which}leafs"][i]
        return ("leaf", int(targets[child]), float(weights[child])) if leaf else build(child)

    def build(i: int):
        mode = int(modes[i])
        if mode not in (BRANCH_LEQ, BRANCH_MEMBER):
            raise NotImplementedError(f"tree split mode {mode}")
        value = set_of[i] if mode == BRANCH_MEMBER else np.float32(splits[i])
        return ("split", int(attrs["nodes_featureids"][i]), mode, value, side(i, "true"), side(i, "false"))

    return [build(root) for root in attrs["tree_roots"]]


def _shape(tree: tuple) -> tuple:
    return ("leaf",) if tree[0] == "leaf" else tree[:4] + (_shape(tree[4]), _shape(tree[5]))


def _grouped(trees: list[tuple], n_targets: int) -> list[tuple[tuple, list[list[float]]]] | None:
    """Trees that appear once per target with the same splits, as (tree, per leaf the vector of targets); None
    when they do not."""
    if n_targets == 1 or len(trees) % n_targets:
        return None
    groups = []
    for g in range(0, len(trees), n_targets):
        members = trees[g : g + n_targets]
        if len({_shape(t) for t in members}) != 1:
            return None
        leaves = [_leaf_list(t) for t in members]
        if [leaf[0][1] for leaf in leaves] != list(range(n_targets)):
            return None
        groups.append((members[0], [[leaves[k][j][2] for k in range(n_targets)] for j in range(len(leaves[0]))]))
    return groups


def _leaf_list(tree: tuple) -> list[tuple]:
    out: list[tuple] = []
    pending = [tree]
    while pending:
        t = pending.pop()
        if t[0] == "leaf":
            out.append(t)
        else:
            pending += [t[5], t[4]]
    return out


def layout(node: onnx.NodeProto, ranked: bool) -> Layout:
    """The flat arrays of a TreeEnsemble node (int16 ranks and leaves when `ranked`)."""
    attrs = _attributes(node)
    if attrs.get("aggregate_function", 1) != 1 or attrs.get("post_transform", 0) != 0:
        raise NotImplementedError("tree ensembles that do not sum their leaves")
    trees, n_targets = _trees(attrs), int(attrs.get("n_targets", 1))
    grouped = _grouped(trees, n_targets)
    out = Layout(n_targets=n_targets)
    if grouped is None:
        grouped = [(t, [[leaf[2]] for leaf in _leaf_list(t)]) for t in trees]
        out.tree_target = [_leaf_list(t)[0][1] for t in trees] if n_targets > 1 else []
        if any({leaf[1] for leaf in _leaf_list(t)} != {target} for t, target in zip(trees, out.tree_target)):
            raise NotImplementedError("trees scoring several targets")
        out.width = 1
    else:
        out.width = n_targets
        sums = [np.sum(vectors, axis=1) for _, vectors in grouped]
        if all(np.allclose(s, s[0], rtol=0, atol=1e-12) for s in sums):  # fractions: drop the last target
            out.width, out.dropped = n_targets - 1, float(sum(s[0] for s in sums))
    features = {t[1] for tree, _ in grouped for t in _splits(tree)}
    out.n_features = max(features, default=0) + 1
    out.feature_bits = max(1, int(out.n_features - 1).bit_length())
    if ranked:
        out.ranks = [
            np.unique(
                np.array([t[3] for tree, _ in grouped for t in _splits(tree) if t[1] == f and t[2] == 0], np.float32)
            )
            for f in range(out.n_features)
        ]
    for tree, vectors in grouped:
        _flatten(out, tree, vectors)
    out.node_base.append(len(out.feature))
    out.leaf_base.append(len(out.leaves))
    if ranked:
        top = max((abs(v) for leaf in out.leaves for v in leaf), default=0.0) or 1.0
        out.scale = top / LEAF_MAX
    return out


def _splits(tree: tuple) -> list[tuple]:
    out, pending = [], [tree]
    while pending:
        t = pending.pop()
        if t[0] == "split":
            out.append(t)
            pending += [t[4], t[5]]
    return out


def _flatten(out: Layout, tree: tuple, vectors: list[list[float]]) -> None:
    """Append one tree's split nodes (preorder, true side first) and its leaves (in _leaf_list's order)."""
    out.node_base.append(len(out.feature))
    out.leaf_base.append(len(out.leaves))
    true_leaf, false_leaf, member = out.flags
    leaf_number = iter(range(len(vectors)))
    width = out.width
    for vector in vectors:
        out.leaves.append(list(vector[:width]))

    def visit(t) -> tuple[bool, int]:
        if t[0] == "leaf":
            return True, next(leaf_number)
        index = len(out.feature) - out.node_base[-1]
        out.feature.append(t[1] | (member if t[2] == BRANCH_MEMBER else 0))
        if t[2] == BRANCH_MEMBER:
            out.sets.append(list(t[3]))
            out.split.append(len(out.sets) - 1)
        elif out.ranks is not None:
            out.split.append(int(np.searchsorted(out.ranks[t[1]], t[3])))
        else:
            out.split.append(float(t[3]))
        out.true_leaf.append(0)
        out.false_child.append(0)
        is_leaf, child = visit(t[4])
        if is_leaf:
            out.feature[out.node_base[-1] + index] |= true_leaf
            out.true_leaf[out.node_base[-1] + index] = child
        is_leaf, child = visit(t[5])
        out.feature[out.node_base[-1] + index] |= false_leaf if is_leaf else 0
        out.false_child[out.node_base[-1] + index] = child
        return False, index

    visit(tree)


def _unsigned(top: int) -> str:
    return "uint8_t" if top < 2**8 else "uint16_t" if top < 2**16 else "uint32_t"


def arrays(out: Layout, p: str) -> list[str]:
    """The ensemble's `static const` arrays, named <p>_feature, <p>_split, ... (see walk)."""
    from sqlml.export.c_source import literal

    def array(name, ctype, values):
        items = [literal(v, ctype) for v in values] or ["0"]
        rows = [", ".join(items[i : i + 12]) for i in range(0, len(items), 12)]
        return f"static const {ctype} {p}_{name}[{len(items)}] = {{\n    " + ",\n    ".join(rows) + "\n};"

    local = max([*out.true_leaf, *out.false_child, 0]) + 1
    decls = [
        array("feature", _unsigned(max(out.feature, default=0)), out.feature),
        array("true_leaf", _unsigned(local), out.true_leaf),
        array("false_child", _unsigned(local), out.false_child),
        array("node_base", _unsigned(out.node_base[-1]), out.node_base),
        array("leaf_base", _unsigned(out.leaf_base[-1]), out.leaf_base),
    ]
    if out.ranks is not None:
        starts = np.cumsum([0] + [len(r) for r in out.ranks])
        decls.append(array("split", _unsigned(max([*out.split, 0]) + 1), out.split))
        decls.append(array("rank_split", "float", np.concatenate(out.ranks) if starts[-1] else [0.0]))
        decls.append(array("rank_start", _unsigned(int(starts[-1]) + 1), starts))
        leaves = [int(np.rint(v / out.scale)) for leaf in out.leaves for v in leaf]
        decls.append(array("leaf", "int16_t", leaves))
    else:
        decls.append(array("split", "float" if not out.sets else "float", out.split))
        decls.append(array("leaf", "float", [v for leaf in out.leaves for v in leaf]))
    if out.tree_target:
        decls.append(array("target", _unsigned(out.n_targets), out.tree_target))
    if out.sets:
        words = [
            [sum(1 << (c % 32) for c in s if c // 32 == w) for w in range(max(s, default=0) // 32 + 1)]
            for s in out.sets
        ]
        starts = np.cumsum([0] + [len(w) for w in words])
        decls.append(array("set_word", "uint32_t", [w for ws in words for w in ws]))
        decls.append(array("set_start", _unsigned(int(starts[-1]) + 1), starts))
    return decls


def walk(out: Layout, p: str, x: str, scores: str, real: str) -> str:
    """C statements summing the trees' leaves for the feature row `x` into `scores` (n_targets values)."""
    true_leaf, false_leaf, member = out.flags
    mask = (1 << out.feature_bits) - 1
    ranked = out.ranks is not None
    acc_type = "int32_t" if ranked else real
    width = out.width
    lines = ["{"]
    if ranked:
        lines.append(
            f"    uint16_t rank[{out.n_features}];\n"
            f"    for (int f = 0; f < {out.n_features}; ++f) {{\n"
            f"        int lo = {p}_rank_start[f], hi = {p}_rank_start[f + 1];\n"
            f"        if ({x}[f] != {x}[f]) {{ rank[f] = (uint16_t)(hi - lo); continue; }}\n"
            f"        {{ int base = lo; while (lo < hi) {{ int mid = lo + (hi - lo) / 2; "
            f"if ({p}_rank_split[mid] < {x}[f]) lo = mid + 1; else hi = mid; }} rank[f] = (uint16_t)(lo - base); }}\n"
            "    }"
        )
    lines.append(f"    {acc_type} acc[{out.n_targets}] = {{0}};")
    compare = f"rank[f & {mask}] <= {p}_split[n]" if ranked else f"{x}[f & {mask}] <= {p}_split[n]"
    if out.sets:
        code = f"(int){x}[f & {mask}]"
        member_test = (
            f"({code} >= 0 && {code} < 32 * ({p}_set_start[s + 1] - {p}_set_start[s]) && "
            f"(({p}_set_word[{p}_set_start[s] + {code} / 32] >> ({code} % 32)) & 1u))"
        )
        compare = f"((f & {member}) ? {member_test} : {compare})"
    set_number = f" int s = (int){p}_split[n];" if out.sets else ""
    lines.append(
        f"    for (int t = 0; t < {len(out.node_base) - 1}; ++t) {{\n"
        f"        int n = {p}_node_base[t], leaf;\n"
        "        for (;;) {\n"
        f"            unsigned f = {p}_feature[n];{set_number}\n"
        f"            if ({compare}) {{\n"
        f"                if (f & {true_leaf}u) {{ leaf = {p}_true_leaf[n]; break; }}\n"
        "                ++n;\n"
        "            } else {\n"
        f"                if (f & {false_leaf}u) {{ leaf = {p}_false_child[n]; break; }}\n"
        f"                n = {p}_node_base[t] + {p}_false_child[n];\n"
        "            }\n"
        "        }\n"
        f"        leaf = ({p}_leaf_base[t] + leaf) * {width};"
    )
    if out.tree_target:
        lines.append(f"        acc[{p}_target[t]] += {p}_leaf[leaf];")
    else:
        lines.append(f"        for (int k = 0; k < {width}; ++k) acc[k] += {p}_leaf[leaf + k];")
    lines.append("    }")
    scale = f" * ({real}){_real(out.scale, real)}" if ranked else ""
    lines.append(
        f"    for (int k = 0; k < {width if not out.tree_target else out.n_targets}; ++k) "
        f"{scores}[k] = ({real})acc[k]{scale};"
    )
    if out.dropped is not None:
        lines.append(
            f"    {scores}[{out.n_targets - 1}] = ({real}){_real(out.dropped, real)};\n"
            f"    for (int k = 0; k < {width}; ++k) {scores}[{out.n_targets - 1}] -= {scores}[k];"
        )
    lines.append("}")
    return "\n".join(lines)


def _real(v: float, real: str) -> str:
    from sqlml.export.c_source import literal

    return literal(v, real)
