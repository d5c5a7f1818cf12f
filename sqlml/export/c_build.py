"""Compiling an exported C header: running it on rows through a generated driver, and its code size.

The driver reads one row per line from standard input (numbers as C reads them with strtod/strtoll, "nan"
for NULL numbers; strings as hex UTF-8, "-" for the empty string, passed through <p>_string_code), calls
<p>_predict and prints the output struct's fields. The size is that of the object file compiled with -Os:
its .text sections and its read-only data (.rodata, and .data.rel.ro where position-independent code puts
tables of pointers), read from the ELF section headers.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa

from sqlml.engine.data.onnx_values import onnx_input
from sqlml.errors import OperationalError

FLAGS = ("-std=c99", "-Wall", "-Wextra", "-pedantic")
_ONNX_TYPE = {"float": "tensor(float)", "double": "tensor(double)", "int64_t": "tensor(int64)"}
_FORMAT = {"float": '"%.9g"', "double": '"%.17g"'}


def compiler() -> str:
    """The host C compiler ($CC, else cc); OperationalError when there is none."""
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc.split()[0]) is None:
        raise OperationalError(
            f"EXPORT MODEL: format='c' verifies the file by compiling it, and there is no C compiler ('{cc}') on "
            "this machine; install one (Debian: apt install gcc) or set CC"
        )
    return cc


def _run(command: list[str], what: str, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)
    if done.returncode:
        raise OperationalError(f"EXPORT MODEL: {what} failed: {(done.stderr or done.stdout).strip()[:2000]}")
    return done


def driver(prefix: str, facts: dict) -> str:
    """The C source of the verification driver (see the module docstring)."""
    reads, prints = [], []
    for column in facts["inputs"]:
        target = f"in.{column['field']}"
        if column["string"]:
            reads.append(f'if (scanf("%65535s", text) != 1) return 0; {target} = {prefix}_string_code(unhex(text));')
        elif column["ctype"] == "int64_t":
            reads.append(f'if (scanf("%65535s", text) != 1) return 0; {target} = (int64_t)strtoll(text, 0, 10);')
        else:
            reads.append(f'if (scanf("%65535s", text) != 1) return 0; {target} = ({column["ctype"]})strtod(text, 0);')
    for output in facts["outputs"]:
        fmt = _FORMAT.get(output["ctype"], '"%lld"')
        cast = "(double)" if output["ctype"] in _FORMAT else "(long long)"
        if output["count"] is None:
            prints.append(f'printf({fmt} " ", {cast}out.{output["field"]});')
        else:
            prints.append(
                f'for (int i = 0; i < {output["count"]}; ++i) printf({fmt} " ", {cast}out.{output["field"]}[i]);'
            )
    lines = [
        '#include "model.h"',
        "#include <stdio.h>",
        "#include <stdlib.h>",
        "static char text[65536];",
        "static const char *unhex(char *s)",
        "{",
        "    int n = 0;",
        "    if (s[0] == '-' && s[1] == 0) { s[0] = 0; return s; }",
        "    for (int i = 0; s[i] && s[i + 1]; i += 2) {",
        "        char pair[3] = {s[i], s[i + 1], 0};",
        "        s[n++] = (char)strtol(pair, 0, 16);",
        "    }",
        "    s[n] = 0;",
        "    return s;",
        "}",
        "int main(void)",
        "{",
        f"    {prefix}_input in;",
        f"    {prefix}_output out;",
        "    for (;;) {",
        *["        " + line for line in reads],
        f"        {prefix}_predict(&in, &out);",
        *["        " + line for line in prints],
        '        printf("\\n");',
        "    }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _tokens(rows: pa.Table, facts: dict) -> str:
    columns = []
    for column in facts["inputs"]:
        values = onnx_input(
            rows.column(column["name"]), "tensor(string)" if column["string"] else _ONNX_TYPE[column["ctype"]]
        )
        if column["string"]:
            columns.append([v.encode().hex() or "-" for v in values])
        elif column["ctype"] == "int64_t":
            columns.append([str(int(v)) for v in values])
        else:
            columns.append([repr(float(v)) for v in values])
    return "".join(" ".join(row) + "\n" for row in zip(*columns))


def run(source: str, prefix: str, facts: dict, rows: pa.Table) -> dict[str, np.ndarray]:
    """The header compiled with the driver and run on `rows`: output name -> values ([N] or [N, k])."""
    cc = compiler()
    with tempfile.TemporaryDirectory(prefix="sqlml-c-") as folder:
        Path(folder, "model.h").write_text(source)
        Path(folder, "driver.c").write_text(driver(prefix, facts))
        program = str(Path(folder, "driver"))
        _run([*cc.split(), *FLAGS, "-O2", "-o", program, "driver.c", "-lm"], "compiling the C file", cwd=folder)
        done = _run([program], "running the compiled C file", input=_tokens(rows, facts))
    numbers = np.array([line.split() for line in done.stdout.splitlines()], dtype=np.float64).reshape(rows.num_rows, -1)
    outputs, column = {}, 0
    for output in facts["outputs"]:
        width = output["count"] or 1
        values = numbers[:, column : column + width]
        outputs[output["name"]] = values if output["count"] else values[:, 0]
        column += width
    return outputs


def code_size(source: str, prefix: str, command: list[str] | None = None, flags: tuple[str, ...] = ()) -> dict:
    """{'text': bytes, 'rodata': bytes} of the header's predict function compiled with -Os (`command`: the
    compiler, default the host's)."""
    command = command or compiler().split()
    probe = (
        '#include "model.h"\n'
        f"void sqlml_size_probe(const {prefix}_input *in, {prefix}_output *out);\n"
        f"void sqlml_size_probe(const {prefix}_input *in, {prefix}_output *out) {{ {prefix}_predict(in, out); }}\n"
    )
    with tempfile.TemporaryDirectory(prefix="sqlml-c-") as folder:
        Path(folder, "model.h").write_text(source)
        Path(folder, "probe.c").write_text(probe)
        _run(
            [*command, "-std=c99", "-Os", *flags, "-c", "-o", "probe.o", "probe.c"], "compiling the C file", cwd=folder
        )
        return section_sizes(Path(folder, "probe.o").read_bytes())


