"""CREATE MODEL ... TRANSFORM(select_list): preprocessing that belongs to the model.

Each TRANSFORM item is a DuckDB scalar expression over the training query's columns (`*` and
`* EXCLUDE (...)` pass columns through), named by its alias or its column. It may call the BigQuery ML
preprocessing functions of engine/data/preprocessors.py: the analytic ones (`ML.STANDARD_SCALER(x) OVER ()`) are
fitted on the training split and replaced by SQL holding their statistics as literals. The fitted items are
stored with the version; at prediction DuckDB computes them from the raw columns they read, so a row
predicted alone gets exactly the features it gets in a batch. The label, when TRANSFORM outputs it, is
computed first (it may not use analytic functions), so NULL labels and the split are known before fitting.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import duckdb
import pyarrow as pa
from sqlglot import exp

from sqlml.engine.data.features import ColumnIndex
from sqlml.engine.data.preprocessors import Preprocessor, arguments, check_statistics, preprocessor
from sqlml.engine.sqltext.quoting import quote_identifier
from sqlml.engine.store import catalog
from sqlml.errors import NotSupportedError, ProgrammingError

_INTERNAL = "__sqlml_t_"  # prefix of the columns holding TRANSFORM outputs next to the raw input (reserved)


@contextmanager
def registered(cur: duckdb.DuckDBPyConnection, table: pa.Table) -> Iterator[str]:
    """`table` visible to SQL on `cur` under a private name while the block runs."""
    name = f"__sqlml_rows_{id(table)}"
    cur.register(name, table)
    try:
        yield name
    finally:
        cur.unregister(name)


class TrainingRows:
    """What a preprocessor's fit may ask of the training rows: an aggregate's value (calling it), or the
    fields of a STRUCT expression."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, rows: str):
        self.cur, self.rows = cur, rows

    def __call__(self, aggregate: str):
        return catalog.query(self.cur, f"SELECT {aggregate} FROM {self.rows} AS __sqlml_rows")[0][0]

    def type(self, expression: str):
        """The DuckDB type of an expression over the training rows."""
        return self.cur.sql(f"SELECT {expression} FROM {self.rows} AS __sqlml_rows LIMIT 0").types[0]

    def fields(self, expression: str) -> list[str]:
        kind = self.type(expression)
        if kind.id != "struct":
            raise ProgrammingError(
                f"expected a STRUCT, e.g. STRUCT_PACK(a := x, b := y), got {expression} of type {kind}"
            )
        return [name for name, _ in kind.children]


def ml_call(node: exp.Expr) -> tuple[str, exp.Anonymous] | None:
    """(NAME, call) when `node` is ML.<NAME>(...)."""
    if (
        isinstance(node, exp.Dot)
        and isinstance(node.this, (exp.Identifier, exp.Column))
        and node.this.name.upper() == "ML"
        and isinstance(node.expression, exp.Anonymous)
    ):
        return node.expression.name.upper(), node.expression
    return None


def constant(name: str, node: exp.Expr):
    """A constant argument's Python value."""
    if isinstance(node, exp.Literal):
        return node.this if node.is_string else (int(node.this) if node.is_int else float(node.this))
    if isinstance(node, exp.Boolean):
        return node.this
    if isinstance(node, exp.Column) and not node.table and node.this.quoted:
        return node.name  # BigQuery's "text" (a constant here, never a column: as OPTIONS reads it)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return -constant(name, node.this)
    if isinstance(node, exp.Array):
        return [constant(name, item) for item in node.expressions]
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string:
        with suppress(ValueError):
            return float(node.this.this)  # CAST('+inf' AS FLOAT64)
    raise ProgrammingError(f"ML.{name}: arguments after the first must be constants, got {node.sql('duckdb')}")


