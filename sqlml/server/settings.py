"""What a client may change: the settings of its own session, never those of the served database.

DuckDB settings belong to the database instance every client shares (threads, memory_limit, ...) or to one
connection (search_path, TimeZone, default_order set by SET SESSION, ...). Each client has a connection of
its own, so a session setting changes that client alone. `session_only` makes every SET and RESET a client
sends a SESSION one (DuckDB itself then refuses an option that can only be global), refuses SET GLOBAL and
the PRAGMAs (and CALLs of them) that change more than the caller's own session, and checks the statement of
an EXPLAIN the same way (EXPLAIN ANALYZE runs it). Of sqlml's own settings a client changes its dialect
(sqlml_dialect), never the cluster of the server's one Session (sqlml_cluster, sqlml_cluster_dir: `sqlml serve
--cluster`).

DuckDB's own parser finds the statements, so comments, quoting or several statements in one text cannot hide
one, and each statement checked is rebuilt from the words that were checked: DuckDB runs nothing else.
"""

from __future__ import annotations

import re

from sqlml import errors
from sqlml.engine.session import SHARED_SETTINGS, SessionCursor, search_in_slices
from sqlml.server.sqlstate import ServerError

# every statement checked here has one of these words (DuckDB's keywords are ASCII, set off by non-word characters)
_MAY_CHANGE = re.compile(r"\b(?:set|reset|pragma|call|explain)\b", re.I)
_SET, _PRAGMA, _CALL, _EXPLAIN = "SET", "PRAGMA", "CALL", "EXPLAIN"  # DuckDB's statement types
# DuckDB's PRAGMAs that read, or change the caller's own session (the others change the database instance:
# checkpoint_on_shutdown, object_cache, force_checkpoint, parquet keys, ...)
_SESSION_PRAGMAS = {
    "collations",
    "database_list",
    "database_size",
    "extension_versions",
    "functions",
    "metadata_info",
    "platform",
    "show",
    "show_databases",
    "show_tables",
    "show_tables_expanded",
    "storage_info",
    "table_info",
    "user_agent",
    "version",
    "enable_profile",
    "enable_profiling",
    "disable_profile",
    "disable_profiling",
    "enable_progress_bar",
    "disable_progress_bar",
    "enable_print_progress_bar",
    "disable_print_progress_bar",
    "enable_optimizer",
    "disable_optimizer",
}
_GLOBAL_ONLY = re.compile(
    r'^(?:Catalog Error: option "[^"]*" cannot be (?:set|reset) locally|Invalid Input Error: '
    r'Setting "[^"]*" cannot be set as a session variable)'
)
_SHARED = "it would change the settings of every client of the server (a client may change its own session's only)"


def session_only(cursor: SessionCursor, sql: str) -> str:
    """`sql` as a client may run it on its `cursor`: each SET and RESET a SESSION one. ServerError (42501) for
    a statement that would change the database for every client."""
    if not search_in_slices(_MAY_CHANGE, sql):
        return sql
    # what DuckDB will be given: the whole text, or each statement of a text with ML statements (the Session
    # runs these one by one; an ML statement is not DuckDB's and cannot set anything)
    pieces = cursor.pieces(sql)
    checked = [_checked_piece(cursor, piece) for piece in pieces]
    return sql if checked == pieces else ";\n".join(checked)


def explained(exc: errors.Error) -> errors.Error:
    """DuckDB's refusal of a SESSION setting of a global option, as the server's refusal (42501)."""
    return ServerError("42501", f"{exc}: {_SHARED}") if _GLOBAL_ONLY.search(str(exc)) else exc


def _checked_piece(cursor: SessionCursor, text: str) -> str:
    try:
        statements = cursor.duckdb_statements(text)
    except errors.Error:
        return text  # DuckDB cannot run it either
    if not any(kind in (_SET, _PRAGMA, _CALL, _EXPLAIN) for kind, _ in statements):
        return text
    return "".join(_checked_statement(cursor, kind, query) for kind, query in statements)


def _checked_statement(cursor: SessionCursor, kind: str, text: str) -> str:
    if kind == _SET:
        return _set(text)
    if kind in (_PRAGMA, _CALL):
        return _pragma(cursor, text)
    if kind == _EXPLAIN:
        return _explain(cursor, text)
    return text


# a name, a quoted name or string, or one other character; blanks and -- comments between them
_TOKEN = re.compile(r"""\w++|"(?:[^"]|"")*+"|'(?:[^']|'')*+'|\S""")
_BLANKS = re.compile(r"(?:\s++|--[^\n]*+)*+")
_COMMENT_MARKS = re.compile(r"/\*|\*/")


