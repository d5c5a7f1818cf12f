"""SQL parsing for sqlml: DuckDB SQL plus BigQuery-ML-style model statements and ML.<FN>()."""

from sqlml.parser.dialect import SqlmlDialect
from sqlml.parser.nodes import (
    AlterModel,
    CreateModel,
    DescribeModel,
    DropModel,
    ExportModel,
    MLFunction,
    ShowModels,
)
from sqlml.parser.statements import (
    StatementReader,
    explain_prefix,
    has_ml_keyword,
    is_ml_statement,
    leading_words,
    parse_statement,
    split_statements,
)

__all__ = [
    "AlterModel",
    "CreateModel",
    "DescribeModel",
    "DropModel",
    "ExportModel",
    "MLFunction",
    "ShowModels",
    "SqlmlDialect",
    "StatementReader",
    "explain_prefix",
    "has_ml_keyword",
    "is_ml_statement",
    "leading_words",
    "parse_statement",
    "split_statements",
]
