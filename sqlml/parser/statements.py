"""Statement-level entry points: splitting, ML detection and parsing with SqlmlDialect."""

from __future__ import annotations

import functools
import re

from sqlglot import Dialect, exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from sqlml.errors import ProgrammingError, SqlSyntaxError
from sqlml.parser.dialect import SqlmlDialect, is_ml_call, ml_statement_prefix

_DIALECT = SqlmlDialect()
MAX_NESTING = 32  # levels of (), [] and {} an ML statement may nest (see _check_nesting)
_OPENING = (TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE)
_CLOSING = (TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE)


def _line_col(sql: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line_start = sql.rfind("\n", 0, offset) + 1
    return sql.count("\n", 0, offset) + 1, offset - line_start + 1


@functools.cache
def _blanks_and_comments(comments: tuple[str | tuple[str, str], ...]) -> re.Pattern[str]:
    """Blanks and the comments a tokenizer skips (DuckDB: --, /* */; BigQuery also #)."""
    kinds = [r"\s+"] + [
        f"{re.escape(kind[0])}.*?{re.escape(kind[1])}" if isinstance(kind, tuple) else rf"{re.escape(kind)}[^\n]*"
        for kind in comments
    ]
    return re.compile(f"(?:{'|'.join(kinds)})*", re.DOTALL)


def tokenize(sql: str, dialect: Dialect = _DIALECT) -> list[Token]:
    """The tokens of `sql`; SqlSyntaxError (line/col) where an invalid or unterminated token starts."""
    tokenizer = dialect.tokenizer()
    try:
        return tokenizer.tokenize(sql)
    except TokenError:
        # The bad token starts after the last good one (and any blanks or comments).
        done = tokenizer.tokens
        skipped = _blanks_and_comments(tuple(dialect.tokenizer_class.COMMENTS))
        offset = skipped.match(sql, done[-1].end + 1 if done else 0).end()
        snippet = sql[offset : offset + 20]
        raise SqlSyntaxError(f"Invalid or unterminated token near '{snippet}'", *_line_col(sql, offset)) from None


def _check_nesting(sql: str, tokens: list[Token]) -> None:
    """SqlSyntaxError at the bracket that opens level MAX_NESTING + 1: the parser recurses about 25 Python
    frames per level, so deeper statements would exhaust Python's default recursion limit (1000)."""
    depth = 0
    for token in tokens:
        if token.token_type in _OPENING:
            depth += 1
            if depth > MAX_NESTING:
                raise SqlSyntaxError(
                    f"statement nested too deeply: more than {MAX_NESTING} levels of parentheses or brackets",
                    *_line_col(sql, token.start),
                )
        elif token.token_type in _CLOSING:
            depth -= 1


class StatementReader:
    """The statements of a text given in pieces that join at line breaks (the shell's lines): each piece is
    tokenized once, with the earlier text only while that ends in an unterminated string, quoted name or
    comment (a token never spans a line break otherwise)."""

    def __init__(self) -> None:
        self.text = ""
        self.error: SqlSyntaxError | None = None  # the text ends in an unterminated token
        self._spans: list[tuple[int, int]] = []  # (start, end) of each statement with tokens that `;` ended
        self._read = 0  # text[:_read] is tokenized
        self._start, self._has_tokens = 0, False  # where the statement being read starts; whether it has tokens

    def add(self, piece: str) -> None:
        """Read `piece`, which follows the text so far (from a line break, unless the text is empty)."""
        self.text += piece
        try:
            tokens = tokenize(self.text[self._read :])
        except SqlSyntaxError as exc:
            self.error = exc
            return
        for token in tokens:
            if token.token_type == TokenType.SEMICOLON:
                if self._has_tokens:
                    self._spans.append((self._start, self._read + token.start))
                self._start, self._has_tokens = self._read + token.end + 1, False
            else:
                self._has_tokens = True
        self._read, self.error = len(self.text), None

    def extended(self, text: str) -> StatementReader:
        """A reader of `text`: this one when `text` is its text, or that and more from a line break; else a
        new one."""
        rest = text[len(self.text) :]
        if text.startswith(self.text) and (rest[:1] == "\n" or not rest):
            if rest:
                self.add(rest)
            return self
        reader = StatementReader()
        reader.add(text)
        return reader

    @property
    def has_tokens(self) -> bool:
        """Whether the text holds any SQL token (an unterminated string or comment counts)."""
        return bool(self._spans) or self._has_tokens or self.error is not None

    @property
    def complete(self) -> bool:
        """Whether the text ends its last statement with a `;` outside strings, quoted names and comments
        (text without statements is complete too): a token on a new line would start a new statement."""
        return self.error is None and not self._has_tokens

    def statements(self) -> list[str]:
        """Each statement's original text, stripped (the last one also if no `;` ends it)."""
        spans = self._spans + ([(self._start, len(self.text))] if self._has_tokens else [])
        return [self.text[start:end].strip() for start, end in spans]


def split_statements(sql: str) -> list[str]:
    """Split at top-level semicolons (not those in strings, quoted names or comments).

    Returns each statement's original text, stripped; statements without tokens are dropped. SqlSyntaxError
    for an unterminated string, quoted name or comment.
    """
    reader = StatementReader()
    reader.add(sql)
    if reader.error is not None:
        raise reader.error
    return reader.statements()


def is_ml_statement(sql: str) -> bool:
    """Whether ONE statement is a model statement or calls ``ML.<name>(`` (tokenizes only)."""
    tokens = tokenize(sql)
    return ml_statement_prefix(tokens) is not None or any(is_ml_call(tokens, index) for index in range(len(tokens)))


def parse_statement(sql: str, dialect: Dialect = _DIALECT) -> exp.Expr:
    """Parse ONE statement: a model node, or a sqlglot tree that may contain MLFunction nodes (in sqlml's
    DuckDB dialect, or another dialect with the ML statements such as the BigQuery one).

    Raises SqlSyntaxError (1-based line/col of the offending token) for invalid input.
    """
    tokens = tokenize(sql, dialect)
    while tokens and tokens[-1].token_type == TokenType.SEMICOLON:
        tokens.pop()
    if not tokens:
        raise SqlSyntaxError("Empty statement", 1, 1)
    for before, token in zip(tokens, tokens[1:]):
        if before.token_type == TokenType.SEMICOLON:
            raise SqlSyntaxError("Expected a single statement", *_line_col(sql, token.start))
    _check_nesting(sql, tokens)
    try:
        return dialect.parser().parse(tokens, sql)[0]
    except RecursionError:  # deep nesting without brackets (NOT NOT ..., CASE WHEN ... CASE ...)
        raise ProgrammingError("statement nested too deeply to parse; simplify it") from None
    except ParseError as error:
        details = error.errors[0] if error.errors else {}
        if details.get("start") is not None:  # set by MLStatementsMixin.raise_error
            line, col = _line_col(sql, details["start"])
        else:
            line, col = details.get("line") or 1, details.get("col") or 1
        raise SqlSyntaxError(details.get("description") or str(error), line, col) from error


def call_end(sql: str, start: int, over: bool) -> int:
    """The offset just past the function call whose name starts at `start` (`ML.NAME(...)`), and past the
    `OVER (...)` that follows it when `over`."""
    depth, groups = 0, 2 if over else 1
    for token in tokenize(sql[start:]):
        if token.token_type in _OPENING:
            depth += 1
        elif token.token_type in _CLOSING:
            depth -= 1
            if depth == 0:
                groups -= 1
                if not groups:
                    return start + token.end + 1
    raise ProgrammingError("unterminated function call")  # the statement parsed, so never reached
