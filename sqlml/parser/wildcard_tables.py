"""BigQuery's wildcard tables: `` `dataset.prefix*` `` read as the UNION ALL of the tables it matches.

https://cloud.google.com/bigquery/docs/querying-wildcard-tables: the wildcard matches every table of the dataset
whose name is the prefix and one or more characters more; each row has the pseudocolumn `_TABLE_SUFFIX`, the
part of its table's name the `*` matched (not part of `SELECT *`); the columns are those of the newest matching
table, NULL in the rows of a table without one; a column of another type in another table, or a view among the
matches, is an error. DuckDB records no creation time: sqlml takes the last matching table in name order (the
newest, for tables sharded by date).

The parser reads no database: `expand` gets the matching tables from a `Tables` callback the engine gives.
DuckDB's optimizer then scans only the tables a constant filter on `_TABLE_SUFFIX` keeps.
"""

from __future__ import annotations

import functools
import typing as t
from dataclasses import dataclass

from sqlglot import exp

from sqlml.errors import ProgrammingError
from sqlml.parser.nodes import MLFunction

SUFFIX = "_TABLE_SUFFIX"
_PATH = ("this", "db", "catalog", "version")  # what each matched table is read as: its name, FOR SYSTEM_TIME AS OF


@dataclass(frozen=True)
class Shard:
    """A table (or a view) a wildcard matches: its name, its (column, type) pairs in order."""

    name: str
    columns: tuple[tuple[str, str], ...]
    view: bool = False


# (catalog, schema, prefix) -> the tables and views of that schema whose name starts with the prefix and is longer,
# in name order; '' for a catalog or schema the name leaves out (the current one)
Tables = t.Callable[[str, str, str], t.Sequence[Shard]]


def is_wildcard(table: exp.Table) -> bool:
    """A table read in FROM, a JOIN or as an ML function's TABLE input, whose name ends with `*`."""
    read = isinstance(table.parent, (exp.From, exp.Join)) or (
        isinstance(table.parent, MLFunction) and table.arg_key in ("input", "second_input")
    )
    return read and table.name.endswith("*")


def expand(tree: exp.Expr, tables: Tables | None) -> None:
    """Replace each wildcard table of `tree` (in place) by the union of the tables it matches."""
    for table in [table for table in tree.find_all(exp.Table) if is_wildcard(table)]:
        if tables is None:
            raise ProgrammingError(f"the wildcard table `{_written(table)}` needs a database to list its tables")
        if isinstance(table.parent, (exp.From, exp.Join)):
            _replace(table, tables)
        else:  # ML.<FN>(MODEL m, TABLE `ds.prefix*`): SELECT * of the wildcard table
            query = exp.select(exp.Star()).from_(table.copy())
            _replace(query.args["from_"].this, tables)
            table.replace(query)


def _written(table: exp.Table) -> str:
    return ".".join(part.name for part in table.parts)


def _replace(table: exp.Table, tables: Tables) -> None:
    """The wildcard as `(SELECT *, '<suffix>' AS _TABLE_SUFFIX FROM <table> UNION ALL ...) AS <its alias>`;
    `*` and `<alias>.*` of the query reading it leave _TABLE_SUFFIX out."""
    shards = _matching(table, tables)
    columns = shards[-1].columns
    branches = [_branch(table, shard, columns, shards[-1].name) for shard in shards]
    union = functools.reduce(lambda left, right: exp.Union(this=left, expression=right, distinct=False), branches)
    alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(table.name, quoted=True))
    query = table.parent.parent
    table.replace(exp.Subquery(this=union, **{**_clauses(table), "alias": alias.copy()}))
    if isinstance(query, exp.Select):
        _star_without_suffix(query, alias.name)


def _clauses(table: exp.Table) -> dict[str, exp.Expr]:
    """What the wildcard table is read with (its alias, TABLESAMPLE), for the union in its place."""
    clauses = {key: value for key, value in table.args.items() if value and key not in _PATH}
    refused = sorted(set(clauses) - {"alias", "sample"})
    if refused:  # PIVOT, UNPIVOT, ...
        raise ProgrammingError(
            f"the wildcard table `{_written(table)}` takes an alias and TABLESAMPLE only, not {refused[0]}"
        )
    return clauses


def _matching(table: exp.Table, tables: Tables) -> list[Shard]:
    prefix = table.name[:-1]
    shards = list(tables(table.catalog, table.db, prefix))
    dataset = f"dataset {'.'.join(part.name for part in table.parts[:-1])}" if table.db else "the current schema"
    if not shards:
        raise ProgrammingError(
            f"the wildcard table `{_written(table)}` matches no table of {dataset}: none is named {prefix!r} "
            "followed by one or more characters"
        )
    views = [shard.name for shard in shards if shard.view]
    if views:
        raise ProgrammingError(
            f"the wildcard table `{_written(table)}` matches the view {views[0]} of {dataset}: a wildcard table "
            "reads tables only, as BigQuery's"
        )
    return shards


def _branch(table: exp.Table, shard: Shard, columns: tuple[tuple[str, str], ...], newest: str) -> exp.Select:
    """`SELECT <the wildcard's columns>, '<suffix>' AS _TABLE_SUFFIX FROM <shard>`: NULL for a column the shard
    lacks; ProgrammingError for one it has with another type."""
    suffix = exp.alias_(exp.Literal.string(shard.name[len(table.name) - 1 :]), SUFFIX)
    path = {part: table.args[part].copy() for part in _PATH if part != "this" and table.args.get(part)}
    source = exp.Table(this=exp.to_identifier(shard.name, quoted=True), **path)
    if shard.columns == columns:
        return exp.select(exp.Star(), suffix).from_(source)
    types = {name.lower(): kind for name, kind in shard.columns}  # DuckDB's names are case-insensitive
    for name, kind in columns:
        if types.get(name.lower(), kind) != kind:
            raise ProgrammingError(
                f"the wildcard table `{_written(table)}` has column {name} of type {kind} (from {newest}, the last "
                f"matching table by name) but {shard.name} has it as {types[name.lower()]}"
            )
    projections = [
        exp.column(name, quoted=True) if name.lower() in types else exp.alias_(exp.null(), name, quoted=True)
        for name, _ in columns
    ]
    return exp.select(*projections, suffix).from_(source)


def _star_without_suffix(query: exp.Select, alias: str) -> None:
    """`SELECT *` and `SELECT <alias>.*` as `* EXCLUDE (_TABLE_SUFFIX)`: the pseudocolumn is no column of `*`."""
    for projection in query.expressions:
        star = projection if isinstance(projection, exp.Star) else None
        if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
            star = projection.this if projection.table.lower() == alias.lower() else None
        if star is not None:
            star.set("except_", [*(star.args.get("except_") or []), exp.column(SUFFIX)])
