"""Tab completion in the interactive shell: SQL keywords, tables, columns, models, ML function names,
OPTIONS names and dot commands."""

from __future__ import annotations

import re

from prompt_toolkit.completion import Completer, Completion

from sqlml.errors import Error
from sqlml.shell.commands import COMMANDS

_WORD = re.compile(r"[\w.]*$")
_SQLML_KEYWORDS = ["MODEL", "MODELS", "OPTIONS", "TRANSFORM", "EXPORT", "HPARAM_RANGE", "HPARAM_CANDIDATES"]


class ShellCompleter(Completer):
    """Completes the word before the cursor; names come from the database, read again after each
    statement (`refresh`)."""

    def __init__(self, shell):
        self.shell = shell
        session = shell.session
        self.fixed = sorted(
            {
                *(k.upper() for (k,) in self._rows("SELECT keyword_name FROM duckdb_keywords()")),
                *_SQLML_KEYWORDS,
                *session.ml_functions(),
                *session.option_names(),
            }
        )
        self.names: list[str] | None = None

    def _rows(self, sql: str) -> list[tuple]:
        try:
            return self.shell.query(sql)
        except Error:
            return []

    def refresh(self) -> None:
        self.names = None

    def words(self) -> list[str]:
        if self.names is None:
            found = self._rows(
                "SELECT table_name, column_name FROM duckdb_columns() WHERE NOT internal AND "
                f"schema_name <> '{self.shell.session.catalog_schema}' "
                "AND database_name = current_database()"
            )
            models = [row[1] for row in self._rows("SHOW MODELS")]  # (schema_name, model_name, ...)
            self.names = sorted({name for row in found for name in row} | set(models))
        return self.names + self.fixed

    def get_completions(self, document, complete_event):
        before = document.text_before_cursor
        word = _WORD.search(before).group()
        if not word:
            return
        if word.startswith(".") and before.strip() == word:
            candidates = list(COMMANDS)
        else:
            candidates = self.words()
        for candidate in candidates:
            if candidate.lower().startswith(word.lower()) and candidate.lower() != word.lower():
                yield Completion(candidate, -len(word))
