"""A model card (engine/functions/model_card.py gathers it) as a structure, and rendered: `markdown`, or `html_page`
with inline SVG plots. In HTML every text is escaped; in Markdown every character that could start markup is
backslash-escaped, so neither form runs markup a description, a name or a value carries."""

from __future__ import annotations

import datetime
import html
import json
import math
import re
from dataclasses import dataclass

# ---- the card as a structure ----------------------------------------------------------------------------


@dataclass
class Table:
    columns: list[str]
    rows: list[list]


@dataclass
class Code:
    text: str


@dataclass
class Curve:
    """A line plot on [0, 1] x [0, 1] (the diagonal drawn for reference); HTML only."""

    title: str
    x_label: str
    y_label: str
    points: list[tuple[float, float]]


@dataclass
class Bars:
    """A horizontal bar chart of non-negative values; HTML only."""

    title: str
    labels: list[str]
    values: list[float]


@dataclass
class Lines:
    """Lines over points 0 .. len(times) - 1 (a time series, its forecast), each line a value or None per point, a
    band shaded between two of them; HTML only."""

    title: str
    times: list[str]  # the points' labels; the first and the last are shown under the axis
    lines: dict[str, list[float | None]]
    band: tuple[str, str] | None = None  # (lower, upper): names of two lines drawn as a shaded band


Block = str | list | Table | Code | Curve | Bars | Lines  # a str is a paragraph, a list of str a bullet list


@dataclass
class Section:
    title: str
    blocks: list[Block]


@dataclass
class Card:
    title: str
    sections: list[Section]


# ---- rendering --------------------------------------------------------------------------------------------


def text_of(value) -> str:
    """A value as a card shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else f"{value:.6g}"
    if isinstance(value, datetime.datetime):
        return value.isoformat(" ", "seconds")
    if isinstance(value, (list, dict)):
        return json.dumps(value, default=str)
    return str(value)


def category_of(value) -> str:
    return "NULL" if value is None else text_of(value)


# what can start Markdown (CommonMark, GFM) anywhere: a backslash, code, emphasis, a link or image, HTML or an
# autolink, strikethrough, a heading's closing #, an entity, a `_` that is not inside a word
INLINE_MARKUP = re.compile(r"[\\`*\[\]<~#]|&(?=#?\w+;)|(?<![^\W_])_|_(?![^\W_])")
BLOCK_MARKUP = re.compile(r"^(\d*)([-+>.)])")  # and at the start of a block: a list item, a quote


def _md(text: str, cell: bool = False) -> str:
    """Text for Markdown, on one line, shown as itself: a backslash before each character that could start
    markup, and in a table cell before `|` too."""
    text = INLINE_MARKUP.sub(r"\\\g<0>", " ".join(str(text).split()))
    return text.replace("|", "\\|") if cell else BLOCK_MARKUP.sub(r"\1\\\2", text)


def markdown(card: Card) -> str:
    lines = [f"# {_md(card.title)}"]
    for section in card.sections:
        lines += ["", f"## {_md(section.title)}"]
        for block in section.blocks:
            if isinstance(block, str):
                lines += ["", _md(block)]
            elif isinstance(block, list):
                lines += [""] + [f"- {_md(item)}" for item in block]
            elif isinstance(block, Table):
                lines += [
                    "",
                    "| " + " | ".join(_md(c, cell=True) for c in block.columns) + " |",
                    "|" + "---|" * len(block.columns),
                ]
                lines += ["| " + " | ".join(_md(text_of(v), cell=True) for v in row) + " |" for row in block.rows]
            elif isinstance(block, Code):
                fence = "`" * max(3, 1 + max((len(r) for r in re.findall("`+", block.text)), default=0))
                lines += ["", f"{fence}sql", block.text, fence]
    return "\n".join(lines) + "\n"


STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.2rem .5rem;"
    "text-align:left}th{background:#f3f3f3}pre{background:#f6f6f6;padding:.5rem;overflow-x:auto}"
    "svg{display:block;margin:.5rem 0}"
)


def html_page(card: Card) -> str:
    title = html.escape(card.title)
    parts = [
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/><title>{title}</title>'
        f"<style>{STYLE}</style></head><body><h1>{title}</h1>"
    ]
    for section in card.sections:
        parts.append(f"<section><h2>{html.escape(section.title)}</h2>")
        parts += [_html_block(block) for block in section.blocks]
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _html_block(block: Block) -> str:
    if isinstance(block, str):
        return f"<p>{html.escape(block)}</p>"
    if isinstance(block, list):
        return "<ul>" + "".join(f"<li>{html.escape(item)}</li>" for item in block) + "</ul>"
    if isinstance(block, Table):
        head = "".join(f"<th>{html.escape(c)}</th>" for c in block.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(text_of(v))}</td>" for v in row) + "</tr>" for row in block.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if isinstance(block, Code):
        return f"<pre><code>{html.escape(block.text)}</code></pre>"
    if isinstance(block, Curve):
        return _curve_svg(block)
    if isinstance(block, Lines):
        return _lines_svg(block)
    return _bars_svg(block)


def _number(x: float) -> str:
    return f"{x:.6g}"


def _curve_svg(curve: Curve) -> str:
    """The curve drawn in data units: the polyline's points are the (x, y) values themselves."""
    size, left, top = 300, 50, 30
    points = " ".join(f"{_number(x)},{_number(y)}" for x, y in curve.points)
    ticks = "".join(
        f'<text x="{left + t * size}" y="{top + size + 16}" text-anchor="middle">{t}</text>'
        f'<text x="{left - 6}" y="{top + (1 - t) * size + 4}" text-anchor="end">{t}</text>'
        for t in (0, 0.5, 1)
    )
    line = 'fill="none" vector-effect="non-scaling-stroke"'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size + left + 20}" height="{size + top + 45}" '
        f'font-size="12" role="img"><title>{html.escape(curve.title)}</title>'
        f'<text x="{left}" y="16" font-weight="bold">{html.escape(curve.title)}</text>'
        f'<g transform="translate({left} {top + size}) scale({size} {-size})">'
        f'<rect x="0" y="0" width="1" height="1" stroke="#999" {line}/>'
        f'<line x1="0" y1="0" x2="1" y2="1" stroke="#bbb" stroke-dasharray="4 4" {line}/>'
        f'<polyline class="curve" points="{points}" stroke="#1f6fb4" stroke-width="2" {line}/></g>{ticks}'
        f'<text x="{left + size / 2}" y="{top + size + 36}" text-anchor="middle">{html.escape(curve.x_label)}'
        f'</text><text transform="translate(14 {top + size / 2}) rotate(-90)" text-anchor="middle">'
        f"{html.escape(curve.y_label)}</text></svg>"
    )


