"""SQL parsing for sqlml: DuckDB SQL plus BigQuery-ML-style model statements and ML.<FN>().

Names load their module when first used (PEP 562): the raw-text tests of `keywords` need no sqlglot, and a
plain query never loads it."""

from __future__ import annotations

import importlib

_HOMES = {
    "SqlmlDialect": "dialect",
    **dict.fromkeys(
        ("AlterModel", "CreateModel", "DescribeModel", "DropModel", "ExportModel", "MLFunction", "ShowModels"), "nodes"
    ),
    **dict.fromkeys(("StatementReader", "is_ml_statement", "parse_statement", "split_statements"), "statements"),
    **dict.fromkeys(("explain_prefix", "has_ml_keyword", "leading_words", "search_in_slices"), "keywords"),
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'sqlml.parser' has no attribute {name!r}")
    return getattr(importlib.import_module(f"sqlml.parser.{_HOMES[name]}"), name)
