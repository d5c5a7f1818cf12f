"""Altering stored versions as anyone who can write the database file can: rows edited with DuckDB itself,
artifacts edited in their own formats (LightGBM model text, a skops zip, JSON), and the checksum either
left as it was (an altered or damaged row) or recomputed as docs/statements.md describes it (a row
written by hand). `probe` runs a query in a process of its own (predict_probe.py), so a crash or a hang
fails the test instead of killing pytest."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np

PROBE = Path(__file__).with_name("predict_probe.py")
JSON_COLUMNS = ("options", "classes", "features", "transform")
# what the checksum covers, in the order docs/statements.md lists it
SCORED = (
    "model_type",
    "estimator_type",
    "options",
    "label",
    "label_type",
    "classes",
    "features",
    "transform",
    "artifact_format",
)


def documented_checksum(row: dict) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, ASCII) of the scored fields, NUL, the artifact."""
    scored = json.dumps({key: row[key] for key in SCORED}, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(scored.encode("ascii") + b"\0" + row["artifact"]).hexdigest()


def read_row(path: Path, model: str, version: int = 1) -> dict:
    """A row of sqlml.model_versions, JSON columns decoded."""
    with duckdb.connect(str(path), read_only=True) as con:
        cursor = con.execute(
            "SELECT * FROM sqlml.model_versions WHERE model_name = ? AND version = ?", [model, version]
        )
        row = dict(zip([d[0] for d in cursor.description], cursor.fetchall()[0]))
    return {
        key: json.loads(value) if key in JSON_COLUMNS and value is not None else value for key, value in row.items()
    }


def tamper(path: Path, model: str, change: Callable[[dict], None], fix_checksum: bool) -> None:
    """UPDATE version 1 of `model` in the file at `path` with `change` applied to its row (its artifact or
    features); `fix_checksum`: store the checksum of the changed row, as a hand-written row would."""
    row = read_row(path, model)
    change(row)
    columns = {"artifact": row["artifact"], "features": json.dumps(row["features"])}
    if "artifact_sha256" in row:  # a catalog older than checksums has no such column
        columns["artifact_sha256"] = documented_checksum(row) if fix_checksum else row["artifact_sha256"]
    with duckdb.connect(str(path)) as con:
        con.execute(
            f"UPDATE sqlml.model_versions SET {', '.join(f'{c} = ?' for c in columns)} "
            "WHERE model_name = ? AND version = 1",
            [*columns.values(), model],
        )


def edit_lightgbm(text: str, tree: int, field: str, index: int, value: str) -> str:
    """LightGBM model text with element `index` of `field` in tree `tree` (-1: the last) set to `value`,
    tree_sizes still giving every tree's place."""
    start = text.index("\nTree=") + 1
    header, end = text[:start], text.index("end of trees")
    sizes_line = next(line for line in header.split("\n") if line.startswith("tree_sizes="))
    sizes = [int(size) for size in sizes_line.split("=")[1].split(" ")]
    blocks, position = [], start
    for size in sizes:
        blocks.append(text[position : position + size])
        position += size
    lines = blocks[tree].split("\n")
    row = next(i for i, line in enumerate(lines) if line.startswith(field + "="))
    tokens = lines[row].split("=")[1].split(" ")
    tokens[index] = value
    lines[row] = f"{field}={' '.join(tokens)}"
    blocks[tree] = "\n".join(lines)
    header = header.replace(sizes_line, "tree_sizes=" + " ".join(str(len(block)) for block in blocks))
    return header + "".join(blocks) + text[end:]


def lightgbm_array(text: str, tree: int, field: str) -> list[str]:
    """The values of `field` in tree `tree` of LightGBM model text."""
    block = text.split("\nTree=")[1:][tree]
    return next(line for line in block.split("\n") if line.startswith(field + "=")).split("=")[1].split(" ")


def edit_forest(artifact: bytes, tree: int, node: int, field: str, value: int) -> bytes:
    """A skops random forest with `field` (left_child, right_child, feature, ...) of node `node` of tree `tree`
    set to `value`, everything else as it was."""
    with zipfile.ZipFile(io.BytesIO(artifact)) as archive:
        files = {info.filename: archive.read(info) for info in archive.infolist()}
    name = _nodes_file(files["schema.json"], tree)
    nodes = np.load(io.BytesIO(files[name]), allow_pickle=False)
    nodes[node][field] = value
    buffer = io.BytesIO()
    np.save(buffer, nodes, allow_pickle=False)
    files[name] = buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for filename, data in files.items():
            archive.writestr(filename, data)
    return out.getvalue()


def _nodes_file(schema: bytes, tree: int) -> str:
    """The file of a skops random forest holding the node array of tree `tree`."""
    estimator = json.loads(schema)["content"]["content"]["estimators_"]["content"][tree]
    return estimator["content"]["content"]["tree_"]["content"]["content"]["nodes"]["file"]


def probe(query: str, *databases: Path) -> list[dict]:
    """Each database's outcome of `query`, run read-only in a child process that must exit by itself with 0
    (a signal, or a hang past the timeout, fails the caller)."""
    done = subprocess.run(
        [sys.executable, str(PROBE), query, *map(str, databases)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"the probe exited with {done.returncode}: {done.stderr[-2000:]}"
    return [json.loads(line) for line in done.stdout.splitlines()]
