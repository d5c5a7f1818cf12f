"""The manual is executable and complete: every SQL block, Python snippet and `sqlml` command line in
README.md and docs/*.md runs; the OPTIONS tables of docs/model_types.md state the defaults the code has;
every statement, ML function, model type and EXPORT option has its section or row; every relative link
points at an existing file and heading."""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

import pytest

import sqlml
from sqlml.cli import main as cli_main
from sqlml.engine.families import FAMILIES
from sqlml.engine.functions.registry import ML_FUNCTIONS
from sqlml.engine.model_statements import STATEMENTS
from sqlml.export.options import EXPORT_OPTIONS
from sqlml.parser import split_statements

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)
SHELL_PROMPT = re.compile(r"^(sqlml>|   \.\.\.>) ")


# pages whose python and bash blocks need a live server: tests/server/test_server_docs.py runs those
LIVE_SERVER_PAGES = {"server.md"}


def blocks(page: Path, language: str) -> list[str]:
    if page.name in LIVE_SERVER_PAGES and language in ("python", "bash"):
        return []
    return [body for lang, body in FENCE.findall(page.read_text()) if lang == language]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A scratch directory that sees the repository's sql_examples/ (as the docs' paths expect)."""
    (tmp_path / "sql_examples").symlink_to(ROOT / "sql_examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _documented_defaults() -> dict[str, dict[str, str]]:
    """section heading -> {option: first backticked value (or 'NULL') of its default cell}."""
    sections = {}
    for section in re.split(r"^## ", (ROOT / "docs" / "model_types.md").read_text(), flags=re.M)[1:]:
        heading, _, body = section.partition("\n")
        rows = {}
        for match in re.finditer(r"^\| (`\w+`(?:, `\w+`)*)\s*\|[^|]*\|([^|]*)\|", body, re.M):
            cell = match.group(2).strip()
            value = re.match(r"`([^`]*)`", cell)
            for option in re.findall(r"`(\w+)`", match.group(1)):
                rows[option] = value.group(1) if value else cell
        sections[heading] = rows
    return sections


def _same(documented: str, default) -> bool:
    if default is None:
        return documented.startswith("NULL")
    if isinstance(default, bool):
        return documented == str(default).upper()
    if isinstance(default, (int, float)):
        return float(documented) == default
    if isinstance(default, list):
        return ast.literal_eval(documented) == default
    return documented == default


@pytest.mark.parametrize("model_type", list(FAMILIES))
def test_every_option_is_documented_with_its_default(model_type):
    sections = _documented_defaults()
    supervised = FAMILIES[model_type].supervised
    relevant = {
        name: rows
        for name, rows in sections.items()
        if model_type in name or "every model type" in name or (supervised and "every supervised model type" in name)
    }
    for option, default in FAMILIES[model_type].defaults().items():
        cells = [rows[option] for rows in relevant.values() if option in rows]
        assert cells, f"{option} of {model_type} is not documented"
        assert all(cell == "as above" or _same(cell, default) for cell in cells), (option, cells, default)


def headings(page: Path, level: str = "##") -> list[str]:
    """The page's headings of one level, outside code blocks."""
    text = FENCE.sub("", page.read_text())
    return re.findall(rf"^{level} (.+)$", text, re.M)


def heading_names(page: Path) -> set[str]:
    """The names a page's `## ` headings document: `## ML.A, ML.B` names ML.A and ML.B; the part before
    `(` or `:` counts (`## onnx (importing a model)` documents onnx)."""
    return {name.strip() for heading in headings(page) for name in re.split(r"[(:]", heading)[0].split(",")}


def test_every_ml_function_has_its_section():
    documented = heading_names(ROOT / "docs" / "functions.md")
    missing = [f"ML.{name}" for name in ML_FUNCTIONS if f"ML.{name}" not in documented]
    assert not missing, f"docs/functions.md has no '## ML.<NAME>' section for {missing}"


def test_every_statement_has_its_section():
    documented = heading_names(ROOT / "docs" / "statements.md")
    statements = {" ".join(re.findall(r"[A-Z][a-z]+", name)).upper() for name in STATEMENTS}
    assert "CREATE MODEL" in statements and len(statements) == len(STATEMENTS)
    assert statements <= documented, f"docs/statements.md has no section for {statements - documented}"


def test_every_model_type_has_its_section():
    documented = heading_names(ROOT / "docs" / "model_types.md")
    model_types = set(FAMILIES)
    assert model_types <= documented, f"docs/model_types.md has no section for {model_types - documented}"


