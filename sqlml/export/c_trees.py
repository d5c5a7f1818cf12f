"""A TreeEnsemble node (ai.onnx.ml 5, as export/estimators.py builds it) as flat C arrays walked by one loop.

Each tree keeps only its split nodes. Per node: the feature index (with a flag bit for a category-set
split), the split, and its two children side by side: a node (>= 0) or a leaf (-leaf - 1), tree-local, in
the narrowest type that holds them. Leaves are a separate array: one value per leaf, or, when a tree appears
once per target with the same splits (a random forest's classes), one vector per leaf, the last target
dropped when every leaf's vector sums to its tree's constant (class fractions: the last is that constant
minus the others).

The walk has no branch per level but the one that leaves the tree: the side is a comparison and the child
is read at an index computed from it, so the processor does not mispredict every other level; and up to
ten trees are walked side by side, independent chains of loads it overlaps (measured on this machine, a
20-tree depth-8 forest: 777 ns a row choosing between two child arrays, 534 ns indexing one, 300 ns with
eight trees side by side and the last four one by one, 265 ns with those four side by side too, 215 ns
with two groups of ten, 250 ns with sixteen and four; emlearn's if-else code 260-280 ns). A leaf as a
negative child, rather than flag bits in the feature byte, costs a wider child type for trees of more than
127 nodes or leaves but keeps the step free of bit tests (300 against 420 ns a row).

quantize='int16': leaf values are int16 with one scale, summed in int32; and, where it takes fewer bytes than
float splits (few distinct split values, as LightGBM's binned ones), rank coding (TL2cgen's quantize idea):
each feature's split values are one sorted table, a row's features are first turned into ranks (how many
of its feature's splits are below the value, by a branchless binary search), and each node compares two
small integers, exactly as `x <= split` would. The features reaching the trees are imputed (export/features.py), so a missing
value never does; a NaN would take the false side in both forms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import helper, numpy_helper

from sqlml.export.c_values import const_array, literal

BRANCH_LEQ, BRANCH_MEMBER = 0, 6
LANES = 10  # at most this many trees walked side by side: independent chains of loads the processor overlaps
LEAF_MAX = 32767


@dataclass
class Layout:
    """The arrays of one ensemble and how to read them."""

    feature: list[int] = field(default_factory=list)  # with the category-set flag
    split: list = field(default_factory=list)  # a float split, a rank, or a category set's number
    true_child: list[int] = field(default_factory=list)  # a node n >= 0, or a leaf l as -l - 1
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
    ranks: list[np.ndarray] | None = None  # rank coding: each feature's sorted splits
    int16: bool = False  # leaves as int16 codes
    sets: list[list[int]] = field(default_factory=list)  # category sets, as bit words
    scale: float = 1.0  # int16 leaves: value = code * scale

    @property
    def member(self) -> int:
        """The flag bit of a category-set split in `feature`."""
        return 1 << self.feature_bits


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


def layout(node: onnx.NodeProto, int16: bool) -> Layout:
    """The flat arrays of a TreeEnsemble node (int16 leaves and, where it pays, ranks when `int16`)."""
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
        if all(np.allclose(s, s[0], rtol=1e-6, atol=0) for s in sums):  # fractions (float32): drop the last
            out.width, out.dropped = n_targets - 1, float(sum(s[0] for s in sums))
    features = {t[1] for tree, _ in grouped for t in _splits(tree)}
    out.n_features = max(features, default=0) + 1
    out.feature_bits = max(1, int(out.n_features - 1).bit_length())
    out.int16 = int16
    if int16:
        ranks = [
            np.unique(
                np.array([t[3] for tree, _ in grouped for t in _splits(tree) if t[1] == f and t[2] == 0], np.float32)
            )
            for f in range(out.n_features)
        ]
        nodes, distinct = sum(len(_splits(tree)) for tree, _ in grouped), sum(len(r) for r in ranks)
        width = 1 if max(map(len, ranks), default=0) <= 256 else 2
        if distinct * 4 + nodes * width + 2 * (out.n_features + 1) < nodes * 4:  # fewer bytes than float splits
            out.ranks = ranks
    for tree, vectors in grouped:
        _flatten(out, tree, vectors)
    out.node_base.append(len(out.feature))
    out.leaf_base.append(len(out.leaves))
    if int16:
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
    member = out.member
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
        out.true_child.append(0)
        out.false_child.append(0)
        is_leaf, child = visit(t[4])
        out.true_child[out.node_base[-1] + index] = -child - 1 if is_leaf else child
        is_leaf, child = visit(t[5])
        out.false_child[out.node_base[-1] + index] = -child - 1 if is_leaf else child
        return False, index

    visit(tree)


def _signed(top: int) -> str:
    return "int8_t" if top < 2**7 else "int16_t" if top < 2**15 else "int32_t"


def _unsigned(top: int) -> str:
    return "uint8_t" if top < 2**8 else "uint16_t" if top < 2**16 else "uint32_t"


def arrays(out: Layout, p: str) -> list[str]:
    """The ensemble's `static const` arrays, named <p>_feature, <p>_split, ... (see walk)."""

    def array(name, ctype, values):
        return const_array(f"{p}_{name}", ctype, values)

    local = max(abs(c) for c in [*out.true_child, *out.false_child, 0])
    decls = [
        array("feature", _unsigned(max(out.feature, default=0)), out.feature),
        array("child", _signed(local), [c for pair in zip(out.true_child, out.false_child) for c in pair]),
        array("node_base", _unsigned(out.node_base[-1]), out.node_base),
        array("leaf_base", _unsigned(out.leaf_base[-1]), out.leaf_base),
    ]
    if out.ranks is not None:
        starts = np.cumsum([0] + [len(r) for r in out.ranks])
        decls.append(array("split", _unsigned(max([*out.split, 0]) + 1), out.split))
        decls.append(array("rank_split", "float", np.concatenate(out.ranks) if starts[-1] else [0.0]))
        decls.append(array("rank_start", _unsigned(int(starts[-1]) + 1), starts))
    else:
        decls.append(array("split", "float", out.split))
    if out.int16:
        decls.append(array("leaf", "int16_t", [int(np.rint(v / out.scale)) for leaf in out.leaves for v in leaf]))
    else:
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
    member = out.member
    mask = (1 << out.feature_bits) - 1
    width = out.width
    lines = ["{"]
    if out.ranks is not None:  # lower bound of x[f] in feature f's splits, without a branch per step
        lines.append(
            f"    uint16_t rank[{out.n_features}];\n"
            f"    for (int f = 0; f < {out.n_features}; ++f) {{\n"
            f"        const float *first = {p}_rank_split + {p}_rank_start[f], *at = first;\n"
            f"        int n = {p}_rank_start[f + 1] - {p}_rank_start[f];\n"
            f"        float v = {x}[f];\n"
            "        while (n > 1) { int half = n / 2; at = at[half] < v ? at + half : at; n -= half; }\n"
            f"        rank[f] = (uint16_t)((at - first) + (n == 1 && *at < v)) ;\n"
            f"        if (v != v) rank[f] = (uint16_t)({p}_rank_start[f + 1] - {p}_rank_start[f]);\n"
            "    }"
        )
        value = "rank"
    else:
        value = x
    lines.append(f"    {'int32_t' if out.int16 else real} acc[{out.n_targets}] = {{0}};")
    compare = f"{value}[f & {mask}] <= {p}_split[n]"
    if out.sets:
        code = f"(int){x}[f & {mask}]"
        member_test = (
            f"({code} >= 0 && {code} < 32 * ({p}_set_start[s + 1] - {p}_set_start[s]) && "
            f"(({p}_set_word[{p}_set_start[s] + {code} / 32] >> ({code} % 32)) & 1u))"
        )
        compare = f"((f & {member}) ? {member_test} : {compare})"
    set_number = f" int s = (int){p}_split[n];" if out.sets else ""

    def step(c: str, b: str) -> str:  # one level down from child code c (>= 0: a node of the tree at b)
        return (
            f"{{ int n = {b} + {c}; unsigned f = {p}_feature[n];{set_number} {c} = {p}_child[2 * n + !({compare})]; }}"
        )

    def add(tree: str, c: str) -> str:  # the leaf -c - 1 of tree `tree` added to the scores
        leaf = f"({p}_leaf_base[{tree}] - {c} - 1)" + (f" * {width}" if width > 1 else "")
        if out.tree_target:
            return f"acc[{p}_target[{tree}]] += {p}_leaf[{leaf}];"
        if width == 1:
            return f"acc[0] += {p}_leaf[{leaf}];"
        return f"{{ int at = {leaf}; for (int k = 0; k < {width}; ++k) acc[k] += {p}_leaf[at + k]; }}"

    def walk_side_by_side(count: int, first: str) -> list[str]:  # trees first .. first + count - 1
        lanes = [str(j) for j in range(count)]
        return [
            "        " + " ".join(f"const int b{j} = {p}_node_base[{first} + {j}]; int c{j} = 0;" for j in lanes),
            f"        while (({' & '.join(f'c{j}' for j in lanes)}) >= 0) {{",
            *[f"            if (c{j} >= 0) {step(f'c{j}', f'b{j}')}" for j in lanes],
            "        }",
            *[f"        {add(f'{first} + {j}', f'c{j}')}" for j in lanes],
        ]

    trees = len(out.node_base) - 1
    lanes = -(-trees // -(-trees // LANES))  # groups as even as they can be
    grouped = trees - trees % lanes
    if grouped:
        lines += [f"    for (int t = 0; t < {grouped}; t += {lanes}) {{", *walk_side_by_side(lanes, "t"), "    }"]
    if grouped < trees:  # the last few trees, side by side too
        lines += ["    {", *walk_side_by_side(trees - grouped, str(grouped)), "    }"]
    scale = f" * ({real}){_real(out.scale, real)}" if out.int16 else ""
    count = width if not out.tree_target else out.n_targets
    lines.append(f"    for (int k = 0; k < {count}; ++k) {scores}[k] = ({real})acc[k]{scale};")
    if out.dropped is not None:
        lines.append(
            f"    {scores}[{out.n_targets - 1}] = ({real}){_real(out.dropped, real)};\n"
            f"    for (int k = 0; k < {width}; ++k) {scores}[{out.n_targets - 1}] -= {scores}[k];"
        )
    lines.append("}")
    return "\n".join(lines)


def _real(v: float, real: str) -> str:
    return literal(v, real)
