"""One client: startup and authentication, then the simple and the extended query protocol.

Each client has its own SessionCursor on the server's one Session, so its statements (ML statements
included) run as they would through sqlml's DB-API, in the server's dialect (`--dialect`) until the client
switches its own with SET sqlml_dialect; PostgreSQL catalog queries of client tools are DuckDB's once rewritten. Transactions follow PostgreSQL: each statement commits
on its own unless BEGIN opened a transaction; after an error inside one, every statement but ROLLBACK (or
COMMIT, which then rolls back) is refused until it ends.

The extended protocol runs a statement when it is bound (Bind), so that Describe of the portal can report
its columns; Execute then sends its rows, `max_rows` at a time if the client asks for that.
"""

from __future__ import annotations

import functools
import itertools
import re
import secrets
import socket
import threading
import time
import traceback
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field

from sqlml import errors
from sqlml.engine.session import SessionCursor
from sqlml.server import log, pg_catalog, protocol, settings, types
from sqlml.server.auth import AuthenticationFailed
from sqlml.server.sqlstate import ServerError, message, position, sqlstate

BATCH_ROWS = 1000
MAX_PARAMETERS = 65535  # PostgreSQL's: a Bind message counts its parameters in an int16
_PARAMETER = re.compile(r"\$(\d+)")
READ_ONLY_HINT = "the server is read-only (the default): start it with --read-write to allow writes"
_DEALLOCATE = re.compile(r"\s*+DEALLOCATE\s++(?:PREPARE\s++)?+(\w++|\"[^\"]++\")\s*+;?\s*+$", re.I)  # linear
_CHANGES_ROWS = {"INSERT", "UPDATE", "DELETE", "MERGE", "COPY"}
_STATUS_COLUMNS = (["Count"], ["Success"])
_QUERY_WORDS = {"SELECT", "WITH", "VALUES", "FROM", "TABLE"}
_ENDS_TRANSACTION = {"COMMIT", "END", "ROLLBACK", "ABORT"}
_TAG_OF = {"START": "START TRANSACTION", "END": "COMMIT", "ABORT": "ROLLBACK"}
DUCKDB = "duckdb"  # the dialect of the server's own SQL and of PostgreSQL catalog queries once rewritten


@dataclass
class Result:
    """One statement's outcome: its columns and a way to fetch its rows, or the count of rows it changed."""

    command: str  # SessionCursor.command: "SELECT", "CREATE TABLE", ...; "" for an empty query
    columns: list[tuple[str, int, int]] | None = None
    fetch: Callable[[int], list[tuple]] = lambda n: []
    changed: int = 0
    sent: int = 0
    done: bool = False
    notices: list[str] = field(default_factory=list)  # sent before CommandComplete

    def tag(self) -> str:
        first = self.command.split(" ")[0]
        if first == "INSERT":
            return f"INSERT 0 {self.changed if self.columns is None else self.sent}"
        if first in _CHANGES_ROWS:
            return f"{first} {self.changed if self.columns is None else self.sent}"
        if first == "SHOW":
            return first
        if self.columns is not None:
            return f"SELECT {self.sent}"
        return _TAG_OF.get(self.command, self.command)


@dataclass
class Prepared:
    query: str
    parameter_oids: list[int] = field(default_factory=list)

    def parameter_count(self) -> int:
        numbers = _PARAMETER.findall(self.query)
        too_high = next((n for n in numbers if len(n) > len(str(MAX_PARAMETERS)) or int(n) > MAX_PARAMETERS), None)
        if too_high is not None:
            shown = too_high if len(too_high) <= 20 else too_high[:20] + "..."
            raise ServerError("42P02", f"there is no parameter ${shown}: at most ${MAX_PARAMETERS}")
        return max([len(self.parameter_oids), *map(int, numbers)])


