"""Result sets as text, in the DuckDB CLI's output modes: box, table, csv, json, markdown, line.

box and table draw at most `max_rows` rows (the first and last halves, with a footer such as
"100 rows (40 shown)") and, given a width, elide middle columns so the table fits (footer
"12 columns (5 shown)"). The other modes write every row as it is fetched.
"""

from __future__ import annotations

import csv
import datetime
import json
import math
from collections import deque
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import TextIO

from wcwidth import wcwidth

MODES = ("box", "table", "csv", "json", "markdown", "line")
FETCH_ROWS = 2048
MAX_CELL = 40  # a column is cut to this width (or narrower) only when the table is wider than the screen
_BOX = {"top": "┌┬┐", "middle": "├┼┤", "bottom": "└┴┘", "line": "─", "bar": "│"}
_TABLE = {"top": "+++", "middle": "+++", "bottom": "+++", "line": "-", "bar": "|"}


def rows_of(fetch: Callable[[int], list[tuple]]) -> Iterator[tuple]:
    """Every row of a result, fetched FETCH_ROWS at a time."""
    while chunk := fetch(FETCH_ROWS):
        yield from chunk


_ESCAPES = str.maketrans({"\n": "\\n", "\r": "\\r", "\t": "\\t"})  # one cell stays one line of known width


def blob_text(value: bytes | bytearray | memoryview) -> str:
    """A BLOB as DuckDB spells it: printable ASCII as is, other bytes as \\xAA."""
    return "".join(chr(b) if 32 <= b < 127 and b != 92 else f"\\x{b:02X}" for b in bytes(value))