def test_every_export_option_is_documented_with_its_default():
    section = (ROOT / "docs" / "statements.md").read_text().split("## EXPORT MODEL", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `(\w+)` \|[^|]*\| ([^|]*) \|", section, re.M))
    assert set(rows) == set(EXPORT_OPTIONS)
    for option, default in ((name, spec.default) for name, spec in EXPORT_OPTIONS.items()):
        if option == "uri":
            assert rows[option] == "required"
        elif option in ("quantize", "format"):
            assert rows[option].strip("`'").upper() == default
        elif default is not None and option != "version":  # version 0 and None: "the active version", per task
            assert _same(rows[option].strip("`"), default), (option, rows[option], default)


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors for the page's headings: lower case, punctuation dropped, spaces as hyphens."""
    return {
        re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", FENCE.sub("", page.read_text()), re.M)
    }


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_point_at_existing_files_and_headings(page):
    text = FENCE.sub("", page.read_text())
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    broken = []
    for link in links:
        if re.match(r"[a-z]+:", link):
            continue  # http:, https:, mailto:
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            broken.append(link)
        elif anchor and target.suffix == ".md" and anchor not in _anchors(target):
            broken.append(link)
    assert not broken, f"{page.name}: broken links {broken}"


def _modules_named_in_the_architecture_table() -> set[str]:
    """The modules the table of docs/architecture.md's `## Modules` names, as paths under sqlml/: a cell's
    first name gives the directory of the bare file names after it (`engine/functions/predict.py`, `evaluate.py`)."""
    section = (ROOT / "docs" / "architecture.md").read_text().split("## Modules", 1)[1].split("\n## ", 1)[0]
    named = set()
    for cell in re.findall(r"^\| ([^|]*) \|", section, re.M):
        directory = ""
        for name in re.findall(r"`([\w/]+\.py)`", cell):
            directory = name.rpartition("/")[0] if "/" in name else directory
            named.add(name if "/" in name else f"{directory}/{name}".lstrip("/"))
    return named


def test_architecture_names_every_module():
    modules = {
        path.relative_to(ROOT / "sqlml").as_posix()
        for path in (ROOT / "sqlml").rglob("*.py")
        if path.name != "__init__.py"
    }
    named = _modules_named_in_the_architecture_table()
    assert (
        "engine/functions/evaluate.py" in named
    )  # the shorthand `engine/functions/predict.py`, `evaluate.py` is understood
    assert not modules - named, f"docs/architecture.md's module table lacks {sorted(modules - named)}"
    assert not named - modules, f"docs/architecture.md names modules that do not exist: {sorted(named - modules)}"


def typed_in_the_shell(page: Path) -> list[str]:
    """The SQL typed in the page's shell sessions (```text blocks of `sqlml> ` and `   ...> ` lines), without
    the dot commands and the shell's answers."""
    typed = []
    for block in blocks(page, "text"):
        lines = [SHELL_PROMPT.sub("", line) for line in block.splitlines() if SHELL_PROMPT.match(line)]
        if block.startswith("sqlml> "):
            typed.append("\n".join(line for line in lines if not line.startswith(".")))
    return typed


def _sqlml(line: str) -> int:
    """Exit status of a `sqlml ...` command line of the docs, run in this process."""
    try:
        return cli_main(shlex.split(line)[1:])
    except SystemExit as exc:  # --help
        return exc.code or 0


def _run_page(page: Path, con) -> None:
    """Everything a reader runs from one page: its `sqlml` command lines (not `sqlml serve`), its SQL blocks
    (typed into one database), its Python blocks."""
    for block in blocks(page, "bash"):
        for line in block.splitlines():
            if line.startswith("sqlml ") and not line.startswith("sqlml serve"):
                assert _sqlml(line) == 0, f"{page.name}: {line}"
    cur = con.cursor()
    for block in blocks(page, "sql") + typed_in_the_shell(page):
        for statement in split_statements(block):
            try:
                cur.execute(statement)
            except sqlml.Error as exc:
                raise AssertionError(f"{page.name}: {statement}\n{exc}") from None
            if cur.description is not None:
                cur.fetchall()
    for block in blocks(page, "python"):
        exec(compile(block, str(page), "exec"), {})


@pytest.mark.parametrize("order", ["forward", "backward"])
def test_every_page_runs_after_any_other_in_one_directory(order, workdir):
    """Every SQL block, Python block and `sqlml` command line of README.md and docs/ runs, as a reader works
    through the manual in any order, in one directory and one database: no page's tables, models or files
    collide with another's (after the README's first command, as a reader runs it first)."""
    assert cli_main(["demo.duckdb", "sql_examples/01_regression_cars.sql"]) == 0
    with sqlml.connect("manual.duckdb") as con:
        for page in PAGES if order == "forward" else PAGES[::-1]:
            _run_page(page, con)
