"""Cheap tests of raw text, before any tokenizing: could a text hold an ML construct, a statement's first words,
an EXPLAIN prefix. They load no sqlglot: every statement a front end runs passes here first."""

from __future__ import annotations

import re

_ML_KEYWORD = re.compile(r"\bML\s*(?:\.|--|/\*)|\bMODELS?\b", re.IGNORECASE)
BLANKS_AND_COMMENTS = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.DOTALL)
# before a statement's first word, GoogleSQL's `#` comments too (no DuckDB statement starts with `#`)
LEADING_BLANKS = re.compile(r"(?:\s+|--[^\n]*|#[^\n]*|/\*.*?\*/)*", re.DOTALL)
_SLICE = 1 << 20  # characters a search holds Python's lock for at most (see search_in_slices)
_LEADING_WORDS = re.compile(r"\w+(?:\s+\w+){0,3}")
_EXPLAIN = re.compile(
    rf"EXPLAIN\b{BLANKS_AND_COMMENTS.pattern}(?:ANALY[SZ]E\b{BLANKS_AND_COMMENTS.pattern})?"
    rf"(?:\(\s*(?:ANALY[SZ]E|FORMAT)\b[^()]*\){BLANKS_AND_COMMENTS.pattern})?",
    re.IGNORECASE | re.DOTALL,
)


def leading_words(sql: str) -> list[str]:
    """The first words (up to four, upper-cased) of a statement, after blanks and comments: what a front
    end needs to name or classify it (`CREATE TABLE`, `SHOW`) without parsing it."""
    run = _LEADING_WORDS.match(sql, LEADING_BLANKS.match(sql).end())
    return run.group().upper().split() if run else []


def explain_prefix(sql: str) -> str:
    """The `EXPLAIN [ANALYZE] [(options)]` starting a statement (with the blanks and comments around it), or
    '': the statement it explains follows it."""
    match = _EXPLAIN.match(sql, BLANKS_AND_COMMENTS.match(sql).end())
    return sql[: match.end()] if match else ""


def has_ml_keyword(sql: str) -> bool:
    """Cheap raw-text test: could the text contain an ML construct? (false positives allowed)."""
    if len(sql) <= _SLICE:  # most texts: one search
        return _ML_KEYWORD.search(sql) is not None
    return search_in_slices(_ML_KEYWORD, sql) is not None


def search_in_slices(pattern: re.Pattern, text: str, overlap: int = 4096, size: int = _SLICE) -> re.Match | None:
    """pattern.search(text), a slice of `size` characters at a time (each reaching `overlap` characters into
    the next: a longer match across a slice's end is missed), so that the other threads of a server run
    between slices: one search holds Python's lock for as long as the text is long."""
    for start in range(0, max(len(text), 1), size):
        found = pattern.search(text, start, start + size + overlap)
        if found:
            return found
    return None
