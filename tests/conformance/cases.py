"""Reads the conformance cases: tests/conformance/cases/*.sql, one file per BigQuery ML page.

A file starts with `-- page: <the page's address>`, optional `-- adapted ...` comment lines that hold for all its
cases, and optional `-- given: <one statement>` lines: the model a reference page's examples take as existing
("assume a model `mydataset.mymodel` trained on ..."), made before the file's first case. Each case starts with
`-- case: <name>` followed by its header lines and then ONE statement as the page writes it:

    -- columns: a, b, c             the result's column names, in order (`-- columns: none`: DDL or DML, only run)
    -- magnitude: a ~ 227.01        the first row's `a` is within a factor of 10 of the page's number
    -- equals: a = bin_3            the first row's `a` equals the page's value (numbers to 1e-3 relative)
    -- types: TIMESTAMP, FLOAT64    the columns' BigQuery types, in the order of `columns` (as the page documents them)
    -- rows: 30                     the result's row count
    -- holds: bool_and(lo <= value) a DuckDB SQL boolean over the result (a table named `result`), run by DuckDB
    -- refused: NotSupportedError   sqlml refuses the statement with this sqlml.errors class (docs/bigquery.md says why)
    -- adapted: ...                 what differs from the page's text, and why
    -- page: <address>              this case's page, when it is not the file's

`{tmp}` in a statement is replaced by a scratch directory (the pages' `gs://` paths). Files run in name order,
cases in file order: a case may use the models and views of the cases before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

CASES_DIR = Path(__file__).parent / "cases"
HEADER = re.compile(r"--\s*(page|given|case|columns|types|rows|holds|refused|magnitude|equals|adapted):\s*(.*?)\s*$")


@dataclass
class Case:
    page: str  # the page's address
    file: str  # the case file's stem
    name: str
    statement: str = ""
    columns: list[str] | None = None  # None: no result set
    types: list[str] | None = None
    rows: int | None = None
    holds: list[str] = field(default_factory=list)
    refused: str | None = None  # the sqlml.errors class of a statement sqlml refuses
    magnitudes: dict[str, float] = field(default_factory=dict)
    equals: dict[str, str] = field(default_factory=dict)
    adapted: list[str] = field(default_factory=list)
    given: tuple[str, ...] = ()  # the file's `-- given:` statements

    @property
    def id(self) -> str:
        return f"{self.file}::{self.name}"


def load() -> list[Case]:
    """Every case of every file, files in name order."""
    return [case for path in sorted(CASES_DIR.glob("*.sql")) for case in _read(path)]


def _read(path: Path) -> list[Case]:
    page, given, cases, body = None, [], [], []
    for line in path.read_text().splitlines():
        header = HEADER.match(line)
        if header and (header[1] in ("page", "case") or not body):
            key, value = header.groups()
            if key == "page" and cases:
                cases[-1].page = value  # a case from another page than its file's
            elif key == "page":
                page = value
            elif key == "given" and not cases:
                given.append(value)
            elif key == "case":
                _finish(cases, body)
                body = []
                cases.append(Case(page=page, file=path.stem, name=value, given=tuple(given)))
            elif cases:
                _add(cases[-1], key, value)
        elif cases and (body or line.strip()):
            body.append(line)
    _finish(cases, body)
    if page is None or not cases:
        raise ValueError(f"{path.name}: needs a '-- page:' line and at least one '-- case:'")
    return cases


def _add(case: Case, key: str, value: str) -> None:
    if key == "columns":
        case.columns = None if value == "none" else [name.strip() for name in value.split(",")]
    elif key == "types":
        case.types = [name.strip() for name in re.split(r",(?![^<]*>)", value)]
    elif key == "rows":
        case.rows = int(value)
    elif key == "holds":
        case.holds.append(value)
    elif key == "refused":
        case.refused = value
    elif key == "magnitude":
        name, number = value.split("~")
        case.magnitudes[name.strip()] = float(number)
    elif key == "equals":
        name, expected = value.split("=", 1)
        case.equals[name.strip()] = expected.strip()
    else:
        case.adapted.append(value)


def _finish(cases: list[Case], body: list[str]) -> None:
    if cases:
        text = "\n".join(body).strip()
        cases[-1].statement = text[:-1].rstrip() if text.endswith(";") else text
        if not cases[-1].statement:
            raise ValueError(f"case {cases[-1].id} has no statement")