def text(value) -> str:
    """A value as the box, table, markdown and line modes show it (DuckDB's spelling of NULL, booleans
    and BLOBs; newlines and tabs escaped)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return blob_text(value)
    return str(value).translate(_ESCAPES)


def _is_number(value) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _numeric_columns(names: list[str], rows: list[tuple]) -> list[bool]:
    return [
        all(_is_number(row[i]) for row in rows if row[i] is not None) and any(row[i] is not None for row in rows)
        for i in range(len(names))
    ]


def display_width(cell: str) -> int:
    """The columns `cell` takes on a terminal (wide characters 2, combining and control characters 0), as
    prompt_toolkit counts them; without importing prompt_toolkit, which a script run does not need."""
    if cell.isascii() and cell.isprintable():
        return len(cell)
    return sum(max(0, wcwidth(c)) for c in cell)


def _cut(cell: str, width: int) -> str:
    if display_width(cell) <= width:
        return cell
    while display_width(cell) > width - 1:
        cell = cell[:-1]
    return cell + "…"


def _pad(cell: str, width: int, right: bool) -> str:
    gap = " " * (width - display_width(cell))
    return gap + cell if right else cell + gap


def _fit_columns(widths: list[int], width: int | None) -> tuple[list[int], list[int]]:
    """(the widths, the indices of the columns shown; -1 marks the elided middle) for a screen `width`."""
    span = lambda ws: sum(w + 3 for w in ws) + 1
    if width is None or span(widths) <= width:
        return widths, list(range(len(widths)))
    widths = [min(w, MAX_CELL) for w in widths]
    if span(widths) <= width:
        return widths, list(range(len(widths)))
    left, right = [], []  # keep columns from both ends, alternately, while they fit beside a "…" column
    for i in range(len(widths)):
        side, index = (left, len(left)) if i % 2 == 0 else (right, len(widths) - 1 - len(right))
        if span([widths[j] for j in left + right] + [widths[index], 1]) > width:
            break
        side.append(index)
    if not left:  # not even one column fits: show the first one, cut to the screen
        widths[0] = max(1, width - 8)
        left = [0]
    return widths, left + [-1] + right[::-1]


def grid(
    names: list[str], fetch: Callable[[int], list[tuple]], max_rows: int, width: int | None, style: str = "box"
) -> str:
    """A box (or ASCII `style` "table") of the result; max_rows 0 shows every row."""
    head, tail, total = [], deque(maxlen=max_rows // 2 if max_rows else 0), 0
    first = max_rows - max_rows // 2 if max_rows else None
    for row in rows_of(fetch):
        total += 1
        (head if first is None or len(head) < first else tail).append(row)
    rows = head + list(tail)
    numeric = _numeric_columns(names, rows)
    cells = [[text(v) for v in row] for row in rows]
    widths = [max([display_width(n)] + [display_width(r[i]) for r in cells]) for i, n in enumerate(names)]
    widths, shown = _fit_columns(widths, width)
    chars = _BOX if style == "box" else _TABLE
    w = [1 if i < 0 else widths[i] for i in shown]

    def rule(kind: str) -> str:
        left, mid, right = chars[kind]
        return left + mid.join(chars["line"] * (x + 2) for x in w) + right

    def line(values: list[str], align: list[bool]) -> str:
        parts = [_pad(_cut(values[i] if i >= 0 else "…", x), x, i >= 0 and align[i]) for i, x in zip(shown, w)]
        return chars["bar"] + chars["bar"].join(f" {p} " for p in parts) + chars["bar"]

    out = [rule("top"), line(names, numeric), rule("middle")]
    out += [line(r, numeric) for r in cells[: len(head)]]
    if total > len(rows):
        dots = ["·"] * len(names)
        out += [line(dots, numeric)] * 3
    out += [line(r, numeric) for r in cells[len(head) :]]
    out.append(rule("bottom"))
    footer = []
    if total > len(rows):
        footer.append(f"{total} rows ({len(rows)} shown)")
    if -1 in shown:
        footer.append(f"{len(names)} columns ({len(shown) - 1} shown)")
    if footer:
        out.append("  ".join(footer))
    return "\n".join(out)


def _json_value(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (datetime.date, datetime.time, datetime.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return blob_text(value)
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def write_json(names: list[str], fetch, out: TextIO) -> None:
    """A JSON array with one object per row, one row a line (as DuckDB's json mode)."""
    first = True
    for row in rows_of(fetch):
        record = json.dumps({n: _json_value(v) for n, v in zip(names, row)}, ensure_ascii=False)
        out.write(("[" if first else ",\n") + record)
        first = False
    out.write("[]\n" if first else "]\n")


def write_csv(names: list[str], fetch, out: TextIO) -> None:
    """A header line, then the rows; NULL is an empty field, booleans true/false."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows_of(fetch):
        writer.writerow(["" if v is None else text(v) if isinstance(v, bool) else v for v in row])


def write_line(names: list[str], fetch, out: TextIO) -> None:
    """Each row as `name = value` lines, rows separated by a blank line."""
    width = max(map(display_width, names), default=0)
    for i, row in enumerate(rows_of(fetch)):
        out.write(("\n" if i else "") + "".join(f"{_pad(n, width, True)} = {text(v)}\n" for n, v in zip(names, row)))


def markdown(names: list[str], fetch) -> str:
    """A Markdown (GitHub) table; numbers right-aligned."""
    rows = list(rows_of(fetch))
    numeric = _numeric_columns(names, rows)
    cells = [[text(v).replace("|", "\\|") for v in row] for row in [tuple(names)] + rows]
    widths = [max(3, *(display_width(r[i]) for r in cells)) for i in range(len(names))]
    line = lambda r: "| " + " | ".join(_pad(c, w, num) for c, w, num in zip(r, widths, numeric)) + " |"
    rule = "|" + "|".join("-" * (w + 1) + (":" if num else "-") for w, num in zip(widths, numeric)) + "|"
    return "\n".join([line(cells[0]), rule, *map(line, cells[1:])])


def write(
    mode: str, names: list[str], fetch: Callable[[int], list[tuple]], out: TextIO, max_rows: int, width: int | None
) -> None:
    """Write a result set to `out` in `mode` (one of MODES)."""
    if mode in ("box", "table"):
        out.write(grid(names, fetch, max_rows, width, mode) + "\n")
    elif mode == "markdown":
        out.write(markdown(names, fetch) + "\n")
    else:
        {"csv": write_csv, "json": write_json, "line": write_line}[mode](names, fetch, out)
