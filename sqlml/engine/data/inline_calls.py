"""ML.<FN>(...) in the expressions of any query: the preprocessing functions of engine/data/preprocessors.py and the
vector functions ML.DISTANCE and ML.LP_NORM, written as DuckDB SQL.

A scalar call becomes its formula; an analytic one (`ML.STANDARD_SCALER(x) OVER ()`) the same formula as in
TRANSFORM with its statistics over the query's rows, so a query and a model's TRANSFORM agree on the same rows: one
subquery on the query's FROM ... WHERE ... computes them once, or (a grouped query) window aggregates do. The call's text in the statement is replaced by that SQL (the rest of the statement is spliced
as written); its arguments are written back from the sqlglot tree, as TRANSFORM items are.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from sqlml.engine.data.preprocessors import PREPROCESSORS, norm
from sqlml.engine.data.transform import check_call, constant, constant_arguments, ml_call
from sqlml.engine.sqltext.quoting import literal
from sqlml.errors import NotSupportedError, ProgrammingError, did_you_mean
from sqlml.parser.statements import call_end

DISTANCES = ("EUCLIDEAN", "MANHATTAN", "COSINE")
VECTOR_FUNCTIONS = ("DISTANCE", "LP_NORM")


def _call(node: exp.Expr) -> tuple[str, exp.Anonymous] | None:
    """(NAME, call) when `node` is ML.<NAME>(...) of a function written here."""
    call = ml_call(node)
    return call if call and (call[0] in PREPROCESSORS or call[0] in VECTOR_FUNCTIONS) else None


def replacements(text: str, statement: exp.Expr) -> Iterator[tuple[int, int, str]]:
    """(start, end, SQL) for each outermost call in `statement` (parsed from `text`) outside an ML table function,
    whose input is planned on its own."""
    from sqlml.parser import MLFunction

    for node in statement.find_all(exp.Dot):
        _check_known(node)
        if _call(node) is None or any(_call(up) or isinstance(up, MLFunction) for up in _ancestors(node)):
            continue
        name = node.this if isinstance(node.this, exp.Identifier) else node.this.this
        start = name.meta["start"]
        yield start, call_end(text, start, isinstance(node.parent, exp.Window)), f"({_sql(node)})"


def _check_known(node: exp.Expr) -> None:
    """ProgrammingError for ML.<NAME>(...) in an expression when no such function exists."""
    call = ml_call(node)
    if call is not None and _call(node) is None:
        from sqlml.parser.bigquery_only import refuse_function  # on this error path only: `import sqlml` skips it

        refuse_function(call[0])
        known = [f"ML.{name}" for name in (*PREPROCESSORS, *VECTOR_FUNCTIONS)]
        raise ProgrammingError(
            f"unknown function ML.{call[0]} in an expression.{did_you_mean(f'ML.{call[0]}', known)} "
            f"Functions of values: {', '.join(known)}"
        )


def _ancestors(node: exp.Expr) -> Iterator[exp.Expr]:
    while node.parent is not None:
        node = node.parent
        yield node


def _sql(node: exp.Dot) -> str:
    """The DuckDB SQL of one call (its nested calls written too)."""
    function, call = _call(node)
    window = node.parent if isinstance(node.parent, exp.Window) else None
    args = [a.copy().transform(_inlined) for a in call.expressions]
    if function in VECTOR_FUNCTIONS:
        if window is not None:
            raise ProgrammingError(f"ML.{function} is a scalar function: remove OVER ()")
        return (_distance if function == "DISTANCE" else _lp_norm)([a.sql("duckdb") for a in args], call)
    spec = check_call(function, call, window)
    if spec.analytic and call.expressions[0].find(exp.Window):
        raise NotSupportedError(
            f"ML.{function} over another analytic function: DuckDB nests no window functions; compute the inner "
            "one in a subquery first"
        )
    x, values = args[0].sql("duckdb"), constant_arguments(function, call)
    if spec.struct:
        return spec.apply(x, values, {"fields": _fields(function, args[0])})
    return spec.in_query(x, values, _rows(node, args[0]))


def _rows(node: exp.Expr, argument: exp.Expr) -> str | None:
    """`FROM ... WHERE ...` of the SELECT a call is in, when a subquery on it sees the rows its OVER () sees: no
    grouping, DISTINCT or QUALIFY, no ML table function, and an argument that reads no alias of the select list."""
    from sqlml.parser import MLFunction

    select = node.find_ancestor(exp.Select)
    if (
        select is None
        or not select.args.get("from_")
        or any(select.args.get(k) for k in ("group", "having", "qualify", "distinct"))
    ):
        return None
    parts = [select.args["from_"], *(select.args.get("joins") or []), select.args.get("where")]
    parts = [p for p in parts if p is not None]
    aliases = {e.alias_or_name.lower() for e in select.expressions if isinstance(e, exp.Alias)}
    reads = {c.name.lower() for c in argument.find_all(exp.Column)}
    aggregated = any(e.find(exp.AggFunc) and not e.find(exp.Window) for e in select.expressions)
    if aggregated or reads & aliases or any(p.find(MLFunction) for p in parts):
        return None
    return " ".join(p.copy().transform(_inlined).sql("duckdb") for p in parts)


def _inlined(node: exp.Expr) -> exp.Expr:
    """A nested call as its SQL; any other node as it is."""
    target = node.this if isinstance(node, exp.Window) else node
    if _call(target) is None or (isinstance(node, exp.Dot) and isinstance(node.parent, exp.Window)):
        return node
    return exp.maybe_parse(f"({_sql(target)})", dialect="duckdb")


def _fields(function: str, argument: exp.Expr) -> list[str]:
    """The field names of a STRUCT(...) literal argument: a query knows no column's type before DuckDB binds it."""
    if not isinstance(argument, exp.Struct) or not all(
        isinstance(f, (exp.PropertyEQ, exp.Alias)) for f in argument.expressions
    ):
        raise NotSupportedError(
            f"ML.{function} in a query needs a STRUCT(value AS name, ...) literal as its first argument, "
            f"got {argument.sql('duckdb')}; in TRANSFORM any STRUCT expression is read"
        )
    return [f.alias if isinstance(f, exp.Alias) else f.name for f in argument.expressions]