def _check_calls(name: str, expression: exp.Expr, may_fit: bool) -> None:
    """Every ML.<FN> call in an item is known, has valid constant arguments and OVER() exactly when
    it is analytic (and analytic calls only where `may_fit`)."""
    for node in expression.walk():
        call = ml_call(node)
        if call is None:
            rowwise = not (
                isinstance(node, (exp.AggFunc, exp.Rand))
                or (isinstance(node, exp.Window) and ml_call(node.this) is None)
            )
            if not rowwise:
                raise ProgrammingError(
                    f"TRANSFORM output '{name}' uses {node.sql('duckdb')}: TRANSFORM computes each "
                    "row from that row alone (so a row predicted alone gets its batch "
                    "prediction); use the ML.* analytic functions for statistics"
                )
            continue
        function, anonymous = call
        spec = check_call(function, anonymous, node.parent if isinstance(node.parent, exp.Window) else None)
        if spec.analytic and not may_fit:
            raise ProgrammingError(
                f"the label '{name}' cannot use the analytic function ML.{function}: its "
                "statistics would depend on the split it decides"
            )


def check_call(function: str, call: exp.Anonymous, window: exp.Window | None) -> Preprocessor:
    """ML.<function>(...) [OVER ()]: known, with valid constant arguments, and OVER () exactly when it is analytic."""
    spec = preprocessor(function)
    if not call.expressions:
        raise ProgrammingError(f"ML.{function} needs an expression to transform")
    arguments(function, [constant(function, a) for a in call.expressions[1:]])
    if spec.analytic and window is None:
        raise ProgrammingError(f"ML.{function} is an analytic function: write ML.{function}(...) OVER ()")
    if not spec.analytic and window is not None:
        raise ProgrammingError(f"ML.{function} is a scalar function: remove OVER ()")
    if window is not None and any(window.args.get(k) for k in ("partition_by", "order", "spec")):
        raise NotSupportedError(f"ML.{function}: only an empty OVER () is supported")
    return spec


def constant_arguments(function: str, call: exp.Anonymous) -> list:
    """The checked constant arguments of ML.<function>(x, ...), defaults filled in."""
    return arguments(function, [constant(function, a) for a in call.expressions[1:]])


def _reads(expression: exp.Expr) -> list[str]:
    """The query columns an item reads (`s.a` reads column s: TRANSFORM has no tables, only STRUCT fields); an ML
    call's constant arguments read none (a double-quoted one is a string)."""
    constants = {
        id(column)
        for node in expression.walk()
        if (call := ml_call(node))
        for argument in call[1].expressions[1:]
        for column in argument.find_all(exp.Column)
    }
    columns = (column for column in expression.find_all(exp.Column) if id(column) not in constants)
    return sorted({column.parts[0].name for column in columns}, key=str.lower)


def parse_items(
    items: list[exp.Expr], columns: list[str], label: str | None, never: tuple[str | None, ...] = ()
) -> list[tuple[str, exp.Expr]]:
    """(output name, expression) per TRANSFORM output, checked against the query's `columns`; `*` leaves
    out the columns that are `never` features (data_split_col, kmeans_init_col)."""
    named: list[tuple[str, exp.Expr]] = []
    for position, item in enumerate(items, 1):
        if isinstance(item, exp.Star):
            excluded = {c.name.lower() for c in item.args.get("except_") or []} | {n.lower() for n in never if n}
            named += [(c, exp.column(c, quoted=True)) for c in columns if c.lower() not in excluded]
            continue
        expression = item.this if isinstance(item, exp.Alias) else item
        if isinstance(item, exp.Alias):
            name = item.alias
        elif isinstance(item, exp.Column):
            name = item.name
        else:
            raise ProgrammingError(f"TRANSFORM item {position} ({item.sql('duckdb')}) needs a name: add AS <name>")
        named.append((name, expression))
    seen: dict[str, str] = {}
    index = ColumnIndex(columns)
    for name, expression in named:
        if name.lower() in seen:
            raise ProgrammingError(f"TRANSFORM outputs two columns named '{name}'; give them distinct names")
        seen[name.lower()] = name
        for column in _reads(expression):
            if index.find(column) is None:
                raise ProgrammingError(
                    f"TRANSFORM output '{name}' reads column '{column}', which the training "
                    f"query does not have; its columns: {', '.join(columns)}"
                )
        _check_calls(name, expression, may_fit=label is None or name.lower() != label.lower())
    if label is not None and label.lower() not in seen:
        raise ProgrammingError(f"TRANSFORM must output the label column '{label}' (e.g. add {label} to its list)")
    return named


