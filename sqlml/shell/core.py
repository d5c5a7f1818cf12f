"""The shell's core, shared by the interactive loop and scripts: run statements and dot commands, print
results in the current output mode, report errors (a syntax error with its line and a caret).

Statement ends are found with DuckDB's tokenizing in either dialect (GoogleSQL's "strings" and `names` end
where DuckDB's quoted names do); each statement then runs in the cursor's dialect."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
import time
from typing import TextIO

from sqlml.engine.session import ClusterSetting, Session, SessionCursor
from sqlml.errors import Error, SqlSyntaxError
from sqlml.shell import render
from sqlml.shell.commands import run_command
from sqlml.shell.progress import ProgressBar

# statements whose only result is DuckDB's row count: not printed, as in the DuckDB CLI
_COUNT_ONLY = {
    "CREATE",
    "INSERT",
    "UPDATE",
    "DELETE",
    "DROP",
    "ALTER",
    "COPY",
    "ATTACH",
    "DETACH",
    "USE",
    "SET",
    "RESET",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "LOAD",
    "INSTALL",
    "CHECKPOINT",
    "TRUNCATE",
    "EXPORT",
}


class Shell:
    """A session and the output settings the dot commands change (engine access: the Session API only)."""

    def __init__(
        self,
        database: str,
        mode: str = "box",
        interactive: bool = False,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        read_only: bool = False,
        dialect: str = "duckdb",
        cluster: ClusterSetting | None = None,
    ):
        self.session = Session(database, read_only=read_only, dialect=dialect, cluster=cluster)
        self.cursor = self.session.cursor()
        self.database = database
        self.mode, self.max_rows, self.timer = mode, 40, False
        self.stdout, self.stderr = stdout or sys.stdout, stderr or sys.stderr
        self.out = self.stdout
        self.interactive = interactive
        self.progress = ProgressBar(self.stderr) if interactive else None
        self.session.on_progress = self.progress

    # -- output -------------------------------------------------------------------------------------
    def width(self) -> int | None:
        """The screen width results must fit, when they go to a terminal."""
        if self.out is self.stdout and self.stdout.isatty():
            return shutil.get_terminal_size().columns
        return None

    def error(self, message: str) -> None:
        print(f"Error: {message}", file=self.stderr, flush=True)

    def show_error(self, exc: Error, statement: str) -> None:
        """The error; for a syntax error, also the statement's line and a caret under the failing token."""
        if not isinstance(exc, SqlSyntaxError):
            return self.error(str(exc))
        lines = statement.splitlines() or [""]
        line = lines[min(exc.line, len(lines)) - 1]
        prefix = f"LINE {exc.line}: "
        under = "".join("\t" if c == "\t" else " " for c in line[: exc.col - 1])
        self.error(f"{exc}\n{prefix}{line}\n{' ' * len(prefix)}{under}^")

    def print_result(self, names: list[str]) -> None:
        render.write(self.mode, names, self.cursor.fetchmany, self.out, self.max_rows, self.width())
        self.out.flush()

    def query(self, sql: str) -> list[tuple]:
        """All rows of a query the shell runs for itself (dot commands, completion)."""
        self.cursor.execute(sql)
        return self.cursor.fetchall()

    # -- running ------------------------------------------------------------------------------------
    def execute(self, sql: str) -> bool:
        """Run each statement of `sql`, printing results; False (after printing it) at the first error."""
        try:
            statements = SessionCursor.split(sql)
        except SqlSyntaxError as exc:
            self.show_error(exc, sql)
            return False
        return all(self._run(statement) for statement in statements)

    def _execute_in_thread(self, statement: str) -> bool:
        """`cursor.execute(statement)` in a thread of its own: DuckDB's own check for Ctrl-C misses some, so
        while the statement runs Ctrl-C (SIGINT, in this main thread) only sets a flag, and this thread then
        interrupts the cursor, again every 0.1 s until the statement ends, then raises KeyboardInterrupt
        (unless the statement had finished anyway). No KeyboardInterrupt can leave the statement running."""
        outcome, done, ctrl_c = {}, threading.Event(), threading.Event()

        def work() -> None:
            try:
                outcome["result"] = self.cursor.execute(statement)
            except BaseException as exc:  # re-raised below, in this thread
                outcome["error"] = exc
            finally:
                done.set()

        previous = signal.getsignal(signal.SIGINT)
        try:
            signal.signal(signal.SIGINT, lambda *_: ctrl_c.set())
            threading.Thread(target=work, name="sqlml-statement", daemon=True).start()
            while not done.wait(0.1):
                if ctrl_c.is_set():
                    self.cursor.interrupt()
        finally:
            signal.signal(signal.SIGINT, previous)
        if self.progress:
            self.progress.clear()
        if "error" in outcome:
            raise KeyboardInterrupt if ctrl_c.is_set() else outcome["error"]
        return outcome["result"]

    def _run(self, statement: str) -> bool:
        started, times = time.perf_counter(), os.times()
        try:
            self._execute_in_thread(statement)
            names = [d[0] for d in self.cursor.description or ()]
            if names and not (names == ["Count"] and SessionCursor.command(statement).split(" ")[0] in _COUNT_ONLY):
                self.print_result(names)
            for notice in self.cursor.notices:
                print(f"Notice: {notice}", file=self.stderr, flush=True)
        except KeyboardInterrupt:
            self.error("interrupted: the statement was cancelled")
            return False
        except Error as exc:
            self.show_error(exc, statement)
            return False
        if self.timer:
            now = os.times()
            print(
                f"Run Time (s): real {time.perf_counter() - started:.3f} user {now.user - times.user:.6f} "
                f"sys {now.system - times.system:.6f}",
                file=self.out,
                flush=True,
            )
        return True

    def run_script(self, text: str, source: str | None = None) -> bool:
        """Run a script's statements and dot commands (a line starting with '.' between statements) in
        order; False at the first error, after naming its line in the file `source` (if given)."""
        plain = self._plain_statements(text)
        if plain is not None:
            return all(self._run(statement) or self._failed_at(source, line) for line, statement in plain)
        pending = SessionCursor.reader()  # the statements read since the last one run
        start = 1  # the line of `text` where `pending` starts
        for number, line in enumerate(text.splitlines(), 1):
            if not pending.has_tokens:
                pending, start = SessionCursor.reader(), number
                if line.lstrip().startswith("."):
                    if not run_command(self, line.strip()):
                        return self._failed_at(source, number)
                    continue
            pending.add("\n" + line if pending.text else line)
            if pending.complete and pending.has_tokens:
                if not all(self._run(statement) for statement in pending.statements()):
                    return self._failed_at(source, start)
                pending = SessionCursor.reader()
        if pending.has_tokens and not self.execute(pending.text):
            return self._failed_at(source, start)
        return True

    def _plain_statements(self, text: str) -> list[tuple[int, str]] | None:
        """A script of DuckDB statements alone (no dot command), as DuckDB's own parser splits it: (the line
        where each starts, its text); None otherwise (the general path then reads it)."""
        if any(line.lstrip().startswith(".") for line in text.splitlines()):
            return None
        return self.cursor.plain_statements(text)

    def _failed_at(self, source: str | None, line: int) -> bool:
        if source is not None:
            self.error(f"in {source}, line {line}")
        return False

    def close(self) -> None:
        if self.out is not self.stdout:
            self.out.close()
        self.session.close()
