"""Statement-level entry points: splitting, ML detection and parsing with SqlmlDialect."""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from sqlml.errors import ProgrammingError, SqlSyntaxError
from sqlml.parser.dialect import SqlmlDialect, is_ml_call, ml_statement_prefix

_ML_KEYWORD = re.compile(r"\bML\s*(?:\.|--|/\*)|\bMODELS?\b", re.IGNORECASE)
_BLANKS_AND_COMMENTS = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.DOTALL)
_LEADING_WORDS = re.compile(r"\w+(?:\s+\w+){0,3}")
_EXPLAIN = re.compile(rf"EXPLAIN\b{_BLANKS_AND_COMMENTS.pattern}(?:ANALY[SZ]E\b{_BLANKS_AND_COMMENTS.pattern})?"
                      rf"(?:\(\s*(?:ANALY[SZ]E|FORMAT)\b[^()]*\){_BLANKS_AND_COMMENTS.pattern})?", re.IGNORECASE | re.DOTALL)
_DIALECT = SqlmlDialect()
MAX_NESTING = 32  # levels of (), [] and {} an ML statement may nest (see _check_nesting)
_OPENING = (TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE)
_CLOSING = (TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE)


def leading_words(sql: str) -> list[str]:
    """The first words (up to four, upper-cased) of a statement, after blanks and comments: what a front
    end needs to name or classify it (`CREATE TABLE`, `SHOW`) without parsing it."""
    run = _LEADING_WORDS.match(sql, _BLANKS_AND_COMMENTS.match(sql).end())
    return run.group().upper().split() if run else []


def explain_prefix(sql: str) -> str:
    """The `EXPLAIN [ANALYZE] [(options)]` starting a statement (with the blanks and comments around it), or
    '': the statement it explains follows it."""
    match = _EXPLAIN.match(sql, _BLANKS_AND_COMMENTS.match(sql).end())
    return sql[:match.end()] if match else ""


def _line_col(sql: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line_start = sql.rfind("\n", 0, offset) + 1
    return sql.count("\n", 0, offset) + 1, offset - line_start + 1


def _tokenize(sql: str) -> list[Token]:
    tokenizer = _DIALECT.tokenizer()
    try:
        return tokenizer.tokenize(sql)
    except TokenError:
        # The bad token starts after the last good one (and any blanks or comments).
        done = tokenizer.tokens
        offset = _BLANKS_AND_COMMENTS.match(sql, done[-1].end + 1 if done else 0).end()
        snippet = sql[offset : offset + 20]
        raise SqlSyntaxError(
            f"Invalid or unterminated token near '{snippet}'", *_line_col(sql, offset)
        ) from None


def _check_nesting(sql: str, tokens: list[Token]) -> None:
    """SqlSyntaxError at the bracket that opens level MAX_NESTING + 1: the parser recurses about 25 Python
    frames per level, so deeper statements would exhaust Python's default recursion limit (1000)."""
    depth = 0
    for token in tokens:
        if token.token_type in _OPENING:
            depth += 1
            if depth > MAX_NESTING:
                raise SqlSyntaxError(f"statement nested too deeply: more than {MAX_NESTING} levels of "
                                     "parentheses or brackets", *_line_col(sql, token.start))
        elif token.token_type in _CLOSING:
            depth -= 1


def split_statements(sql: str) -> list[str]:
    """Split at top-level semicolons (not those in strings, quoted names or comments).

    Returns each statement's original text, stripped; statements without tokens are dropped.
    """
    statements, start, has_tokens = [], 0, False
    for token in _tokenize(sql):
        if token.token_type == TokenType.SEMICOLON:
            if has_tokens:
                statements.append(sql[start : token.start].strip())
            start, has_tokens = token.end + 1, False
        else:
            has_tokens = True
    if has_tokens:
        statements.append(sql[start:].strip())
    return statements


def has_ml_keyword(sql: str) -> bool:
    """Cheap raw-text test: could the text contain an ML construct? (false positives allowed)."""
    return search_in_slices(_ML_KEYWORD, sql) is not None


def search_in_slices(pattern: re.Pattern, text: str, overlap: int = 4096, size: int = 1 << 20) -> re.Match | None:
    """pattern.search(text), a slice of `size` characters at a time (each reaching `overlap` characters into
    the next: a longer match across a slice's end is missed), so that the other threads of a server run
    between slices: one search holds Python's lock for as long as the text is long."""
    for start in range(0, max(len(text), 1), size):
        found = pattern.search(text, start, start + size + overlap)
        if found:
            return found
    return None


def is_ml_statement(sql: str) -> bool:
    """Whether ONE statement is a model statement or calls ``ML.<name>(`` (tokenizes only)."""
    tokens = _tokenize(sql)
    return ml_statement_prefix(tokens) is not None or any(
        is_ml_call(tokens, index) for index in range(len(tokens))
    )


def parse_statement(sql: str) -> exp.Expr:
    """Parse ONE statement: a model node, or a sqlglot tree that may contain MLFunction nodes.

    Raises SqlSyntaxError (1-based line/col of the offending token) for invalid input.
    """
    tokens = _tokenize(sql)
    while tokens and tokens[-1].token_type == TokenType.SEMICOLON:
        tokens.pop()
    if not tokens:
        raise SqlSyntaxError("Empty statement", 1, 1)
    for before, token in zip(tokens, tokens[1:]):
        if before.token_type == TokenType.SEMICOLON:
            raise SqlSyntaxError("Expected a single statement", *_line_col(sql, token.start))
    _check_nesting(sql, tokens)
    try:
        return _DIALECT.parser().parse(tokens, sql)[0]
    except RecursionError:  # deep nesting without brackets (NOT NOT ..., CASE WHEN ... CASE ...)
        raise ProgrammingError("statement nested too deeply to parse; simplify it") from None
    except ParseError as error:
        details = error.errors[0] if error.errors else {}
        if details.get("start") is not None:  # set by SqlmlParser.raise_error
            line, col = _line_col(sql, details["start"])
        else:
            line, col = details.get("line") or 1, details.get("col") or 1
        raise SqlSyntaxError(details.get("description") or str(error), line, col) from error
