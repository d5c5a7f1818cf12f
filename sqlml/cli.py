"""The `sqlml` command: run SQL against a DuckDB database and print results as tables.

    sqlml [DATABASE] [-c SQL] [FILE.sql ...]

Statements run in order (-c first, then each file; with neither, standard input); each result set is
printed as a box table. The first error is printed to stderr with exit status 1.
"""

from __future__ import annotations

import argparse
import sys

from sqlml.dbapi import Cursor, connect
from sqlml.errors import Error
from sqlml.parser import split_statements

MAX_ROWS = 40


def _cell(value) -> str:
    return "NULL" if value is None else str(value)


def render(cursor: Cursor, max_rows: int = MAX_ROWS) -> str:
    """A result set as a box table, numbers right-aligned, long results cut with a footer."""
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchmany(max_rows + 1)
    more = len(rows) > max_rows
    rows = rows[:max_rows]
    cells = [[_cell(v) for v in row] for row in rows]
    numeric = [all(isinstance(row[i], (int, float)) and not isinstance(row[i], bool) for row in rows
                   if row[i] is not None) for i in range(len(names))]
    widths = [max([len(n)] + [len(r[i]) for r in cells]) for i, n in enumerate(names)]
    line = lambda left, mid, right: left + mid.join("─" * (w + 2) for w in widths) + right
    fmt = lambda values: "│" + "│".join(
        f" {v.rjust(w) if numeric[i] else v.ljust(w)} " for i, (v, w) in enumerate(zip(values, widths))) + "│"
    out = [line("┌", "┬", "┐"), fmt(names), line("├", "┼", "┤"), *map(fmt, cells), line("└", "┴", "┘")]
    if more:
        out.append(f"(showing the first {max_rows} rows)")
    return "\n".join(out)


def run(database: str, scripts: list[str], out=None) -> int:
    """Run each script's statements, printing results to `out` (stdout); 0 on success, 1 at the first error."""
    out = out or sys.stdout
    try:
        with connect(database) as connection:
            cursor = connection.cursor()
            for script in scripts:
                for statement in split_statements(script):
                    cursor.execute(statement)
                    if cursor.description is not None:
                        print(render(cursor), file=out)
    except Error as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sqlml", description="BigQuery-ML-style SQL on DuckDB.")
    parser.add_argument("database", nargs="?", default=":memory:", help="DuckDB file (default: in memory)")
    parser.add_argument("files", nargs="*", help="SQL files to run in order")
    parser.add_argument("-c", dest="command", help="SQL to run before the files")
    args = parser.parse_args(argv)
    if args.database.endswith(".sql"):  # `sqlml FILE.sql`: an in-memory database
        args.files.insert(0, args.database)
        args.database = ":memory:"
    try:
        scripts = ([args.command] if args.command else []) + [open(f, encoding="utf-8").read() for f in args.files]
    except OSError as exc:
        print(f"Error: cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1
    return run(args.database, scripts or [sys.stdin.read()])


if __name__ == "__main__":
    sys.exit(main())
