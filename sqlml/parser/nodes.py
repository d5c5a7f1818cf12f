"""Typed sqlglot nodes for the sqlml statements and the table-valued ML functions.

Besides their args, parsed nodes keep slices of the original statement text in ``meta``
(``query_sql``, ``query_start``, ``transform_sql``, ``input_sql``, ``input_start``, ``span``): offsets and slices refer to the
exact text that was handed to ``parse_statement``.
"""

from __future__ import annotations

import math
from decimal import Decimal

from sqlglot import exp

from sqlml.errors import ProgrammingError

_SCALARS = (exp.Literal, exp.Neg, exp.Boolean, exp.Null)
MAX_LIST_VALUES = 1_000_000  # values a list argument (ML.ROC_CURVE's thresholds) may hold


def python_value(node: exp.Expr) -> object:
    """An OPTIONS / STRUCT value as Python (str, int, float, bool, None, list, and tuple for an unnamed
    STRUCT such as class_weights' STRUCT('a', 0.5) or a parenthesized pair such as labels' ('key',
    'value')); other nodes as-is."""
    if isinstance(node, exp.Array):
        return [python_value(item) for item in node.expressions]
    if isinstance(node, (exp.Struct, exp.Tuple)):
        fields = unnamed_fields(node)
        if fields is not None and all(isinstance(e, _SCALARS) for e in fields):
            return tuple(python_value(item) for item in fields)
    if isinstance(node, _SCALARS):
        try:
            value = node.to_py()
        except ValueError:
            return node
        return float(value) if isinstance(value, Decimal) else value
    return node


def unnamed_fields(node: exp.Struct | exp.Tuple) -> list[exp.Expr] | None:
    """The fields of a STRUCT written without names, STRUCT('a', 0.5), also as the BigQuery dialect's translation
    names them ({'_0': 'a', '_1': 0.5}); None for a STRUCT whose fields have names of their own."""
    fields = []
    for position, field in enumerate(node.expressions):
        if isinstance(field, exp.PropertyEQ):
            if field.name != f"_{position}":
                return None
            field = field.expression
        fields.append(field)
    return fields


def _by_name(fields: list[tuple[str, object]], what: str) -> dict[str, object]:
    """{lower-cased name: value}; a name given twice (in any case) is a ProgrammingError, not a silent override."""
    named: dict[str, object] = {}
    for name, value in fields:
        if name.lower() in named:
            raise ProgrammingError(f"{what}: {name.lower()} is given twice")
        named[name.lower()] = value
    return named


def _table_name(table: exp.Table) -> tuple[str | None, str]:
    return table.text("db") or None, table.name


class _ModelStatement(exp.Expression):
    """A statement whose ``this`` is the model name (an ``exp.Table``)."""

    @property
    def name(self) -> tuple[str | None, str]:  # type: ignore[override]
        """``(schema or None, name)``, unquoted, as written."""
        return _table_name(self.this)


class _WithOptions(_ModelStatement):
    @property
    def options_dict(self) -> dict[str, object]:
        """Lower-cased option key -> Python value (see ``python_value``)."""
        options = self.args.get("options") or []
        return _by_name([(option.name, python_value(option.args["value"])) for option in options], "OPTIONS")


class CreateModel(_WithOptions):
    """``CREATE [OR REPLACE] MODEL [IF NOT EXISTS] name [TRANSFORM(...)] [OPTIONS(...)] [AS query]``
    (without AS only for an imported model, which the engine checks)."""

    arg_types = {
        "this": True,
        "replace": False,
        "exists": False,
        "transform": False,
        "options": False,
        "query": False,
    }

    @property
    def query_sql(self) -> str | None:
        """The exact original text of the query after AS (None without one)."""
        return self.meta_get("query_sql")

    @property
    def query_start(self) -> int | None:
        """The offset of the query after AS in the statement text."""
        return self.meta_get("query_start")

    @property
    def transform_sql(self) -> str | None:
        """The exact original text inside ``TRANSFORM( ... )``, or None."""
        return self.meta_get("transform_sql")


class AlterModel(_WithOptions):
    """``ALTER MODEL [IF EXISTS] name SET OPTIONS (description = ..., labels = [...])`` or
    ``ALTER MODEL [IF EXISTS] name SET ACTIVE VERSION n`` (a rollback, or a roll forward)."""

    arg_types = {"this": True, "exists": False, "options": False, "version": False}


class DropModel(_ModelStatement):
    """``DROP MODEL [IF EXISTS] name``."""

    arg_types = {"this": True, "exists": False}


class ShowModels(exp.Expression):
    """``SHOW MODELS``."""

    arg_types: dict[str, bool] = {}


class DescribeModel(_ModelStatement):
    """``DESCRIBE | DESC MODEL name``."""

    arg_types = {"this": True}