def section_sizes(elf: bytes) -> dict:
    """Sizes of an ELF object's code (.text*) and read-only data (.rodata*, .data.rel.ro*) sections."""
    if elf[:4] != b"\x7fELF":
        return {"text": None, "rodata": None}
    wide, order = elf[4] == 2, "<" if elf[5] == 1 else ">"
    if wide:
        (shoff,) = struct.unpack_from(order + "Q", elf, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(order + "HHH", elf, 0x3A)
    else:
        (shoff,) = struct.unpack_from(order + "I", elf, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(order + "HHH", elf, 0x2E)

    def header(i: int) -> tuple[int, int, int]:  # name offset, file offset, size
        at = shoff + i * shentsize
        if wide:
            (name,) = struct.unpack_from(order + "I", elf, at)
            offset, size = struct.unpack_from(order + "QQ", elf, at + 0x18)
        else:
            (name,) = struct.unpack_from(order + "I", elf, at)
            offset, size = struct.unpack_from(order + "II", elf, at + 0x10)
        return name, offset, size

    names_at = header(shstrndx)[1]
    sizes = {"text": 0, "rodata": 0}
    for i in range(shnum):
        name_offset, _, size = header(i)
        name = elf[names_at + name_offset : elf.index(b"\0", names_at + name_offset)].decode()
        if name == ".text" or name.startswith(".text."):
            sizes["text"] += size
        elif name.startswith((".rodata", ".data.rel.ro")):
            sizes["rodata"] += size
    return sizes
