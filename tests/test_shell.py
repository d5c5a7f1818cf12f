"""The `sqlml` shell: the real process in a pseudo-terminal (pexpect), and its scripts, dot commands and
output modes; results are compared with DuckDB's own answers on the same file."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
import time
from pathlib import Path

import duckdb
import pexpect
import pytest

import sqlml
from sqlml.cli import main as cli_main
from sqlml.errors import SqlSyntaxError
from sqlml.shell import render

ROOT = Path(__file__).resolve().parent.parent
PENGUINS = ROOT / "sql_examples" / "data" / "penguins.csv"
READY = "\x1b[?2004h"  # prompt_toolkit turns bracketed paste on as each prompt starts
ACCEPTED = "\x1b[?2004l"  # ... and off once the input is accepted
PROMPTS = re.compile(r"^(sqlml>|   \.\.\.>) ")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def plain(text: str) -> str:
    return ANSI.sub("", text).replace("\r", "")


@pytest.fixture
def db(tmp_path) -> Path:
    """A database file: penguins, a view, a generated table `big`, and the model penguin_weight."""
    path = tmp_path / "shell.duckdb"
    with sqlml.connect(str(path)) as con:
        con.execute(f"CREATE TABLE penguins AS SELECT * FROM read_csv('{PENGUINS}', nullstr = 'NA')")
        con.execute("CREATE VIEW adelie AS SELECT * FROM penguins WHERE species = 'Adelie'")
        con.execute(
            "CREATE TABLE big AS SELECT "
            + ", ".join(f"random() AS f{i}" for i in range(8))
            + ", random() AS label FROM range(20000)"
        )
        con.execute(
            "CREATE MODEL penguin_weight OPTIONS(model_type='linear_reg', input_label_cols=['body_mass_g'])"
            " AS SELECT bill_length_mm, flipper_length_mm, body_mass_g FROM penguins"
        )
    return path


def catalog(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT schema_name, model_name, version FROM sqlml.model_versions ORDER BY ALL").fetchall()


class Shell:
    """The real shell process in a 40x200 pseudo-terminal, history in a temporary file."""

    def __init__(self, db: Path, home: Path, **changes: str | None):
        """`changes`: environment variables to set (None: to unset) besides the defaults."""
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "PROMPT_TOOLKIT_NO_CPR": "1",
            "HOME": str(home),
            "SQLML_HISTORY": str(home / "history"),
            **changes,
        }
        env = {name: value for name, value in env.items() if value is not None}
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "sqlml.cli", str(db)],
            env=env,
            cwd=str(ROOT),
            dimensions=(40, 200),
            encoding="utf-8",
            timeout=30,
        )
        self.child.expect_exact(READY)

    def run(self, text: str) -> str:
        """Type `text` and Enter; what the shell printed once the input was accepted, up to the next prompt."""
        self.child.send(text + "\r")
        self.child.expect_exact(READY)
        return plain(self.child.before.split(ACCEPTED, 1)[-1])

    def exit(self) -> int:
        self.child.sendcontrol("d")
        self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.exitstatus

    def __enter__(self) -> Shell:
        return self

    def __exit__(self, *exc) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)


def test_multiline_create_model_shows_progress_and_the_model_exists(db, tmp_path):
    with Shell(db, tmp_path) as shell:
        shell.child.send("CREATE MODEL boosted\r")
        shell.child.expect_exact("...>")  # the continuation prompt: the statement goes on
        shell.child.send("OPTIONS(model_type='boosted_tree_regressor', max_iterations=40, early_stop=false,\r")
        shell.child.send("        input_label_cols=['body_mass_g'])\r")
        shell.child.send("AS SELECT species, flipper_length_mm, body_mass_g FROM penguins;\r")
        shell.child.expect(r"training \[[█░]{30}\] \d+/40")
        shell.child.expect_exact(READY)
        assert shell.exit() == 0
    assert catalog(db) == [("main", "boosted", 1), ("main", "penguin_weight", 1)]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(
            "SELECT model_type, training_rows > 0 FROM sqlml.model_versions WHERE model_name = 'boosted'"
        ).fetchall() == [("boosted_tree_regressor", True)]


def test_tables_lists_what_duckdb_lists(db, tmp_path):
    with Shell(db, tmp_path) as shell:
        listed = shell.run(".tables").split()
        assert shell.exit() == 0
    with duckdb.connect(str(db), read_only=True) as con:
        expected = [name for (name,) in con.execute("SHOW TABLES").fetchall()]  # the main schema's tables and views
    assert sorted(listed) == sorted(expected) == ["adelie", "big", "penguins"]


def test_syntax_error_shows_the_line_and_a_caret_under_the_token(db, tmp_path):
    first, second = "SELECT * FROM ML.PREDICT(MODEL penguin_weight,", "  TABLE penguins) WHERE body_mass_g = = 1;"
    with pytest.raises(SqlSyntaxError) as raised, sqlml.connect(str(tmp_path / "other.duckdb")) as con:
        con.execute(f"{first}\n{second}")
    with Shell(db, tmp_path) as shell:
        shell.child.send(first + "\r")
        output = shell.run(second)
        assert shell.exit() == 0
    lines = output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("LINE 2: "))
    assert lines[at] == "LINE 2: " + second.rstrip(";")  # the statement, without its ';'
    caret_col = lines[at + 1].index("^") - len("LINE 2: ") + 1
    assert caret_col == raised.value.col == second.index("= =") + 3  # the second '='
    assert lines[at + 1].strip() == "^" and "line 2" in lines[at - 1]


def interrupt(shell: Shell, message: str) -> None:
    """Ctrl-C; `message` and then the prompt must follow (the timeouts only keep a hang from blocking)."""
    shell.child.sendintr()
    shell.child.expect_exact(message, timeout=60)
    shell.child.expect_exact(READY, timeout=60)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process `pid` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_busy(pid: int, seconds: float = 0.5, deadline: float = 60) -> None:
    """Poll until process `pid` has used `seconds` more CPU: the statement it was given is running (the
    shell shows nothing while DuckDB works); `deadline` seconds at most."""
    start, give_up = cpu_seconds(pid), time.monotonic() + deadline
    while cpu_seconds(pid) - start < seconds:
        assert time.monotonic() < give_up, "the statement never started"
        time.sleep(0.05)


def test_ctrl_c_cancels_training_and_the_shell_goes_on(db, tmp_path):
    before = catalog(db)
    with Shell(db, tmp_path) as shell:
        shell.child.send(
            "CREATE MODEL slow OPTIONS(model_type='boosted_tree_regressor', max_iterations=100000,\r"
            "  early_stop=false, max_tree_depth=8) AS SELECT * FROM big;\r"
        )
        shell.child.expect(r"training \[[█░]{30}\] \d+/100000", timeout=60)
        interrupt(shell, "interrupted")
        assert "│     42 │" in shell.run("SELECT 40 + 2 AS answer;")
        models = shell.run(".models")
        assert "penguin_weight" in models and "slow" not in models
        assert shell.exit() == 0
    assert catalog(db) == before


def test_ctrl_c_interrupts_a_long_duckdb_query(db, tmp_path):
    """Every Ctrl-C stops the query, which would otherwise run for minutes (DuckDB's own polling for Ctrl-C
    misses some: three tries)."""
    with Shell(db, tmp_path) as shell:
        for _ in range(3):
            shell.child.send("SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3;\r")
            shell.child.expect_exact(ACCEPTED)
            wait_until_busy(shell.child.pid)
            interrupt(shell, "Error: interrupted")
        assert "│     7 │" in shell.run("SELECT 3 + 4 AS seven;")
        assert shell.exit() == 0


def test_history_persists_across_runs(db, tmp_path):
    with Shell(db, tmp_path) as shell:
        shell.run("SELECT 1234 + 1 AS h;")
        assert shell.exit() == 0
    assert "SELECT 1234 + 1 AS h;" in (tmp_path / "history").read_text()
    with Shell(db, tmp_path) as shell:
        assert "│ 1235 │" in shell.run("\x1b[A")  # Up: the previous run's statement
        assert shell.exit() == 0


def test_history_lives_in_xdg_state_home_where_it_is_set(db, tmp_path):
    state = tmp_path / "state"
    with Shell(db, tmp_path, SQLML_HISTORY=None, XDG_STATE_HOME=str(state)) as shell:
        shell.run("SELECT 77 AS xdg;")
        assert shell.exit() == 0
    assert "SELECT 77 AS xdg;" in (state / "sqlml" / "history").read_text()
    assert not (tmp_path / ".sqlml_history").exists()


def test_an_empty_sqlml_history_keeps_no_history_file(db, tmp_path):
    with Shell(db, tmp_path, SQLML_HISTORY="", XDG_STATE_HOME=str(tmp_path / "state")) as shell:
        shell.run("SELECT 78 AS kept;")
        assert "│   78 │" in shell.run("\x1b[A")  # Up: remembered within the session
        assert shell.exit() == 0
    assert [p.name for p in tmp_path.rglob("*") if "hist" in p.name] == []


def test_completion_offers_ml_functions_and_models(db, tmp_path):
    with Shell(db, tmp_path) as shell:
        shell.child.send("SELECT count(*) AS n FROM ML.PRED\t")
        shell.child.expect_exact("ICT")  # completed to ML.PREDICT
        shell.child.send("(MODEL penguin_w\t")
        shell.child.expect_exact("eight")  # completed to penguin_weight
        output = shell.run(", TABLE penguins);")
        assert shell.exit() == 0
    with duckdb.connect(str(db), read_only=True) as con:
        (count,) = con.execute("SELECT count(*) FROM penguins").fetchone()
    assert f"│ {count} │" in output


def run_cli(capsys, *args: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    status = cli_main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


QUERY = "SELECT species, island, bill_length_mm, sex, year FROM penguins ORDER BY sex NULLS FIRST, species, island, bill_length_mm, year LIMIT 12"


def duck_rows(db: Path, sql: str = QUERY) -> tuple[list[str], list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as con:
        result = con.execute(sql)
        return [d[0] for d in result.description], result.fetchall()


def test_csv_and_json_modes_match_duckdb(db, capsys):
    names, rows = duck_rows(db)
    assert any(None in row for row in rows)  # NULLs are part of the check
    status, out, _ = run_cli(capsys, str(db), "-c", f".mode csv\n{QUERY};")
    assert status == 0
    parsed = list(csv.reader(io.StringIO(out)))
    assert parsed == [names] + [["" if v is None else str(v) for v in row] for row in rows]
    status, out, _ = run_cli(capsys, str(db), "-c", f".mode json\n{QUERY};")
    assert status == 0 and json.loads(out) == [dict(zip(names, row)) for row in rows]


def test_flags_select_the_mode(db, capsys):
    names, rows = duck_rows(db)
    for flag, mode in [
        ("-csv", ".mode csv"),
        ("-json", ".mode json"),
        ("-markdown", ".mode markdown"),
        ("-line", ".mode line"),
        ("-box", ".mode box"),
    ]:
        by_flag = run_cli(capsys, str(db), flag, "-c", QUERY)
        by_command = run_cli(capsys, str(db), "-c", f"{mode}\n{QUERY}")
        assert by_flag[0] == by_command[0] == 0 and by_flag[1] == by_command[1] != ""


def test_markdown_line_box_and_table_modes(db, capsys):
    names, rows = duck_rows(db)
    _, out, _ = run_cli(capsys, str(db), "-markdown", "-c", QUERY)
    lines = out.splitlines()
    assert [c.strip() for c in lines[0].strip("|").split("|")] == names
    assert lines[1].replace("-", "") == "|||:||:|"  # numbers (bill_length_mm, year) right-aligned
    assert [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]] == [
        [render.text(v) for v in row] for row in rows
    ]
    _, out, _ = run_cli(capsys, str(db), "-line", "-c", QUERY)
    records = [dict(line.strip().split(" = ", 1) for line in block.splitlines()) for block in out.strip().split("\n\n")]
    assert records == [{n: render.text(v) for n, v in zip(names, row)} for row in rows]
    for mode, corner in [("box", "┌"), ("table", "+")]:
        _, out, _ = run_cli(capsys, str(db), f"-{mode}", "-c", QUERY)
        lines = out.splitlines()
        assert lines[0].startswith(corner) and len({len(line) for line in lines}) == 1 and len(lines) == len(rows) + 4
        cells = [[c.strip() for c in line[1:-1].split(lines[1][0])] for line in lines[3:-1]]
        assert cells == [[render.text(v) for v in row] for row in rows]


def test_output_redirects_results_to_a_file_and_back(db, tmp_path, capsys):
    target = tmp_path / "out.csv"
    status, out, _ = run_cli(
        capsys, str(db), "-c", f".output {target}\n.mode csv\n{QUERY};\n.output\nSELECT 'back' AS w;"
    )
    names, rows = duck_rows(db)
    assert status == 0
    assert list(csv.reader(io.StringIO(target.read_text()))) == [names] + [
        ["" if v is None else str(v) for v in row] for row in rows
    ]
    assert out == "w\nback\n"


def test_read_runs_a_file_with_statements_and_dot_commands(db, tmp_path, capsys):
    script = tmp_path / "script.sql"
    script.write_text(
        "CREATE TABLE squares AS\n  SELECT range AS n, range * range AS sq FROM range(5);\n"
        ".mode csv\nSELECT sq FROM squares ORDER BY n;\n"
    )
    status, out, _ = run_cli(capsys, str(db), "-c", f".read {script}")
    assert status == 0 and out == "sq\n0\n1\n4\n9\n16\n"
    status, _, err = run_cli(capsys, str(db), "-c", f".read {tmp_path / 'missing.sql'}\nSELECT 1;")
    assert status == 1 and err.startswith("Error: cannot read")


def test_maxrows_shows_first_and_last_rows_with_a_footer(db, capsys):
    status, out, _ = run_cli(capsys, str(db), "-c", ".maxrows 6\nSELECT range AS r FROM range(50);")
    lines = out.splitlines()
    assert status == 0 and lines[-1] == "50 rows (6 shown)"
    values = [line.strip("│ ") for line in lines[3:-2]]
    assert values == ["0", "1", "2", "·", "·", "·", "47", "48", "49"]
    _, out, _ = run_cli(capsys, str(db), "-c", ".maxrows 0\nSELECT range AS r FROM range(50);")
    assert "rows (" not in out and out.count("\n│") == 51


def test_wide_results_elide_middle_columns_to_fit_the_width():
    names = [f"column_{i}" for i in range(30)]
    with duckdb.connect() as con:
        result = con.execute(
            "SELECT " + ", ".join(f"{i} * range AS {n}" for i, n in enumerate(names)) + " FROM range(3)"
        )
        text = render.grid(names, result.fetchmany, 40, 80)
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines)
    shown = int(re.fullmatch(r"30 columns \((\d+) shown\)", lines[-1]).group(1))
    header = [c.strip() for c in lines[1][1:-1].split("│")]
    assert header[0] == "column_0" and header[-1] == "column_29" and "…" in header and len(header) == shown + 1
    assert [c.strip() for c in lines[5][1:-1].split("│")][-1] == str(29 * 2)


def test_command_stdin_and_exit_status(db, capsys, monkeypatch):
    status, out, _ = run_cli(capsys, str(db), stdin=".mode csv\nSELECT 6 * 7 AS answer;\n", monkeypatch=monkeypatch)
    assert status == 0 and out == "answer\n42\n"
    status, out, err = run_cli(
        capsys, str(db), "-bail", "-csv", "-c", "SELECT 1 AS a; SELECT * FROM nowhere; SELECT 2 AS b"
    )
    assert status == 1 and out == "a\n1\n" and "nowhere" in err
    for bad, message in [
        (".mode nope", "unknown mode"),
        (".schema nowhere", "no table or view named nowhere"),
        (".frobnicate", "unknown command .frobnicate"),
        (".maxrows many", ".maxrows takes"),
        (".timer maybe", "usage: .timer on|off"),
    ]:
        status, _, err = run_cli(capsys, str(db), "-c", f"{bad}\nSELECT 1;")
        assert status == 1 and message in err, bad


def test_schema_shows_duckdbs_create_statements(db, capsys):
    status, out, _ = run_cli(capsys, str(db), "-c", ".schema PENGUINS")
    with duckdb.connect(str(db), read_only=True) as con:
        (sql,) = con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'penguins'").fetchone()
    assert status == 0 and out == sql + "\n"


def transcripts() -> list[tuple[list[str], list[str]]]:
    """(inputs, expected output lines) of each ```text block of docs/shell.md written as a session."""
    found = []
    for block in re.findall(r"```text\n(.*?)```", (ROOT / "docs" / "shell.md").read_text(), re.DOTALL):
        lines = block.rstrip("\n").splitlines()
        if lines and lines[0].startswith("sqlml> "):
            found.append(
                (
                    [PROMPTS.sub("", line) for line in lines if PROMPTS.match(line)],
                    [line for line in lines if not PROMPTS.match(line)],
                )
            )
    return found


@pytest.mark.parametrize("inputs, expected", transcripts())
def test_docs_transcripts(inputs, expected, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    status, out, err = run_cli(capsys, str(tmp_path / "docs.duckdb"), "-c", "\n".join(inputs))
    assert status == 0, err
    assert [line for line in out.splitlines() if not line.startswith("Run Time")] == [
        line for line in expected if not line.startswith("Run Time")
    ]


def test_docs_have_transcripts():
    assert len(transcripts()) >= 3


HARD = (
    "SELECT '日本語' AS wide, '😀x' AS emoji, 'a' || chr(9) || 'b' AS tab, 'l1' || chr(10) || 'l2' AS nl, "
    "'NULL' AS null_text, NULL AS nothing, true AS flag, 'a,\"b\"' AS quoted, '\\xAA\\x41'::BLOB AS bytes, "
    "-1.50::DECIMAL(5,2) AS dec, DATE '2024-01-02' AS day"
)


def test_box_keeps_its_shape_with_wide_characters_tabs_newlines_and_blobs(capsys):
    from prompt_toolkit.utils import get_cwidth

    status, out, _ = run_cli(capsys, "-c", HARD)
    lines = out.splitlines()
    assert status == 0 and len(lines) == 5 and len({get_cwidth(line) for line in lines}) == 1  # no tab, no newline
    cells = [c.strip() for c in lines[3][1:-1].split("│")]
    assert cells == [
        "日本語",
        "😀x",
        "a\\tb",
        "l1\\nl2",
        "NULL",
        "NULL",
        "true",
        'a,"b"',
        "\\xAAA",
        "-1.50",
        "2024-01-02",
    ]
    with duckdb.connect() as con:  # DuckDB's own text for a BLOB
        assert cells[8] == con.execute("SELECT '\\xAA\\x41'::BLOB::VARCHAR").fetchone()[0]
    assert lines[3].split("│")[10] == " -1.50 "  # a number, right-aligned


def test_csv_and_json_of_hard_values_parse_back(capsys):
    with duckdb.connect() as con:
        names, row = [d[0] for d in con.execute(HARD).description], con.execute(HARD).fetchone()
    status, out, _ = run_cli(capsys, "-csv", "-c", HARD)
    assert status == 0
    parsed = list(csv.reader(io.StringIO(out)))
    assert parsed[0] == names and parsed[1][:8] == ["日本語", "😀x", "a\tb", "l1\nl2", "NULL", "", "true", 'a,"b"']
    status, out, _ = run_cli(capsys, "-json", "-c", HARD + ", 'nan'::DOUBLE AS nan, 'inf'::DOUBLE AS inf")
    record = json.loads(out)[0]
    assert status == 0 and [record[n] for n in names[:8]] == [*row[:5], None, True, 'a,"b"']
    assert record["day"] == "2024-01-02" and record["nan"] is None and record["inf"] is None


def test_a_statement_after_a_comment_still_prints_no_count(capsys):
    status, out, _ = run_cli(
        capsys, "-c", "-- make it\nCREATE TABLE t AS SELECT 1 AS a;\n/* more */ INSERT INTO t VALUES (2);"
    )
    assert status == 0 and out == ""


def test_bad_maxrows_values_are_errors(capsys):
    for bad in ["-1", "²", "1.5", "x"]:
        status, out, err = run_cli(capsys, "-c", f".maxrows {bad}\nSELECT 1;")
        assert status == 1 and out == "" and err == f"Error: .maxrows takes a number of rows (0: all), not {bad!r}\n"


def test_read_names_the_file_and_line_of_the_error(tmp_path, capsys):
    script = tmp_path / "bad.sql"
    script.write_text("SELECT 1 AS a;\n\nSELECT *\n  FROM nowhere;\nSELECT 3 AS c;\n")
    status, out, err = run_cli(capsys, "-csv", "-c", f".read {script}\nSELECT 4 AS d;")
    assert status == 1 and out == "a\n1\n"
    assert "nowhere" in err and err.endswith(f"Error: in {script}, line 3\n")
    status, out, err = run_cli(capsys, "-csv", ":memory:", str(script))
    assert status == 1 and out == "a\n1\n" and err.endswith(f"Error: in {script}, line 3\n")


def test_output_to_an_unwritable_path_keeps_the_output_where_it_was(tmp_path, capsys):
    target = tmp_path / "first.csv"
    status, out, err = run_cli(capsys, "-csv", "-c", f".output {target}\n.output {tmp_path}/no/such/dir.csv")
    assert status == 1 and "cannot write" in err
    status, out, err = run_cli(capsys, "-csv", "-c", f".output {target}\nSELECT 1 AS a;\n.output {tmp_path}/no/dir.csv")
    assert status == 1 and out == "" and target.read_text() == "a\n1\n"


def test_ctrl_c_in_a_script_run_is_a_clean_error():
    import signal
    import subprocess

    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sqlml.cli",
            "-c",
            "SELECT 'ready' AS state; SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in child.stdout:  # the first statement's result: the script is running (not still importing)
        if "ready" in line:
            break
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=20)
    # almost always during the long count; in the instant between the two statements the message is shorter
    assert (
        child.returncode == 1
        and out.strip() in ("", "└───────┘")
        and err in ("Error: interrupted: the statement was cancelled\n", "Error: interrupted\n")
    )