def _select(outputs: list[tuple[str, str]], source: str) -> str:
    return f"SELECT {', '.join(f'{sql} AS {quote_identifier(name)}' for name, sql in outputs)} FROM {source}"


def label_output(named: list[tuple[str, exp.Expr]], label: str) -> tuple[str, str]:
    """(name, SQL) of the label among parsed TRANSFORM items."""
    return next((n, e.sql("duckdb")) for n, e in named if n.lower() == label.lower())


def label_values(cur: duckdb.DuckDBPyConnection, table: pa.Table, name: str, sql: str) -> pa.Table:
    """`table` with a TRANSFORM's label output (`sql`) as column `name` (replacing a raw column of that name)."""
    with registered(cur, table) as rows:
        values = cur.sql(_select([(name, sql)], rows)).to_arrow_table().column(0)
    kept = [c for c in table.column_names if c.lower() != name.lower()]
    return table.select(kept).append_column(name, values)


@contextmanager
def _relation(cur: duckdb.DuckDBPyConnection, rows: pa.Table | str) -> Iterator[str]:
    """Rows given as an Arrow table (registered while the block runs) or as a query, as a relation for FROM."""
    if isinstance(rows, str):
        yield f"({rows})"
        return
    with registered(cur, rows) as name:
        yield name


def fit(
    cur: duckdb.DuckDBPyConnection, named: list[tuple[str, exp.Expr]], train: pa.Table | str, label: str | None
) -> Transform:
    """Fit every analytic call on the training rows `train` (an Arrow table, or a query DuckDB runs on `cur`,
    e.g. over staged Parquet files); the TRANSFORM as stored with the version."""
    outputs = []
    with _relation(cur, train) as rows:
        query = TrainingRows(cur, rows)

        def fitted_call(node: exp.Expr) -> tuple[str, dict] | None:
            """An ML.<FN>(...) [OVER ()] call: its SQL with its statistics, and the call as data (function,
            input: a nested call or {"sql": ...}, arguments, statistics); None for any other node."""
            call = ml_call(node.this if isinstance(node, exp.Window) else node)
            if call is None:
                return None
            function, anonymous = call
            spec = preprocessor(function)
            argument = anonymous.expressions[0]
            nested = fitted_call(argument)  # nested calls fitted first
            x = nested[0] if nested else argument.copy().transform(fitted).sql("duckdb")
            args = constant_arguments(function, anonymous)
            stats = check_statistics(function, spec.fit(query, x, args))
            return (
                f"({spec.apply(x, args, stats)})",
                {"function": function, "input": nested[1] if nested else {"sql": x}, "args": args, "stats": stats},
            )

        def fitted(node: exp.Expr) -> exp.Expr:
            """An ML.<FN>(...) [OVER ()] call as plain SQL with its statistics; any other node as it is."""
            if isinstance(node, exp.Dot) and isinstance(node.parent, exp.Window):
                return node
            done = fitted_call(node)
            return node if done is None else exp.maybe_parse(done[0], dialect="duckdb")

        for name, expression in named:
            whole = fitted_call(expression)  # an output that is one ML call keeps it as data too (for export)
            fitted_expression = (
                exp.maybe_parse(whole[0], dialect="duckdb") if whole else expression.copy().transform(fitted)
            )
            outputs.append(
                {
                    "name": name,
                    "sql": fitted_expression.sql("duckdb"),
                    "reads": _reads(expression),
                    **({"call": whole[1]} if whole else {}),
                }
            )
    return Transform(outputs, label)