class Connection:
    """Serves one client socket until it terminates or disconnects."""

    def __init__(self, channel: protocol.Channel, server, peer: str = ""):
        self.channel = channel
        self.server = server
        self.peer = peer  # "host=... port=...", for the log
        self.started = time.monotonic()
        self.process_id, self.secret = 0, secrets.randbits(31)
        self.login = ""  # "user=... database=...", once logged in
        self.terminating = False  # the server is stopping: the connection ends
        self.finished = threading.Event()  # set when serve() returns
        self.statement = ""  # the text of the statement running (or last run), for the log
        self.cursor: SessionCursor | None = None
        self.transaction = "I"  # 'I' idle, 'T' in a transaction, 'E' in a failed one
        self.running = False
        self.as_sent = False  # whether DuckDB ran the last statement as the client wrote it
        self.statements: dict[str, Prepared] = {}
        self.portals: dict[str, Result] = {}

    # -- startup ------------------------------------------------------------------------------------
    def serve(self) -> None:
        try:
            if self._start():
                self._loop()
        except protocol.Refused as exc:
            self._fatal(exc.code, str(exc), exc.hint)
        except (protocol.ProtocolError, OSError):
            if self.terminating:  # else the client went away or broke the protocol: nothing to answer
                self._fatal(*protocol.SHUTDOWN)
        except Exception as exc:  # a bug of ours: tell the client and the server's log, keep serving others
            self._fatal("XX000", f"internal error: {type(exc).__name__}: {exc}")
            traceback.print_exc()
        finally:
            self.server.forget(self)
            if self.cursor is not None:
                self.cursor.close()
            if self.login:
                log.write(
                    "LOG",
                    f"disconnection: session time: {log.duration(time.monotonic() - self.started)} "
                    f"{self.login} {self.peer}",
                    self.process_id,
                )
            self.finished.set()

    def _start(self) -> bool:
        """Startup and authentication; False if the connection ends there (a cancel request, a refusal).
        The channel refuses messages over protocol.STARTUP_LIMIT and ends at its login deadline until then."""
        while True:
            code, body = self.channel.startup()
            if code in (protocol.SSL_REQUEST, protocol.GSSENC_REQUEST):
                self.channel.send(b"N")
                continue
            if code == protocol.CANCEL_REQUEST:
                self.server.cancel(body.int32(), body.int32())
                return False
            if code != protocol.PROTOCOL_V3:
                raise protocol.Refused("0A000", f"unsupported frontend protocol {code >> 16}.{code & 0xFFFF}")
            break
        parameters = {}
        while name := body.cstring():
            parameters[name] = body.cstring()
        user = parameters.get("user", "")
        database = parameters.get("database") or user  # libpq's default, as PostgreSQL takes it
        if self.server.credentials is not None:
            try:
                self.server.credentials.authenticate(self.channel, user)
            except AuthenticationFailed as exc:
                raise protocol.Refused("28P01", str(exc)) from None
        if database not in self.server.database_names:
            served = next(name for name in sorted(self.server.database_names) if name != "postgres")
            raise protocol.Refused(
                "3D000",
                f'database "{database}" does not exist',
                hint=f'this server serves database "{served}" (also reachable as "postgres")',
            )
        self.process_id = self.server.register(self)
        if self.process_id is None:
            raise protocol.Refused("53300", "sorry, too many clients already")
        self.login = f"user={user} database={database}"
        application = parameters.get("application_name")
        log.write(
            "LOG",
            f"connection authorized: {self.login}" + (f" application_name={application}" if application else ""),
            self.process_id,
        )
        self.cursor = self.server.session.cursor()
        for sql in self.server.setup_sql:
            self.cursor.execute(sql, dialect=DUCKDB)
        self.channel.logged_in(self.server.limits.max_message_bytes)
        statuses = [protocol.parameter_status(k, v) for k, v in pg_catalog.STARTUP_PARAMETERS.items()]
        self.channel.send(
            protocol.authentication(0),
            *statuses,
            protocol.backend_key_data(self.process_id, self.secret),
            protocol.ready_for_query("I"),
        )
        return True

    def _fatal(self, code: str, text: str, hint: str | None = None) -> None:
        """Tell the client (and the log) why its connection ends."""
        log.write("FATAL", text, self.process_id or None)
        with suppress(OSError):
            self.channel.send(protocol.error_response(code, text, severity="FATAL", hint=hint))

    def cancel(self) -> None:
        """Interrupt the statement this client is running, if any (called from another thread)."""
        if self.running and self.cursor is not None:
            self.cursor.interrupt()

    def terminate(self) -> None:
        """End this connection from another thread (the server stops): cancel the running statement and stop
        reading; the client's own thread then tells it FATAL 57P01 and returns."""
        self.terminating = True
        self.cancel()
        with suppress(OSError):
            self.channel.sock.shutdown(socket.SHUT_RD)

    # -- the message loop ---------------------------------------------------------------------------
    def _loop(self) -> None:
        handlers = {
            b"Q": self._query,
            b"P": self._parse,
            b"B": self._bind,
            b"D": self._describe,
            b"E": self._execute,
            b"C": self._close,
            b"S": self._sync,
            b"H": lambda body: None,
        }
        skipping = False  # after an error in the extended protocol, everything up to Sync is skipped
        while True:
            kind, body = self.channel.message()
            if kind == b"X":
                return
            if skipping and kind != b"S":
                continue
            skipping = False
            handler = handlers.get(kind)
            try:
                if handler is None:
                    raise ServerError("08P01", f"unknown message type {kind!r}")
                handler(body)
            except errors.Error as exc:
                self._error(exc)
                skipping = kind != b"Q"

    def _error(self, exc: errors.Error, sql: str = "", offset: int = 0) -> None:
        if self.terminating:  # the statement was cancelled because the server stops
            raise protocol.Refused(*protocol.SHUTDOWN)
        if self.transaction != "I":
            self.transaction = "E"
        at = position(exc, sql) if sql and (isinstance(exc, errors.SqlSyntaxError) or self.as_sent) else None
        code, text = sqlstate(exc), message(exc)
        log.write("ERROR", text, self.process_id)
        if self.statement:
            log.write("STATEMENT", log.statement(self.statement), self.process_id)
        text, _, hint = text.partition("\nHint: ")  # a hint of sqlml's (the dialect switch) is PostgreSQL's HINT
        hint = hint or (READ_ONLY_HINT if code == "25006" and self.server.session.read_only else None)
        self.channel.send(protocol.error_response(code, text, position=None if at is None else offset + at, hint=hint))

    # -- running a statement ------------------------------------------------------------------------
    def _run(self, sql: str, params: list | None = None) -> Result:
        self.statement = sql
        first = SessionCursor.words(sql)
        if first[:1] in (["SAVEPOINT"], ["RELEASE"]) or first[:2] == ["ROLLBACK", "TO"]:
            return self._savepoint(first)
        if self.transaction == "E":
            if not first or first[0] not in _ENDS_TRANSACTION:
                raise ServerError(
                    "25P02", "current transaction is aborted, commands ignored until end of transaction block"
                )
            sql, first = "ROLLBACK", ["ROLLBACK"]
        if not first:
            return Result("", done=True)
        if first[0] == "DEALLOCATE":  # a prepared statement of the extended protocol, by name
            self._deallocate(sql)
            return Result("DEALLOCATE")
        canned = pg_catalog.answer(sql)
        if canned is not None:
            names, rows, tag = canned
            remaining = iter(rows)
            return Result(
                tag,
                [(n, types.TEXT, -1) for n in names] if names else None,
                fetch=lambda n: list(itertools.islice(remaining, n)),
            )
        text = pg_catalog.rewrite(sql)
        self.running = True
        try:  # a client tool's catalog query (rewritten) is PostgreSQL's dialect made DuckDB's, whatever the client's
            self.cursor.execute(
                text, params, DUCKDB if text != sql else None, functools.partial(settings.session_only, self.cursor)
            )
        except errors.Error as exc:
            raise settings.explained(exc) from None
        finally:
            self.running = False
            self.as_sent = text == sql and self.cursor.as_written  # DuckDB's error positions are in the client's text
        if first[0] in ("BEGIN", "START"):
            self.transaction = "T"
        elif first[0] in _ENDS_TRANSACTION:
            self.transaction = "I"
        result = self._result(first[0], SessionCursor.command(sql))
        result.notices = self.cursor.notices
        return result

    def _result(self, first: str, command: str) -> Result:
        """The Result of the statement just run on the cursor."""
        description = self.cursor.description
        if description is None:
            return Result(command)
        names = [d[0] for d in description]
        if first not in _QUERY_WORDS and names in _STATUS_COLUMNS:
            row = self.cursor.fetchone() if names == ["Count"] else None
            return Result(command, changed=row[0] if row else 0)
        columns = [
            (pg_catalog.column_name(name), oid, types.SIZES.get(oid, -1))
            for name, oid in ((d[0], types.oid_of(d[1])) for d in description)
        ]
        return Result(command, columns, self.cursor.fetchmany)

    def _savepoint(self, first: list[str]) -> Result:
        """DuckDB has no savepoints: inside a transaction SAVEPOINT and RELEASE do nothing (what drivers
        send around a nested block that succeeds); ROLLBACK TO SAVEPOINT is refused (it cannot be honoured)."""
        if self.transaction == "I":
            raise ServerError("25P01", f"{first[0]} can only be used in transaction blocks")
        if first[0] == "ROLLBACK":
            raise ServerError(
                "0A000",
                "ROLLBACK TO SAVEPOINT is not supported (DuckDB has no savepoints); ROLLBACK the whole transaction",
            )
        if self.transaction == "E":
            raise ServerError(
                "25P02", "current transaction is aborted, commands ignored until end of transaction block"
            )
        return Result(first[0])

    def _deallocate(self, sql: str) -> None:
        match = _DEALLOCATE.match(sql)
        if match is None:
            raise ServerError("42601", "syntax: DEALLOCATE [PREPARE] name | ALL")
        name = match.group(1).strip('"')
        if name.upper() == "ALL":
            self.statements.clear()
        elif self.statements.pop(name, None) is None:
            raise ServerError("26000", f'prepared statement "{name}" does not exist')

    def _send_rows(self, result: Result, limit: int = 0) -> None:
        """Up to `limit` (0: all) more rows, then CommandComplete, or PortalSuspended if rows may remain."""
        budget = limit or None
        while not result.done:
            want = BATCH_ROWS if budget is None else min(BATCH_ROWS, budget)
            if want == 0:
                self.channel.send(protocol.PORTAL_SUSPENDED)
                return
            self.running = True
            try:
                rows = result.fetch(want)
            finally:
                self.running = False
            self.channel.send(*(protocol.data_row([types.encode(v) for v in row]) for row in rows))
            result.sent += len(rows)
            result.done = len(rows) < want
            if budget is not None:
                budget -= len(rows)
        self.channel.send(
            *map(protocol.notice_response, result.notices),
            protocol.command_complete(result.tag()) if result.command else protocol.EMPTY_QUERY,
        )

    # -- simple query protocol ----------------------------------------------------------------------
    def _query(self, body: protocol.Body) -> None:
        text = body.cstring()
        offset = 0
        try:
            statements = self.cursor.statements_of(text)
            if not statements:
                self.channel.send(protocol.EMPTY_QUERY)
            for sql in statements:
                offset = text.index(sql, offset)
                result = self._run(sql)
                if result.columns is not None:
                    self.channel.send(protocol.row_description(result.columns))
                self._send_rows(result)
        except errors.Error as exc:
            self._error(exc, text[offset:], offset)
        self.channel.send(protocol.ready_for_query(self.transaction))

    # -- extended query protocol --------------------------------------------------------------------
    def _parse(self, body: protocol.Body) -> None:
        name, query = body.cstring(), body.cstring()
        oids = [body.int32() for _ in range(body.int16())]
        if name and name in self.statements:
            raise ServerError("42P05", f'prepared statement "{name}" already exists')
        self.statements[name] = Prepared(query, oids)
        self.channel.send(protocol.PARSE_COMPLETE)

    def _bind(self, body: protocol.Body) -> None:
        portal, name = body.cstring(), body.cstring()
        prepared = self._prepared(name)
        formats = [body.int16() for _ in range(body.int16())]
        values = []
        for _ in range(body.int16()):
            length = body.int32()
            values.append(None if length < 0 else body.take(length))
        if any(body.int16() for _ in range(body.int16())):
            raise ServerError("0A000", "binary result format is not supported; ask for text results")
        oids = prepared.parameter_oids + [0] * (len(values) - len(prepared.parameter_oids))
        try:
            params = [
                types.decode_parameter(
                    value, oids[i], (formats[i] if len(formats) > 1 else formats[0] if formats else 0) == 1
                )
                for i, value in enumerate(values)
            ]
        except (ValueError, IndexError, UnicodeDecodeError) as exc:
            raise ServerError("22P02", f"invalid parameter value: {exc}") from None
        self.portals[portal] = self._run(prepared.query, params or None)
        self.channel.send(protocol.BIND_COMPLETE)

    def _prepared(self, name: str) -> Prepared:
        if name not in self.statements:
            raise ServerError("26000", f'prepared statement "{name}" does not exist')
        return self.statements[name]

    def _describe(self, body: protocol.Body) -> None:
        kind, name = body.take(1), body.cstring()
        if kind == b"S":
            prepared = self._prepared(name)
            count = prepared.parameter_count()
            oids = [oid or types.TEXT for oid in prepared.parameter_oids] + [types.TEXT] * (
                count - len(prepared.parameter_oids)
            )
            self.channel.send(protocol.parameter_description(oids))
            columns = self._columns_of(prepared.query, count)
        else:
            columns = self._portal(name).columns
        self.channel.send(protocol.NO_DATA if columns is None else protocol.row_description(columns))

    def _columns_of(self, query: str, parameters: int):
        """The columns a query would return (run with NULL parameters and no rows), None for other statements."""
        first = SessionCursor.words(query)
        if not first or first[0] not in _QUERY_WORDS:
            return None
        return self._run(f"SELECT * FROM ({query}) AS described LIMIT 0", [None] * parameters or None).columns

    def _portal(self, name: str) -> Result:
        if name not in self.portals:
            raise ServerError("34000", f'portal "{name}" does not exist')
        return self.portals[name]

    def _execute(self, body: protocol.Body) -> None:
        name, limit = body.cstring(), body.int32()
        self._send_rows(self._portal(name), max(limit, 0))

    def _close(self, body: protocol.Body) -> None:
        kind, name = body.take(1), body.cstring()
        (self.statements if kind == b"S" else self.portals).pop(name, None)
        self.channel.send(protocol.CLOSE_COMPLETE)

    def _sync(self, body: protocol.Body) -> None:
        self.portals.pop("", None)
        self.channel.send(protocol.ready_for_query(self.transaction))