def _head(text: str, verbs: tuple[str, ...], count: int) -> list[tuple[str, int, int]]:
    """The first `count` tokens (at most) of a statement DuckDB found, as (text, start, end), read as DuckDB
    reads them: /* */ comments nest. It must start with one of `verbs` and go on; else ServerError."""
    found, at = [], 0
    while len(found) < count:
        at = _BLANKS.match(text, at).end()
        if text.startswith("/*", at):
            at = _comment_end(text, at)
            continue
        token = _TOKEN.match(text, at)
        if token is None:
            break
        found.append((token.group(), token.start(), token.end()))
        at = token.end()
    if len(found) < 2 or found[0][0].upper() not in verbs:
        raise _unchecked(text)
    return found


def _unchecked(text: str) -> ServerError:
    return ServerError("42501", f"the server cannot check this statement, so it does not run it: {text.strip()[:80]}")


def _comment_end(text: str, at: int) -> int:
    depth = 0
    for mark in _COMMENT_MARKS.finditer(text, at):
        depth += 1 if mark.group() == "/*" else -1
        if depth == 0:
            return mark.end()
    return len(text)


def _set(text: str) -> str:
    """SET / RESET [SESSION | GLOBAL | LOCAL | VARIABLE] name ..., PRAGMA name = value: made SESSION."""
    (verb, _, _), (scope, start, end), *name = _head(text, ("SET", "RESET", "PRAGMA"), 3)
    verb, scope = verb.upper(), scope.upper()
    setting = (name[0][0] if name and scope in ("SESSION", "LOCAL", "GLOBAL") else scope).lower()
    if setting in SHARED_SETTINGS:
        raise ServerError(
            "42501",
            f"{verb} {setting} is not allowed: every client shares the server's cluster, set when it starts "
            "(`sqlml serve DATABASE --cluster local | tcp://host:port --cluster-dir DIR`); a model trains in the "
            "server's process with OPTIONS(compute = 'LOCAL')",
        )
    if scope == "GLOBAL":
        raise ServerError("42501", f"{verb} GLOBAL is not allowed: {_SHARED}")
    if verb == "PRAGMA":
        return "SET SESSION " + text[start:]
    if scope in ("SESSION", "LOCAL", "VARIABLE"):  # DuckDB refuses SET LOCAL; a variable is the session's
        return f"{verb} {scope}" + text[end:]
    return f"{verb} SESSION " + text[start:]


def _pragma(cursor: SessionCursor, text: str) -> str:
    """PRAGMA name[...] and CALL [schema.]name(...): refused if name is a PRAGMA that changes the database."""
    found = _head(text, ("PRAGMA", "CALL"), 6)
    last = 1
    while last + 2 < len(found) and found[last + 1][0] == ".":
        last += 2
    verb, name = found[0][0].upper(), found[last][0].lower()
    if name not in _SESSION_PRAGMAS and (verb == "PRAGMA" or _is_pragma(cursor, name)):
        raise ServerError(
            "42501",
            f"PRAGMA {name} is not allowed: it changes the database for every client "
            "of the server (PRAGMAs that read, or change the client's own session, are)",
        )
    return f"{verb} " + text[found[1][1] :]


def _is_pragma(cursor: SessionCursor, name: str) -> bool:
    other = cursor.session.cursor()  # a cursor of its own: the client's may hold a result
    try:
        other.execute(
            "SELECT count(*) FROM duckdb_functions() WHERE function_type = 'pragma' AND lower(function_name) = ?",
            [name],
            dialect="duckdb",
        )
        return other.fetchone()[0] > 0
    finally:
        other.close()


def _explain(cursor: SessionCursor, text: str) -> str:
    """EXPLAIN [ANALYZE] [(options)] statement: the statement checked as a client's own."""
    found = _head(text, ("EXPLAIN",), 64)
    start = 2 if found[1][0].upper() in ("ANALYZE", "ANALYSE") else 1
    if start < len(found) and found[start][0] == "(":
        depth, end = 0, start
        for end in range(start, len(found)):
            depth += {"(": 1, ")": -1}.get(found[end][0], 0)
            if depth == 0:
                break
        start = end + 1
    if start >= len(found):
        raise _unchecked(text)
    head = " ".join(token for token, _, _ in found[:start])
    return f"{head} {session_only(cursor, text[found[start][1] :])}"