class ExportModel(_WithOptions):
    """``EXPORT MODEL name [OPTIONS(...)]``."""

    arg_types = {"this": True, "options": False}


class MLFunction(exp.Expression):
    """``ML.<FN>(MODEL name [VERSION n] [, TABLE t | (query)] [, values] [, STRUCT(...)]) [[AS] alias]``, or
    for a function of data alone ``ML.<FN>(TABLE t | (query) [, TABLE u | (query)] [, STRUCT(...)])``.

    ``this`` is the upper-cased function name, ``input`` (and ``second_input``) an ``exp.Table`` (TABLE t) or the
    parsed query, ``values`` a list (``GENERATE_ARRAY(start, end, step)`` or ``[v, ...]``, as ML.ROC_CURVE's
    thresholds), ``params`` an ``exp.Struct``; ``joins`` holds joins of a FROM-first query.
    """

    arg_types = {
        "this": True,
        "model": False,
        "version": False,
        "input": False,
        "second_input": False,
        "values": False,
        "params": False,
        "alias": False,
        "joins": False,
    }

    @property
    def function(self) -> str:
        return self.name.upper()

    @property
    def model_name(self) -> tuple[str | None, str]:
        """``(schema or None, name)`` of the model, unquoted, as written."""
        return _table_name(self.args["model"])

    @property
    def input_sql(self) -> str | None:
        """The exact original text of the TABLE name or of the query inside the parentheses."""
        return self.meta_get("input_sql")

    def input_start(self, second: bool = False) -> int | None:
        """The offset of the (second) input's TABLE name or query in the statement text."""
        return self.meta_get("second_input_start" if second else "input_start")

    @property
    def second_input_sql(self) -> str | None:
        """The text of a data function's second TABLE name or query (ML.VALIDATE_DATA_DRIFT's study data)."""
        return self.meta_get("second_input_sql")

    @property
    def params_dict(self) -> dict[str, object]:
        """Lower-cased STRUCT field name -> Python value (see ``python_value``); ``version`` is not one of them
        but the model version (see ``model_version``)."""
        return {name: python_value(value) for name, value in self._fields.items() if name != "version"}

    @property
    def _fields(self) -> dict[str, exp.Expr]:
        """Lower-cased STRUCT field name -> its expression (a field given twice is a ProgrammingError)."""
        params = self.args.get("params")
        return _by_name(
            [(f.name, f.expression) for f in (params.expressions if params else [])], f"ML.{self.function} STRUCT"
        )

    @property
    def model_version(self) -> int | None:
        """The version asked for: ``MODEL m VERSION n`` or ``STRUCT(n AS version)``; None for the active one."""
        fields = self._fields
        if "version" not in fields:
            return self.args.get("version")
        given = python_value(fields["version"])
        if not isinstance(given, int) or isinstance(given, bool) or given < 1:
            raise ProgrammingError(f"ML.{self.function}: version must be a version number (1, 2, ...), got {given!r}")
        if self.args.get("version") not in (None, given):
            raise ProgrammingError(
                f"ML.{self.function}: VERSION {self.args['version']} and STRUCT({given} AS version) disagree"
            )
        return given

    @property
    def values_list(self) -> list[float] | None:
        """The list argument as numbers: GENERATE_ARRAY(start, end, step) (end included when reached, as
        BigQuery's) or [v, ...]; None without one. ProgrammingError for anything but number literals."""
        values = self.args.get("values")
        if values is None:
            return None
        numbers = [python_value(v) for v in values.expressions]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers):
            raise ProgrammingError(
                f"ML.{self.function}: the list of values must hold number literals, got {values.sql()}"
            )
        if isinstance(values, exp.Array):
            count = len(numbers)
        elif len(numbers) != 3 or numbers[2] == 0:
            raise ProgrammingError(
                f"ML.{self.function}: GENERATE_ARRAY takes (start, end, step) with a step "
                f"other than 0, got {values.sql()}"
            )
        else:  # counted before the list is made: a tiny step must not exhaust memory
            steps = (numbers[1] - numbers[0]) / numbers[2]
            count = max(math.floor(steps + 1e-9) + 1, 0) if math.isfinite(steps) else None  # None: uncountable
        if count is None or count > MAX_LIST_VALUES:
            held = "more values than can be counted" if count is None else f"{count:,} values"
            raise ProgrammingError(
                f"ML.{self.function}: {values.sql()} holds {held}; at most {MAX_LIST_VALUES:,} "
                "are allowed (use a larger step)"
            )
        if isinstance(values, exp.Array):
            return [float(v) for v in numbers]
        start, step = numbers[0], numbers[2]
        return [start + i * step for i in range(count)]

    @property
    def span(self) -> tuple[int, int]:
        """``(start, end)`` offsets of ``ML`` .. closing ``)`` (alias excluded), end exclusive."""
        return self.meta_get("span")