def _bars_svg(bars: Bars) -> str:
    row, label_width, width = 20, 8 * min(30, max((len(s) for s in bars.labels), default=1)) + 10, 300
    largest = max(bars.values, default=0.0) or 1.0
    items = "".join(
        f'<text x="{label_width - 6}" y="{30 + i * row + 13}" text-anchor="end">{html.escape(label)}</text>'
        f'<rect class="bar" x="{label_width}" y="{30 + i * row + 2}" width="{_number(width * value / largest)}" '
        f'height="{row - 5}" fill="#1f6fb4"><title>{html.escape(label)}: {_number(value)}</title></rect>'
        for i, (label, value) in enumerate(zip(bars.labels, bars.values))
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_width + width + 20}" '
        f'height="{40 + row * len(bars.labels)}" font-size="12" role="img"><title>{html.escape(bars.title)}'
        f'</title><text x="0" y="16" font-weight="bold">{html.escape(bars.title)}</text>{items}</svg>'
    )


COLORS = ("#1f6fb4", "#d9480f", "#2b8a3e", "#862e9c", "#e67700")


def _lines_svg(plot: Lines) -> str:
    """Each line a polyline in data units (x the point's position, y its value) over every point it has a value
    for; the band a polygon; the axis labelled with the first and last time and the lowest and highest value."""
    width, height, left, top = 560, 200, 60, 30
    values = [v for line in plot.lines.values() for v in line if v is not None and math.isfinite(v)]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    high = high if high > low else low + 1.0
    last = max(len(plot.times) - 1, 1)
    scale = f"translate({left} {top + height}) scale({_number(width / last)} {_number(-height / (high - low))}) " + (
        f"translate(0 {_number(-low)})"
    )

    def points(name: str) -> list[str]:
        return [f"{i},{_number(v)}" for i, v in enumerate(plot.lines[name]) if v is not None and math.isfinite(v)]

    line = 'fill="none" vector-effect="non-scaling-stroke"'
    shapes = []
    if plot.band:
        lower, upper = plot.band
        shapes.append(
            f'<polygon class="band" points="{" ".join(points(upper) + points(lower)[::-1])}" fill="#1f6fb4" '
            'fill-opacity="0.15" stroke="none"/>'
        )
    drawn = [name for name in plot.lines if not plot.band or name not in plot.band]
    shapes += [
        f'<polyline class="line" data-name="{html.escape(name)}" points="{" ".join(points(name))}" '
        f'stroke="{COLORS[i % len(COLORS)]}" stroke-width="1.5" {line}/>'
        for i, name in enumerate(drawn)
    ]
    legend = "".join(
        f'<text x="{left + 110 * i}" y="{top + height + 34}" fill="{COLORS[i % len(COLORS)]}">{html.escape(name)}</text>'
        for i, name in enumerate(drawn)
    )
    first, final = (html.escape(plot.times[0]), html.escape(plot.times[-1])) if plot.times else ("", "")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + left + 20}" height="{height + top + 45}" '
        f'font-size="12" role="img"><title>{html.escape(plot.title)}</title>'
        f'<text x="{left}" y="16" font-weight="bold">{html.escape(plot.title)}</text>'
        f'<rect x="{left}" y="{top}" width="{width}" height="{height}" fill="none" stroke="#999"/>'
        f'<g transform="{scale}">{"".join(shapes)}</g>'
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{_number(high)}</text>'
        f'<text x="{left - 6}" y="{top + height + 4}" text-anchor="end">{_number(low)}</text>'
        f'<text x="{left}" y="{top + height + 16}">{first}</text>'
        f'<text x="{left + width}" y="{top + height + 16}" text-anchor="end">{final}</text>{legend}</svg>'
    )
