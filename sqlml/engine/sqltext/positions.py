"""DuckDB's error positions pointed back at the statement as the user wrote it.

DuckDB ends an error about a place in a query with `LINE n: <text>` and a caret line, counted in the text it
ran. sqlml runs texts derived from the user's statement: parameters replaced by variables, ML function calls
spliced out, a slice of it run alone (CREATE MODEL's query, an ML function's input). An `Origin` says how a
text derives from the statement, and `located` rewrites DuckDB's LINE block to point into the statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

_LINE_BLOCK = re.compile(r"\n\nLINE (\d+): (.*)\n( *)(\^+)\s*$")
_ELLIPSIS = "..."
_LOCATOR = "PREPARE __sqlml_locate AS\n"  # binds a query without running it; its own line comes first


@dataclass(frozen=True)
class Origin:
    """A text derived from `statement`: the slice starting at `start` (of the text `within` derives, else of
    the statement itself), with `splices` (start, end, new length) made in that slice, in its offsets."""

    statement: str
    start: int = 0
    splices: tuple[tuple[int, int, int], ...] = ()
    within: Origin | None = None

    def offset(self, position: int) -> int:
        """The statement offset of a position in the derived text (inside a splice: where it starts)."""
        shift = 0
        for start, end, length in sorted(self.splices):
            if position < start + shift:
                break
            if position < start + shift + length:
                position = start + shift
                break
            shift += length - (end - start)
        position = self.start + position - shift
        return self.within.offset(position) if self.within else position

    def derive(self, start: int, splices: list[tuple[int, int, int]] = ()) -> Origin:
        """The origin of a text derived from this one's: its slice at `start`, with `splices`."""
        return Origin(self.statement, start, tuple(splices), self)


def _caret_offset(text: str, line: int, shown: str, column: int) -> int | None:
    """The offset in `text` of DuckDB's caret: at `column` of the `shown` part of line `line`."""
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return None
    content = lines[line - 1]
    if shown.startswith(_ELLIPSIS):
        shown, column = shown[len(_ELLIPSIS) :], column - len(_ELLIPSIS)
    shown = shown[: -len(_ELLIPSIS)] if shown.endswith(_ELLIPSIS) else shown
    found = content.find(shown)
    if found < 0 or column < 0:
        return None
    return sum(len(before) + 1 for before in lines[: line - 1]) + found + column


def _block(statement: str, offset: int, width: int) -> str:
    """A LINE block for `statement` with `width` carets at `offset`."""
    line_start = statement.rfind("\n", 0, offset) + 1
    line_end = statement.find("\n", offset)
    content = statement[line_start : line_end if line_end >= 0 else len(statement)]
    prefix = f"LINE {statement.count(chr(10), 0, offset) + 1}: "
    column = offset - line_start
    carets = "^" * max(1, min(width, len(content) - column))
    return f"\n\n{prefix}{content}\n{' ' * (len(prefix) + column)}{carets}"


def relocate(message: str, text: str, origin: Origin, line_shift: int = 0) -> str | None:
    """`message` with its LINE block about `text` rewritten to point into the user's statement."""
    match = _LINE_BLOCK.search(message)
    if match is None:
        return None
    line, shown, spaces, carets = int(match.group(1)) - line_shift, match.group(2), match.group(3), match.group(4)
    position = _caret_offset(text, line, shown, len(spaces) - len(f"LINE {match.group(1)}: "))
    if position is None:
        return None
    return message[: match.start()] + _block(origin.statement, origin.offset(position), len(carets))


def _bound_again(cur: duckdb.DuckDBPyConnection, text: str, origin: Origin, message: str) -> str | None:
    """`message` with a LINE block found by binding `text` again, on a cursor of its own (a failed PREPARE
    would abort the user's open transaction), when that gives the same error."""
    with cur.cursor() as locator:
        try:
            locator.execute(_LOCATOR + text)
        except duckdb.Error as again:
            if str(again).split("\n\nLINE ")[0] == message:
                return relocate(str(again), text, origin, line_shift=1)
    return None


@contextmanager
def located(cur: duckdb.DuckDBPyConnection, text: str, origin: Origin | None) -> Iterator[None]:
    """Run DuckDB work on `text` (derived as `origin` says), its errors pointing into the user's statement.
    An error without a position (DuckDB's relation API gives none) gets one by binding `text` again."""
    try:
        yield
    except duckdb.Error as exc:
        if origin is None:
            raise
        message = str(exc)
        moved = relocate(message, text, origin)
        if moved is None and not _LINE_BLOCK.search(message):
            moved = _bound_again(cur, text, origin, message)
        if moved is None:
            raise
        raise type(exc)(moved) from None
