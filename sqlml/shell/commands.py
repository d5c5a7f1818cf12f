"""The dot commands of the DuckDB CLI that the sqlml shell has (in the interactive shell and in scripts)."""

from __future__ import annotations

import shlex
from collections.abc import Callable

from sqlml.errors import Error
from sqlml.shell.render import MODES


class ExitShell(Exception):
    """.exit / .quit."""


def _relations(shell, column: str, name: str | None = None) -> list[tuple]:
    """(`column`, schema, name) of the user's tables and views (or of those called `name`), in order; the
    model catalog's schema is left out."""
    where = f"NOT internal AND schema_name <> '{shell.session.catalog_schema}' AND database_name = current_database()"
    quoted = "'" + (name or "").replace("'", "''") + "'"
    match = lambda col: f" AND lower({col}) = lower({quoted})" if name else ""
    return shell.query(
        f"SELECT {column}, schema_name, table_name FROM duckdb_tables() WHERE {where}{match('table_name')}"
        f" UNION ALL SELECT {column}, schema_name, view_name FROM duckdb_views() WHERE {where}"
        f"{match('view_name')} ORDER BY 2, 3"
    )


def _tables(shell, args: list[str]) -> bool:
    rows = _relations(shell, "CASE WHEN schema_name = current_schema() THEN '' ELSE schema_name || '.' END")
    names = [prefix + name for prefix, _, name in rows]
    if names:
        size = max(map(len, names)) + 2
        per_line = max(1, (shell.width() or 80) // size)
        for start in range(0, len(names), per_line):
            print("".join(n.ljust(size) for n in names[start : start + per_line]).rstrip(), file=shell.out)
    return True


def _schema(shell, args: list[str]) -> bool:
    rows = _relations(shell, "sql", args[0] if args else None)
    if args and not rows:
        shell.error(f"no table or view named {args[0]}")
        return False
    for sql, _, _ in rows:
        print(sql, file=shell.out)
    return True


def _models(shell, args: list[str]) -> bool:
    return shell.execute("SHOW MODELS")


def _mode(shell, args: list[str]) -> bool:
    if not args:
        print(f"current output mode: {shell.mode}", file=shell.out)
        return True
    if args[0] not in MODES:
        shell.error(f"unknown mode {args[0]!r}; modes: {', '.join(MODES)}")
        return False
    shell.mode = args[0]
    return True


def _timer(shell, args: list[str]) -> bool:
    shell.timer = args[0] == "on"
    return True


def _read(shell, args: list[str]) -> bool:
    try:
        with open(args[0], encoding="utf-8") as file:
            script = file.read()
    except OSError as exc:
        shell.error(f"cannot read {args[0]}: {exc.strerror}")
        return False
    return shell.run_script(script, args[0])


def _output(shell, args: list[str]) -> bool:
    if args:
        try:
            target = open(args[0], "w", encoding="utf-8")
        except OSError as exc:
            shell.error(f"cannot write {args[0]}: {exc.strerror}")
            return False
    else:
        target = shell.stdout
    if shell.out is not shell.stdout:
        shell.out.close()
    shell.out = target
    return True


def _maxrows(shell, args: list[str]) -> bool:
    if not (args[0].isascii() and args[0].isdigit()):
        shell.error(f".maxrows takes a number of rows (0: all), not {args[0]!r}")
        return False
    shell.max_rows = int(args[0])
    return True


def _exit(shell, args: list[str]) -> bool:
    raise ExitShell


def _help(shell, args: list[str]) -> bool:
    width = max(len(usage) for usage, _, _, _ in COMMANDS.values())
    for usage, _, _, text in COMMANDS.values():
        print(f"{usage.ljust(width)}  {text}", file=shell.out)
    return True


# name -> (usage, (least, most) arguments, handler, help); handlers return False after printing an error
COMMANDS: dict[str, tuple[str, tuple[int, int], Callable, str]] = {
    ".exit": (".exit", (0, 0), _exit, "Exit the shell (also .quit and Ctrl-D)"),
    ".help": (".help", (0, 0), _help, "Show this list"),
    ".maxrows": (".maxrows N", (1, 1), _maxrows, "Show at most N rows in box and table modes (0: all; default 40)"),
    ".mode": (".mode MODE", (0, 1), _mode, "Output mode: " + ", ".join(MODES) + " (default box)"),
    ".models": (".models", (0, 0), _models, "List the models (SHOW MODELS)"),
    ".output": (".output [FILE]", (0, 1), _output, "Write results to FILE, or back to the screen without FILE"),
    ".quit": (".quit", (0, 0), _exit, "Exit the shell"),
    ".read": (".read FILE", (1, 1), _read, "Run the statements and dot commands of FILE"),
    ".schema": (".schema [TABLE]", (0, 1), _schema, "Show the CREATE statements of the tables and views (or one)"),
    ".tables": (".tables", (0, 0), _tables, "List the tables and views"),
    ".timer": (".timer on|off", (1, 1), _timer, "Show each statement's run time"),
}


def run_command(shell, line: str) -> bool:
    """Run one dot command line; False after printing an error. `.exit` raises ExitShell."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        shell.error(f"{line}: {exc}")
        return False
    name, args = words[0], words[1:]
    if name not in COMMANDS:
        shell.error(f"unknown command {name}; .help lists the commands")
        return False
    usage, (least, most), handler, _ = COMMANDS[name]
    if not least <= len(args) <= most or (name == ".timer" and args[0] not in ("on", "off")):
        shell.error(f"usage: {usage}")
        return False
    try:
        return handler(shell, args)
    except Error as exc:
        shell.error(str(exc))
        return False
