"""Syntax errors speak SQL (issue 19, item 5): no sqlglot class names or token reprs, and the line and column of
the token at fault, for mistakes inside ML statements (plain SQL's errors are DuckDB's own)."""

from __future__ import annotations

import pytest

from sqlml.errors import SqlSyntaxError
from sqlml.parser import parse_statement

PREDICT = "SELECT * FROM ML.PREDICT(MODEL m1, ({}))"


@pytest.mark.parametrize(
    "query, message, caret",
    [
        ("SELECT * FROM penguins WHERE a >> 1 AND AND b = 2", "Expected an expression after 'AND'", "AND b = 2"),
        ("SELECT * FROM t WHERE ", "Expected an expression after 'WHERE'", "))"),
        ("SELECT 1 +", "Expected an expression after '+'", "))"),
        ("SELECT NOT FROM t", "Expected an expression after 'NOT'", "FROM t"),
        ("SELECT x FROM t WHERE x BETWEEN 1 AND", "Expected an expression after 'AND'", "))"),
        ("SELECT x = FROM t", "Expected an expression after '='", "FROM t"),
    ],
)
def test_a_missing_operand_is_named_in_sql_words_at_its_position(query, message, caret):
    sql = PREDICT.format(query)
    with pytest.raises(SqlSyntaxError) as caught:
        parse_statement(sql)
    text = str(caught.value)
    assert text.startswith(message) and "<class" not in text and "sqlglot" not in text
    assert (caught.value.line, caught.value.col) == (1, sql.rindex(caret) + 1)


def test_the_line_and_column_count_from_the_statement_start_across_lines():
    sql = "SELECT *\nFROM ML.PREDICT(MODEL m1, (SELECT *\n  FROM t WHERE x > AND y))"
    with pytest.raises(SqlSyntaxError, match="Expected an expression after '>'") as caught:
        parse_statement(sql)
    assert (caught.value.line, caught.value.col) == (3, len("  FROM t WHERE x > ") + 1)
