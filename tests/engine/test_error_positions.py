"""DuckDB's error positions point into the statement as the user wrote it (issue 19, item 6), whatever sqlml
ran in its place: CREATE MODEL's query alone, an ML function's input alone, the outer query with the calls
spliced out, parameters replaced by variables. The expected caret is found in the user's text by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sqlml

PENGUINS = Path(__file__).resolve().parents[2] / "sql_examples" / "data" / "penguins.csv"


@pytest.fixture(scope="module")
def con():
    connection = sqlml.connect()
    connection.execute(f"CREATE TABLE penguins AS FROM read_csv('{PENGUINS}', nullstr = 'NA')")
    connection.execute(
        "CREATE MODEL m OPTIONS(model_type='logistic_reg', input_label_cols=['species']) AS "
        "SELECT species, island FROM penguins"
    )
    yield connection
    connection.close()


def caret(error: Exception) -> tuple[int, str, int, int]:
    """(line number, line text, caret column, caret width) of the LINE block ending an error message."""
    line, text, spaces, carets = re.search(r"\n\nLINE (\d+): (.*)\n( *)(\^+)$", str(error)).groups()
    return int(line), text, len(spaces) - len(f"LINE {line}: "), len(carets)


CASES = [
    (
        "CREATE MODEL m1 OPTIONS(model_type='logistic_reg', input_label_cols=['species']) AS "
        "SELECT species, islnd FROM penguins",
        "islnd",
        None,
    ),
    (
        "CREATE MODEL m1 OPTIONS(model_type='logistic_reg',\n  input_label_cols=['species']) AS\n"
        "SELECT species,\n    islnd FROM penguins",
        "islnd",
        None,
    ),
    ("SELECT nosuch FROM ML.PREDICT(MODEL m, TABLE penguins)", "nosuch", None),
    ("SELECT * FROM ML.PREDICT(MODEL m, (SELECT species, islnd FROM penguins)) WHERE x = 1", "islnd", None),
    ("SELECT * FROM ML.PREDICT(MODEL m, TABLE penguinz)", "penguinz", None),
    ("SELECT * FROM ML.EVALUATE(MODEL m, (SELECT species, islnd FROM penguins))", "islnd", None),
    ("SELECT predicted_species FROM ML.PREDICT(MODEL m, TABLE penguins) WHERE nosuch > 1", "nosuch", None),
    # parameters become longer variable references before DuckDB sees the text
    ("SELECT ?, nosuch FROM ML.PREDICT(MODEL m, (SELECT ? AS a, * FROM penguins))", "nosuch", [1, 2]),
    ("SELECT * FROM ML.PREDICT(MODEL m, (SELECT ? AS a, ? AS b, islnd FROM penguins))", "islnd", [1, 2]),
]


@pytest.mark.parametrize("sql, culprit, params", CASES)
def test_the_caret_points_at_the_culprit_in_the_users_statement(con, sql, culprit, params):
    with pytest.raises(sqlml.ProgrammingError) as caught:
        con.execute(sql, params)
    message = str(caught.value)
    assert "__sqlml" not in message and "getvariable" not in message  # nothing of what sqlml ran instead
    offset = sql.index(culprit)
    line_start = sql.rfind("\n", 0, offset) + 1
    assert caret(caught.value) == (
        sql.count("\n", 0, offset) + 1,
        sql[line_start:].split("\n")[0],
        offset - line_start,
        len(culprit),
    )


def test_locating_an_error_leaves_the_users_transaction_usable(con):
    """The position of an error from DuckDB's relation API is found by binding the text again on a cursor of its
    own: a failed bind on the user's cursor would abort the transaction (which sees its own new table below;
    that other cursor does not, so an error about such a table keeps DuckDB's message without a caret)."""
    cur = con.cursor()
    cur.execute("BEGIN")
    cur.execute("CREATE TABLE fresh AS SELECT 1 AS x")
    with pytest.raises(sqlml.ProgrammingError, match="LINE 1: .* AS SELECT island, nosuch FROM penguins"):
        cur.execute(
            "CREATE MODEL m2 OPTIONS(model_type='linear_reg', input_label_cols=['x']) AS "
            "SELECT island, nosuch FROM penguins"
        )
    with pytest.raises(sqlml.ProgrammingError, match='"nosuch" not found'):
        cur.execute(
            "CREATE MODEL m2 OPTIONS(model_type='linear_reg', input_label_cols=['x']) AS SELECT x, nosuch FROM fresh"
        )
    assert cur.execute("SELECT x FROM fresh").fetchall() == [(1,)]
    cur.execute("ROLLBACK")