def _lp_norm(args: list[str], call: exp.Anonymous) -> str:
    if len(args) != 2:
        raise ProgrammingError(f"ML.LP_NORM takes 2 arguments (vector, degree), got {len(args)}")
    degree = constant("LP_NORM", call.expressions[1])
    if isinstance(degree, bool) or not isinstance(degree, (int, float)) or not (degree == 0 or degree >= 1):
        raise ProgrammingError(f"ML.LP_NORM degree must be 0, a number >= 1 or CAST('INF' AS FLOAT64), got {degree!r}")
    return norm(args[0], float(degree))


def _distance(args: list[str], call: exp.Anonymous) -> str:
    if len(args) not in (2, 3):
        raise ProgrammingError(f"ML.DISTANCE takes 2 or 3 arguments (vector1, vector2 [, type]), got {len(args)}")
    kind = constant("DISTANCE", call.expressions[2]) if len(args) == 3 else "EUCLIDEAN"
    if not isinstance(kind, str) or kind.upper() not in DISTANCES:
        raise ProgrammingError(f"ML.DISTANCE type must be 'EUCLIDEAN', 'MANHATTAN' or 'COSINE', got {kind!r}")
    a, b = args[:2]
    pairs = f"list_zip({a}, {b})"

    def total(term: str) -> str:
        return f"coalesce(list_sum(list_transform({pairs}, lambda __p: {term})), 0.0)"

    difference = "CAST(__p[1] AS DOUBLE) - CAST(__p[2] AS DOUBLE)"
    metric = {
        "EUCLIDEAN": f"sqrt({total(f'pow({difference}, 2)')})",
        "MANHATTAN": total(f"abs({difference})"),
        "COSINE": f"1 - {total('CAST(__p[1] AS DOUBLE) * CAST(__p[2] AS DOUBLE)')} / ({norm(a, 2)} * {norm(b, 2)})",
    }[kind.upper()]
    mismatch = literal("ML.DISTANCE: vector1 and vector2 must have the same length")
    return (
        f"CASE WHEN {a} IS NULL OR {b} IS NULL THEN NULL WHEN len({a}) != len({b}) THEN error({mismatch}) "
        f"ELSE {metric} END"
    )
