"""DB-API parameters of an ML statement, bound as DuckDB values and never spliced in as text.

An ML statement becomes several DuckDB queries (the outer query, each ML function's input, each on a cursor of
its own), so `bind` replaces each placeholder (`?`, `$n`, `$name`) with `getvariable('__sqlml_param_<n>')`, and
`Parameters.apply` sets each value with `SET VARIABLE __sqlml_param_<n> = ?` on every cursor that runs a part of
the statement: DuckDB receives the value bound, with the type Python gave it, and folds it into a constant when
it binds the query. `check_places` refuses a parameter where a statement cannot take a value at run time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlml.errors import ProgrammingError

if TYPE_CHECKING:  # every cursor holds Parameters; the parser (sqlglot) loads with the first ML statement
    import duckdb
    from sqlglot import exp

_VARIABLE = "__sqlml_param_"
_INPUTS = {"input", "second_input", "joins"}  # the parts of an ML function call that are queries
_PARTS = {"model": "MODEL name", "version": "VERSION", "values": "list of values", "params": "STRUCT parameters"}


@dataclass
class Parameters:
    """A statement's parameter values by DuckDB variable name; set on each cursor that runs part of it."""

    values: dict[str, Any] = field(default_factory=dict)

    def apply(self, cur: duckdb.DuckDBPyConnection) -> None:
        for name, value in self.values.items():
            cur.execute(f"SET VARIABLE {name} = ?", [value])

    def clear(self, cur: duckdb.DuckDBPyConnection) -> None:
        for name in self.values:
            cur.execute(f"RESET VARIABLE {name}")


def bind(sql: str, params: Sequence[Any] | Mapping[str, Any]) -> tuple[str, Parameters, list[tuple[int, int, int]]]:
    """`sql` with each `?`, `$n` or `$name` replaced by a DuckDB variable, the values of those variables, and
    the replacements made (start, end, new length) for error positions (engine/sqltext/positions.py)."""
    from sqlglot.tokens import TokenType

    from sqlml.parser import SqlmlDialect

    tokens = SqlmlDialect().tokenize(sql)
    pieces, cursor, next_position, bound, splices = [], 0, 0, Parameters(), []
    for i, token in enumerate(tokens):
        if token.token_type == TokenType.PLACEHOLDER and token.text == "?":
            key, start, end = next_position, token.start, token.end
            next_position += 1
        elif token.token_type == TokenType.PARAMETER and i + 1 < len(tokens) and tokens[i + 1].start == token.end + 1:
            name = tokens[i + 1].text
            key, start, end = (int(name) - 1 if name.isdigit() else name), token.start, tokens[i + 1].end
        else:
            continue
        try:
            value = params[key]
        except (KeyError, IndexError, TypeError):
            raise ProgrammingError(
                f"no value for parameter {sql[start : end + 1]} ({len(params)} parameter(s) given)"
            ) from None
        variable = _VARIABLE + (str(key + 1) if isinstance(key, int) else _named(key))
        bound.values[variable] = value
        reference = f"getvariable('{variable}')"
        pieces += [sql[cursor:start], reference]
        splices.append((start, end + 1, len(reference)))
        cursor = end + 1
    if not isinstance(params, Mapping) and len(bound.values) != len(params):
        raise ProgrammingError(f"the statement uses {len(bound.values)} parameter(s) but {len(params)} were given")
    return "".join(pieces) + sql[cursor:], bound, splices


def _named(name: str) -> str:
    if not name.isidentifier() or not name.isascii():
        raise ProgrammingError(f"parameter name {name!r} is not a plain name (letters, digits, _)")
    return "n_" + name


def check_places(statement: exp.Expr) -> None:
    """Refuse parameters where the statement cannot take a bound value: in a model statement (CREATE MODEL's
    query is kept with the version as its lineage and read again later), and in an ML function call's MODEL,
    VERSION, STRUCT or list of values; its input query and the query around it take parameters."""
    from sqlglot import exp

    from sqlml.parser import AlterModel, CreateModel, DescribeModel, DropModel, ExportModel, MLFunction, ShowModels

    placeholders = list(statement.find_all(exp.Placeholder))
    if not placeholders:
        return
    if isinstance(statement, (CreateModel, AlterModel, DropModel, ExportModel, DescribeModel, ShowModels)):
        kind = " ".join(type(statement).__name__.replace("Model", " MODEL").upper().split())
        hint = (
            (
                "; its query is stored with the model version (lineage, explanations, EXPORT verification) and "
                "must not depend on values given at run time: write them into the query, or bind them into "
                "CREATE TABLE ... AS and train on that table"
            )
            if isinstance(statement, CreateModel)
            else ""
        )
        raise ProgrammingError(f"{kind} takes no parameters{hint}")
    for node in placeholders:
        while node.parent is not None and not isinstance(node.parent, MLFunction):
            node = node.parent
        if node.parent is not None and node.arg_key not in _INPUTS:
            raise ProgrammingError(
                f"ML.{node.parent.function}: a parameter cannot stand in its "
                f"{_PARTS.get(node.arg_key, node.arg_key)}; parameters can be used in its "
                "input query and in the query around the call"
            )
