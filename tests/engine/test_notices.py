"""Notices: what the user should know about a result travels with it (issue 19, item 3): ML.EVALUATE of a
model that held no rows out says its metrics come from training rows, in the DB-API's `messages` and on the
shell's stderr; BigQuery ML's metric columns stay as they are."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import sqlml

PENGUINS = Path(__file__).resolve().parents[2] / "sql_examples" / "data" / "penguins.csv"
LOAD = f"CREATE TABLE p AS FROM read_csv('{PENGUINS}', nullstr = 'NA')"
TRAIN = (
    "CREATE MODEL s OPTIONS(model_type='logistic_reg', input_label_cols=['species']{}) AS "
    "SELECT * EXCLUDE (year) FROM p"
)


@pytest.mark.parametrize(
    "split, held_out",
    [
        ("", False),
        (", data_split_method='NO_SPLIT'", False),
        (", data_split_method='RANDOM', data_split_eval_fraction=0.25", True),
    ],
)
def test_evaluate_says_when_its_metrics_come_from_training_rows(split, held_out):
    with sqlml.connect() as con:
        cur = con.cursor()
        cur.execute(LOAD)
        cur.execute(TRAIN.format(split))
        cur.execute("SELECT * FROM ML.EVALUATE(MODEL s)")
        assert [d[0] for d in cur.description] == ["precision", "recall", "accuracy", "f1_score", "log_loss", "roc_auc"]
        ((eval_rows,),) = cur.execute("SELECT eval_rows FROM sqlml.model_versions").fetchall()
        assert (eval_rows > 0) == held_out
        if held_out:
            assert cur.execute("SELECT * FROM ML.EVALUATE(MODEL s)").messages == []
        else:
            cur.execute("SELECT * FROM ML.EVALUATE(MODEL s)")
            [(kind, text)] = cur.messages
            assert kind is sqlml.Warning and "held no rows out" in text and "344 training rows" in text
        assert cur.execute("SELECT * FROM ML.EVALUATE(MODEL s, TABLE p)").messages == []  # rows given
        assert cur.execute("SELECT 1").messages == []  # a notice belongs to its statement


def test_the_shell_prints_the_notice_after_the_result(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "sqlml.cli",
            "-c",
            f"{LOAD}; {TRAIN.format('')}; SELECT round(accuracy, 2) AS accuracy FROM ML.EVALUATE(MODEL s)",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert "accuracy" in run.stdout and run.stderr.startswith("Notice: model main.s version 1 held no rows out")


@pytest.mark.parametrize(
    "model_type, label, warned",
    [
        ("boosted_tree_classifier", "body_mass_g", "model_type='boosted_tree_regressor'"),
        ("logistic_reg", "mass_band", "model_type='linear_reg'"),
        ("boosted_tree_classifier", "species", None),  # a string label: its values are classes
        ("logistic_reg", "year", None),  # three numeric values
    ],
)
def test_a_classifier_on_a_label_with_hundreds_of_numbers_is_warned_about(model_type, label, warned):
    """(issue 19, item 8) body_mass_g trained silently as a 94-class problem."""
    with sqlml.connect() as con:
        cur = con.cursor()
        cur.execute(LOAD)
        cur.execute("ALTER TABLE p ADD COLUMN mass_band INTEGER; UPDATE p SET mass_band = body_mass_g // 150")
        distinct = cur.execute(f"SELECT count(DISTINCT {label}) FROM p").fetchone()[0]
        cur.execute(
            f"CREATE MODEL c OPTIONS(model_type='{model_type}', input_label_cols=['{label}'], max_iterations=2) "
            "AS SELECT * FROM p"
        )
        created = cur.messages
        described = cur.execute("DESCRIBE MODEL c").messages
    if warned is None:
        assert created == described == []
    else:
        [(kind, text)] = created
        assert kind is sqlml.Warning and f"label '{label}'" in text and f"{distinct} distinct numeric values" in text
        assert warned in text and described == created
