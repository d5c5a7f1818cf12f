"""Helpers of the C export tests: a test program of our own that includes an exported header, sets each
row's fields as the header's documented interface says (numbers as C literals, NULL as NAN or INT64_MIN,
strings through <p>_string_code), calls <p>_predict and prints the outputs it is told to; compiled strictly as
C99 and as C++ and run."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

STRICT = ("-Wall", "-Wextra", "-Werror", "-pedantic")
HAVE_CC = shutil.which("cc") is not None and shutil.which("c++") is not None


def _literal(value, kind: str) -> str:
    if kind == "str":
        return "0" if value is None else _c_string(str(value))
    if value is None:
        return "INT64_MIN" if kind == "int" else "NAN"
    if kind == "int":
        return f"INT64_C({int(value)})"
    return repr(float(value)) if math.isfinite(value) else "NAN"


def _c_string(text: str) -> str:
    return '"' + "".join(c if c.isalnum() or c in " _-." else f"\\{ord(c):03o}" for c in text) + '"'


_ROW_TYPES = {"num": "double", "int": "int64_t", "str": "const char *"}


def program(prefix: str, columns: dict[str, str], rows: list[dict], prints: list[tuple[str, object]]) -> str:
    """A C program over `rows` (column -> value), held in a table of its own; `columns`: column -> "num" |
    "int" | "str"; `prints`: (field, how): "name" (a class code, printed as <p>_<label>_name's text: how is the
    label), an int count of a vector field, or None (a scalar number)."""
    lines = ['#include "model.h"', "#include <stdio.h>", "#include <stdint.h>", "#include <math.h>"]
    lines += ["typedef struct {", *[f"    {_ROW_TYPES[kind]} {c};" for c, kind in columns.items()], "} row;"]
    cells = [", ".join(_literal(r[c], kind) for c, kind in columns.items()) for r in rows]
    lines += [f"static const row rows[{len(rows)}] = {{", *[f"    {{{c}}}," for c in cells], "};"]
    lines += ["int main(void)", "{", f"    {prefix}_input in;", f"    {prefix}_output out;"]
    lines.append(f"    for (int r = 0; r < {len(rows)}; ++r) {{")
    for c, kind in columns.items():
        value = f"{prefix}_string_code(rows[r].{c})" if kind == "str" else f"rows[r].{c}"
        lines.append(f"        in.{c} = {value};")
    lines.append(f"        {prefix}_predict(&in, &out);")
    for field, how in prints:
        if isinstance(how, str):
            lines.append(f'        printf("%s ", {prefix}_{how}_name((int)out.{field}));')
        elif isinstance(how, int):
            lines.append(f'        for (int i = 0; i < {how}; ++i) printf("%.9g ", (double)out.{field}[i]);')
        else:
            lines.append(f'        printf("%.9g ", (double)out.{field});')
    lines += ['        printf("\\n");', "    }", "    return 0;", "}"]
    return "\n".join(lines) + "\n"


def build_and_run(folder: Path, header: Path, source: str) -> list[list[str]]:
    """Compile `source` against `header` as C99 and as C++ with every warning an error; run the C build; the
    output's lines, split into fields. Both builds must print the same."""
    (folder / "model.h").write_text(header.read_text())
    (folder / "main.c").write_text(source)
    outputs = []
    for command in (["cc", "-std=c99"], ["c++", "-x", "c++", "-std=c++11"]):
        binary = folder / ("main_" + command[0].replace("+", "p"))
        built = subprocess.run(
            [*command, *STRICT, "-O2", "-o", str(binary), "main.c", "-lm"], cwd=folder, capture_output=True, text=True
        )
        assert built.returncode == 0, built.stderr
        outputs.append(subprocess.run([str(binary)], check=True, capture_output=True, text=True).stdout)
    assert outputs[0] == outputs[1]
    return [line.split() for line in outputs[0].splitlines()]
