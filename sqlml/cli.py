"""The `sqlml` command.

    sqlml [DATABASE] [FILE.sql ...] [-c SQL] [-box|-table|-csv|-json|-markdown|-line] [-bail] [-readonly]
          [--dialect duckdb|bigquery] [--cluster local|tcp://host:8786 [--cluster-dir DIR]]
    sqlml serve ...            (the PostgreSQL wire-protocol server: sqlml/server/cli.py)

With a terminal on standard input and neither -c nor files, an interactive shell (docs/shell.md);
otherwise the statements and dot commands of -c, then of each file (with neither, of standard input) run
in order, results printed in the output mode. The first error stops the run: exit status 1.
`sqlml FILE.sql` runs the file against an in-memory database.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from sqlml.errors import Error
from sqlml.shell.commands import ExitShell
from sqlml.shell.render import MODES

if TYPE_CHECKING:
    from sqlml.engine.session import ClusterSetting


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sqlml",
        allow_abbrev=False,
        description="BigQuery-ML-style SQL on DuckDB; `sqlml serve --help` for the PostgreSQL wire-protocol server.",
    )
    parser.add_argument("database", nargs="?", default=":memory:", help="DuckDB file (default: in memory)")
    parser.add_argument("files", nargs="*", help="SQL files to run in order")
    parser.add_argument("-c", dest="command", help="SQL (and dot commands) to run before the files")
    for mode in MODES:
        parser.add_argument(
            f"-{mode}",
            dest="mode",
            action="store_const",
            const=mode,
            help=f"print results in {mode} mode" + (" (the default)" if mode == "box" else ""),
        )
    parser.add_argument("-bail", action="store_true", help="stop at the first error (always the case)")
    parser.add_argument(
        "-readonly", action="store_true", help="open the database read-only (other processes may then read it too)"
    )
    parser.add_argument(
        "--dialect",
        default="duckdb",
        help="the SQL dialect statements are read in: duckdb (the default) or bigquery (GoogleSQL); "
        "SET sqlml_dialect = '...' switches it",
    )
    add_cluster_arguments(parser, "of this shell's session")
    parser.set_defaults(mode="box")
    return parser


def add_cluster_arguments(parser: argparse.ArgumentParser, whose: str) -> None:
    """--cluster and --cluster-dir (the shell's and `sqlml serve`'s)."""
    parser.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help=f"the Dask cluster CREATE MODEL may train on, {whose}: local (a LocalCluster, one worker process per "
        "core) or a scheduler's address (tcp://host:8786); see docs/scale.md",
    )
    parser.add_argument(
        "--cluster-dir",
        metavar="DIR",
        help="with --cluster: the directory (or object-store URL) DuckDB and every worker read and write staged "
        "data in (default, for --cluster local only: a temporary directory)",
    )


def cluster_setting(parser: argparse.ArgumentParser, args: argparse.Namespace) -> ClusterSetting | None:
    """The --cluster and --cluster-dir given, checked: a usage error if wrong."""
    if args.cluster is None:
        if args.cluster_dir is not None:
            parser.error("--cluster-dir goes with --cluster")
        return None
    from sqlml.engine.session import ClusterSetting  # the engine: loaded once the arguments are read

    try:
        return ClusterSetting.of(args.cluster, args.cluster_dir)
    except Error as exc:
        parser.error(str(exc))


def main(argv: list[str] | None = None) -> int:
    try:
        return _run(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:  # Ctrl-C while the engine loads, or between the statements of a script
        print("Error: interrupted", file=sys.stderr, flush=True)
        return 1


def _run(argv: list[str]) -> int:
    if argv[:1] == ["serve"]:
        from sqlml.server.cli import main as serve

        return serve(argv[1:])
    parser = _parser()
    args = parser.parse_intermixed_args(argv)
    cluster = cluster_setting(parser, args)
    if args.database.endswith(".sql"):  # `sqlml FILE.sql`: an in-memory database
        args.files.insert(0, args.database)
        args.database = ":memory:"
    interactive = args.command is None and not args.files and sys.stdin.isatty()
    try:  # (text, the file it comes from)
        scripts = ([(args.command, None)] if args.command is not None else []) + [
            (open(f, encoding="utf-8").read(), f) for f in args.files
        ]
    except OSError as exc:
        print(f"Error: cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1
    from sqlml.shell.core import Shell  # the engine: loaded here, where a Ctrl-C is a one-line error

    try:
        shell = Shell(
            args.database, args.mode, interactive, read_only=args.readonly, dialect=args.dialect, cluster=cluster
        )
    except Error as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    try:
        if interactive:
            from sqlml.shell import repl

            return repl.run(shell)
        for script, source in scripts or [(sys.stdin.read(), None)]:
            if not shell.run_script(script, source):
                return 1
        return 0
    except ExitShell:
        return 0
    finally:
        shell.close()


if __name__ == "__main__":
    sys.exit(main())