@dataclass
class Transform:
    """A fitted TRANSFORM: its outputs (name, SQL over the raw columns, the raw columns it reads)."""

    outputs: list[dict]
    label: str | None

    @classmethod
    def load(cls, state: dict | None) -> Transform | None:
        return None if state is None else cls(state["outputs"], state["label"])

    def state(self) -> dict:
        return {"outputs": self.outputs, "label": self.label}

    @property
    def features(self) -> list[dict]:
        return [o for o in self.outputs if self.label is None or o["name"].lower() != self.label.lower()]

    @property
    def _label(self) -> dict | None:
        """The output computing the label, if TRANSFORM has one."""
        return next((o for o in self.outputs if o not in self.features), None)

    def label_output(self) -> tuple[str, str] | None:
        """(name, SQL) of the label output, if TRANSFORM computes the label."""
        return self._label and (self._label["name"], self._label["sql"])

    def apply(self, cur: duckdb.DuckDBPyConnection, table: pa.Table) -> pa.Table:
        """The feature outputs computed for the raw rows of `table` (which must hold what they read)."""
        self.require(self.features, table.column_names)
        with registered(cur, table) as rows:
            return cur.sql(_select([(o["name"], o["sql"]) for o in self.features], rows)).to_arrow_table()

    def require(self, outputs: list[dict], columns: list[str] | None) -> None:
        """ProgrammingError unless `columns` hold every raw column `outputs` read."""
        if columns is None:  # not known before running (an input that itself calls ML functions)
            return
        index = ColumnIndex(columns)
        missing = sorted({c for o in outputs for c in o["reads"] if index.find(c) is None}, key=str.lower)
        if missing:
            raise ProgrammingError(
                f"input is missing column(s) {', '.join(map(repr, missing))} that the model's "
                f"TRANSFORM reads; input columns: {', '.join(columns)}"
            )

    def select(self, input_sql: str, columns: list[str] | None) -> str:
        """ML.TRANSFORM: the outputs for the rows of `input_sql` (the label too when the input has what
        it reads)."""
        label = self._label
        with_label = label is not None and columns is not None and all(map(ColumnIndex(columns).find, label["reads"]))
        outputs = self.outputs if with_label else self.features
        self.require(outputs, columns)
        return _select([(o["name"], o["sql"]) for o in outputs], f"({input_sql}) AS __sqlml_raw")

    def internal(self, name: str) -> str:
        return _INTERNAL + name

    def wrap(self, input_sql: str, columns: list[str] | None, with_label: bool = False) -> str:
        """`input_sql` plus each feature output (and the label, with_label) in an internal column."""
        outputs = self.outputs if with_label else self.features
        self.require(outputs, columns)
        computed = ", ".join(f"{o['sql']} AS {quote_identifier(self.internal(o['name']))}" for o in outputs)
        return f"SELECT *, {computed} FROM ({input_sql}) AS __sqlml_raw"

    def internal_columns(self) -> list[str]:
        """The columns wrap() adds (without the label)."""
        return [self.internal(o["name"]) for o in self.features]

    def check_names(self, names: list[str]) -> None:
        """ProgrammingError if a column of a wrap() result (`names`) other than wrap()'s own starts with the
        internal prefix: the input had such a column, which the internal columns would be confused with (as a
        second column of the same name, or one DuckDB renamed)."""
        ours = {self.internal(o["name"]) for o in self.outputs}
        prefixed = Counter(name for name in names if name.lower().startswith(_INTERNAL))
        taken = sorted(name for name, count in prefixed.items() if name not in ours or count > 1)
        if taken:
            raise ProgrammingError(
                f"the input has column(s) {', '.join(taken)}: names starting with {_INTERNAL} "
                "are reserved for the outputs of a model's TRANSFORM; rename them"
            )
