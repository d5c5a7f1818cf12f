"""sql_examples/edge/: penguins_to_c.sql exports a classifier as C, main.c predicts one hard-coded penguin with it,
and the program the Makefile builds prints ML.PREDICT's species for that penguin, on this machine (cc) and on a
Cortex-M4 booted under QEMU (arm-none-eabi-gcc, qemu-system-arm's mps2-an386, output through semihosting)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import sqlml
from sqlml.cli import main as cli_main
from tests.export.onnx_helpers import ROOT, rows_of

EDGE = ROOT / "sql_examples" / "edge"
PENGUIN = 277  # the penguin main.c hard-codes
PRINTED = re.compile(r"predicted_species: (\w+) \(p = (\d+)/1000\)")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The example run where 07_export_penguins.sql's test runs it (tests/test_examples.py): in a scratch copy of
    the layout it reads and writes. The header path, and ML.PREDICT's species and probability for the penguin."""
    work = tmp_path_factory.mktemp("edge")
    shutil.copytree(ROOT / "sql_examples" / "data", work / "sql_examples" / "data")
    (work / "sql_examples" / "edge").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(work)
        assert cli_main([str(work / "edge.duckdb"), str(EDGE / "penguins_to_c.sql")]) == 0
    with sqlml.connect(str(work / "edge.duckdb")) as con:
        (row,) = rows_of(
            con,
            "SELECT island, bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g, sex "
            f"FROM penguins WHERE penguin_id = {PENGUIN}",
        )
        ((species, probs),) = con.execute(
            "SELECT predicted_species, predicted_species_probs "
            f"FROM ML.PREDICT(MODEL species_edge, (FROM penguins WHERE penguin_id = {PENGUIN}))"
        ).fetchall()
    probability = next(p["prob"] for p in probs if p["label"] == species)
    return work / "sql_examples" / "edge" / "penguins.h", row, (species, probability)


def test_main_c_holds_the_penguin(exported):
    """main.c's fields are that penguin's columns (strings as the header's enum names)."""
    _, row, _ = exported
    fields = dict(re.findall(r"^\s*in\.(\w+) = ([^;]+);", (EDGE / "main.c").read_text(), re.MULTILINE))
    expected = {
        name: f"PENGUINS_{name.upper()}_{value.upper()}" if isinstance(value, str) else value
        for name, value in row.items()
    }
    assert {k: v if v.startswith("PENGUINS_") else float(v) for k, v in fields.items()} == expected


def _make(header: Path, build: Path, target: str, timeout: float) -> str:
    done = subprocess.run(
        ["make", "--no-print-directory", "-f", str(EDGE / "Makefile"), f"MODEL={header}", f"BUILD={build}", target],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _check(printed: str, expected: tuple[str, float]):
    (found,) = PRINTED.findall(printed)
    assert found[0] == expected[0]
    assert int(found[1]) / 1000 == pytest.approx(expected[1], abs=0.0015)  # rounded to 3 digits; int16 leaves


@pytest.mark.skipif(not (shutil.which("make") and shutil.which("cc")), reason="needs make and a C compiler (cc)")
def test_host_build_prints_ml_predict(exported, tmp_path):
    header, _, expected = exported
    _make(header, tmp_path, "host", timeout=120)
    _check(subprocess.run([tmp_path / "penguins_host"], capture_output=True, text=True, timeout=30).stdout, expected)


def _cortex_m4_missing() -> str | None:
    """Why the Cortex-M4 build cannot run here (None if it can); CI installs the packages (.ci/run)."""
    for tool, package in (
        ("arm-none-eabi-gcc", "gcc-arm-none-eabi"),
        ("qemu-system-arm", "qemu-system-arm"),
        ("make", "make"),
    ):
        if not shutil.which(tool):
            return f"needs {tool} (Debian's {package})"
    specs = subprocess.run(["arm-none-eabi-gcc", "-print-file-name=rdimon.specs"], capture_output=True, text=True)
    if not Path(specs.stdout.strip()).is_file():
        return "needs newlib's semihosting specs, rdimon.specs (Debian's libnewlib-arm-none-eabi)"
    machines = subprocess.run(["qemu-system-arm", "-machine", "help"], capture_output=True, text=True).stdout
    if "mps2-an386" not in machines:
        return "needs qemu-system-arm with the mps2-an386 machine"
    return None


@pytest.mark.skipif(_cortex_m4_missing() is not None, reason=str(_cortex_m4_missing()))
def test_cortex_m4_under_qemu_prints_ml_predict(exported, tmp_path):
    """make run boots the program; it prints through semihosting and its exit ends QEMU (the timeout, not a
    sleep, bounds a program that would not)."""
    header, _, expected = exported
    _check(_make(header, tmp_path, "run", timeout=120), expected)
