"""`sqlml serve`: serve a DuckDB database to PostgreSQL clients (psql, psycopg, BI tools).

sqlml serve DATABASE [--host 127.0.0.1] [--port 5433] [--read-only | --read-write]
                     [--user U --password-env VAR] [--export-dir DIR] [--import-dir DIR]
                     [--allow-file-access] [--max-connections 100] [--auth-timeout 60]
                     [--max-message-bytes 16777216] [--dialect duckdb|bigquery]
                     [--cluster local|tcp://host:8786 [--cluster-dir DIR]]
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import socket
import sys
import threading

import sqlml
from sqlml.cli import add_cluster_arguments, cluster_setting
from sqlml.engine.session import ExportPolicy, ImportPolicy, Session
from sqlml.errors import Error
from sqlml.server import log
from sqlml.server.auth import Credentials
from sqlml.server.protocol import STARTUP_LIMIT
from sqlml.server.server import Limits, Server

STOP_GRACE = 1.5  # seconds the running statements have to end once cancelled, when the server stops
POLL_INTERVAL = 0.2  # seconds between the listening loop's checks for a stop


def _is_loopback(host: str) -> bool:
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror:
        return False
    return all(ipaddress.ip_address(address.split("%")[0]).is_loopback for address in addresses)


def _between(kind: type, low: float, high: float):
    """An argparse type: a number of `kind` from `low` to `high`."""

    def convert(text: str):
        value = kind(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is not between {low} and {high}")
        return value

    convert.__name__ = kind.__name__  # argparse names the type in its "invalid ... value" message
    return convert


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="sqlml serve",
        description="Serve a DuckDB database (with sqlml's ML statements) over the PostgreSQL wire protocol.",
    )
    parser.add_argument("database", help="DuckDB database file")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5433, help="port to listen on (default: 5433)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--read-only", dest="read_only", action="store_true", default=True, help="refuse every write (the default)"
    )
    mode.add_argument("--read-write", dest="read_only", action="store_false", help="allow writes")
    parser.add_argument("--user", help="the user clients must log in as (with --password-env)")
    parser.add_argument("--password-env", metavar="VAR", help="environment variable holding that user's password")
    parser.add_argument("--export-dir", metavar="DIR", help="allow EXPORT MODEL, writing inside DIR only")
    parser.add_argument(
        "--import-dir",
        metavar="DIR",
        help="allow importing ONNX models (CREATE MODEL ... model_path), reading inside DIR only",
    )
    parser.add_argument(
        "--allow-file-access",
        action="store_true",
        help="let clients use DuckDB's own file and network access (read_csv, COPY, ATTACH, "
        "INSTALL/LOAD) as the server's user; refused by default",
    )
    parser.add_argument(
        "--max-connections",
        metavar="N",
        type=_between(int, 1, 10_000),
        default=Limits.max_connections,
        help=f"clients logged in at once (default: {Limits.max_connections})",
    )
    parser.add_argument(
        "--auth-timeout",
        metavar="SECONDS",
        type=_between(float, 0.001, 600),
        default=Limits.auth_timeout,
        help=f"time a client has to log in, from connecting (default: {Limits.auth_timeout:g})",
    )
    parser.add_argument(
        "--max-message-bytes",
        metavar="N",
        type=_between(int, STARTUP_LIMIT, 2**30),
        default=Limits.max_message_bytes,
        help=f"largest message a logged-in client may send: a query, a parameter (default: "
        f"{Limits.max_message_bytes}, 16 MiB)",
    )
    parser.add_argument(
        "--dialect",
        default="duckdb",
        help="the SQL dialect every client session starts in: duckdb (the default) or bigquery (GoogleSQL); "
        "a client switches its own with SET sqlml_dialect = '...'",
    )
    add_cluster_arguments(parser, "shared by every client")
    args = parser.parse_args(argv)
    args.cluster = cluster_setting(parser, args)
    if (args.user is None) != (args.password_env is None):
        parser.error("--user and --password-env go together")
    if args.password_env is not None and not os.environ.get(args.password_env):
        parser.error(f"--password-env: the environment variable {args.password_env} is not set or empty")
    if args.user is None and not _is_loopback(args.host):
        parser.error(
            f"refusing to listen on {args.host} without a password: only a loopback host (127.0.0.1, "
            "localhost, ::1) may be served without --user and --password-env"
        )
    if args.export_dir is not None and not os.path.isdir(args.export_dir):
        parser.error(f"--export-dir: {args.export_dir} is not a directory")
    if args.import_dir is not None and not os.path.isdir(args.import_dir):
        parser.error(f"--import-dir: {args.import_dir} is not a directory")
    return args


def _stop_on_signals(server: Server) -> None:
    """SIGTERM and SIGINT (Ctrl-C) stop the server: serve_forever() returns (told from another thread, which
    also logs: a signal handler must not wait for the log's lock)."""

    def stop(signum, frame) -> None:
        name = signal.Signals(signum).name
        threading.Thread(
            target=lambda: (log.write("LOG", f"received {name}: shutting down"), server.shutdown()), daemon=True
        ).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    credentials = Credentials(args.user, os.environ[args.password_env]) if args.user else None
    try:
        exports = ExportPolicy(allowed=args.export_dir is not None, directory=args.export_dir)
        imports = ImportPolicy(allowed=args.import_dir is not None, directory=args.import_dir)
        session = Session(
            args.database,
            read_only=args.read_only,
            exports=exports,
            imports=imports,
            config={"enable_external_access": args.allow_file_access},
            dialect=args.dialect,
            cluster=args.cluster,
        )
        limits = Limits(args.max_connections, args.auth_timeout, args.max_message_bytes)
        server = Server((args.host, args.port), session, credentials, limits)
    except (Error, OSError) as exc:
        log.write("FATAL", str(exc))
        return 1
    _stop_on_signals(server)
    mode = "read-only" if args.read_only else "read-write"
    where = f"{args.database} ({mode}) on {args.host}:{server.server_address[1]}"
    log.write("LOG", f"sqlml {sqlml.__version__} serving {where}")
    print(f"sqlml serving {where}", flush=True)
    try:
        server.serve_forever(POLL_INTERVAL)
    finally:
        busy = server.stop(STOP_GRACE)
        server.server_close()
    if busy:  # closing the database would wait for their statements
        log.write(
            "WARNING",
            f"{busy} client(s) still running {STOP_GRACE} s after their statements were "
            "cancelled: exiting without waiting for them (their transactions are not committed)",
        )
        os._exit(0)
    session.close()
    log.write("LOG", "database system is shut down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
