"""A mistyped name gets the closest known one suggested (issue 19, item 7); a name close to nothing gets none."""

from __future__ import annotations

import pytest

import sqlml


@pytest.mark.parametrize("typed, suggested", [("PREDICTT", "ML.PREDICT"), ("EVALUTE", "ML.EVALUATE"),
                                              ("explain_prediction", "ML.EXPLAIN_PREDICT"), ("FOO", None)])
def test_an_unknown_ml_function(con, typed, suggested):
    with pytest.raises(sqlml.ProgrammingError, match=f"unknown function ML.{typed.upper()}") as caught:
        con.execute(f"SELECT * FROM ML.{typed}(MODEL m, TABLE t)")
    hint = f'Did you mean "{suggested}"?' if suggested else "Did you mean"
    assert (hint in str(caught.value)) == (suggested is not None)
