"""The server's log, on stderr, one line per event in PostgreSQL's format (its default log_line_prefix, `%m [%p] `):

    2026-12-01 07:10:31.123 UTC [4242] LOG:  connection received: host=127.0.0.1 port=54321

Lines about one client add its process id (the one cancel requests name) as `[client N]`; a message of several
lines goes on with lines that start with a tab. Nothing secret is written: no password, no parameter value; a
failing statement's text (as PostgreSQL logs it) is cut to STATEMENT_CHARS characters.
"""

from __future__ import annotations

import datetime
import os
import sys
import threading
from contextlib import suppress

STATEMENT_CHARS = 1000
_LOCK = threading.Lock()


def write(level: str, text: str, client: int | None = None) -> None:
    """One entry at `level` (LOG, ERROR, FATAL, STATEMENT, ...), about `client` if given; the lines of a
    message of several start with a tab, as PostgreSQL writes them."""
    now = datetime.datetime.now(datetime.UTC)
    who = "" if client is None else f" [client {client}]"
    text = text.replace("\n", "\n\t")
    line = f"{now:%Y-%m-%d %H:%M:%S}.{now.microsecond // 1000:03d} UTC [{os.getpid()}]{who} {level}:  {text}\n"
    with _LOCK, suppress(OSError, ValueError):  # a log nobody reads (a closed pipe) must not stop the server
        sys.stderr.write(line)
        sys.stderr.flush()


def statement(sql: str) -> str:
    """A statement's text as the log shows it: on one line, cut to STATEMENT_CHARS characters."""
    return " ".join(sql[:STATEMENT_CHARS].split()) + ("..." if len(sql) > STATEMENT_CHARS else "")


def duration(seconds: float) -> str:
    """h:mm:ss.fff, as PostgreSQL logs a session's time."""
    return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{seconds % 60:06.3f}"
