"""Worker processes that fit many series at once, one per core, started on first use and kept for the process.

Each worker is `python -m sqlml.engine.forecasting.workers`, a fresh interpreter (it neither inherits DuckDB's
threads, as a fork would, nor re-runs the user's script, as multiprocessing's spawn would) that reads tasks on
its stdin and writes results on its stdout. A task is the options as JSON text and a chunk of series as Arrow IPC
bytes; a result is the chunk's stored rows as Arrow IPC bytes, or an error's text. Nothing is pickled.
"""

from __future__ import annotations

import json
import os
import queue
import struct
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pyarrow as pa

from sqlml.engine.forecasting import state

TASK = pa.schema(
    {"name": pa.string(), "times": state.TIMES, "values": state.VALUES, "regressors": pa.list_(state.VALUES)}
)
_pool: Pool | None = None
_lock = threading.Lock()


def size() -> int:
    return os.cpu_count() or 1


class Pool:
    """`size()` workers, each serving one task at a time from a thread of its own."""

    def __init__(self, workers: int):
        self.threads = ThreadPoolExecutor(workers, thread_name_prefix="sqlml-forecast")
        self.idle: queue.Queue[Worker] = queue.Queue()
        for _ in range(workers):
            self.idle.put(Worker())

    def submit(self, task: bytes, options: str) -> Future:
        return self.threads.submit(self._run, task, options)

    def _run(self, task: bytes, options: str) -> bytes:
        worker = self.idle.get()
        try:
            return worker.run(task, options)
        except OSError:  # the process died: a new one takes its place
            worker = Worker()
            raise RuntimeError("a forecasting worker process ended unexpectedly") from None
        finally:
            self.idle.put(worker)


class Worker:
    """One worker process, started on its first task."""

    def __init__(self):
        self.process: subprocess.Popen | None = None

    def run(self, task: bytes, options: str) -> bytes:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "sqlml.engine.forecasting.workers"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        _write(self.process.stdin, options.encode(), task)
        self.process.stdin.flush()
        ok, result = _read(self.process.stdout)
        if ok is None:
            raise OSError("no answer")
        if not ok:
            raise RuntimeError(result.decode())
        return result


def pool() -> Pool:
    """The shared pool of worker processes, started on first use."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = Pool(size())
        return _pool


def _write(stream, *parts: bytes) -> None:
    for part in parts:
        stream.write(struct.pack("<Q", len(part)))
        stream.write(part)


def _read_exactly(stream, n: int) -> bytes | None:
    data = stream.read(n)
    return data if data is not None and len(data) == n else None


def _read(stream) -> tuple[bool | None, bytes]:
    """(True, result) or (False, error text); (None, b"") at the end of the stream."""
    header = _read_exactly(stream, 9)
    if header is None:
        return None, b""
    ok, length = header[0] == 1, struct.unpack("<Q", header[1:])[0]
    return ok, _read_exactly(stream, length) or b""


def pack(items: list[dict]) -> bytes:
    """A chunk of series (training._one's dicts) as Arrow IPC bytes."""
    table = pa.table(
        {
            "name": [item["name"] for item in items],
            "times": pa.array([item["times"] for item in items], state.TIMES),
            "values": pa.array([item["values"] for item in items], state.VALUES),
            "regressors": pa.array(
                [None if item["regressors"] is None else list(item["regressors"].T) for item in items],
                TASK.field("regressors").type,
            ),
        },
        schema=TASK,
    )
    return state.to_ipc(table)


def fit_chunk(task: bytes, options: str) -> bytes:
    """The stored rows of a packed chunk of series."""
    from sqlml.engine.forecasting.training import fit_one

    settings = json.loads(options)
    table = pa.ipc.open_stream(task).read_all().combine_chunks()
    rows = []
    for i, name in enumerate(table.column("name").to_pylist()):
        regressors = table.column("regressors")[i]
        item = {
            "name": name,
            "times": table.column("times")[i].values.to_numpy().astype("datetime64[us]"),
            "values": table.column("values")[i].values.to_numpy(zero_copy_only=False),
            "regressors": np.column_stack(regressors.as_py()) if regressors.is_valid else None,
        }
        rows.append(fit_one(item, settings))
    return state.to_ipc(state.rows_table(rows))


def unpack(data: bytes) -> pa.Table:
    return state.from_ipc(data)


def serve() -> None:
    """A worker's loop: a task in, its result out, until stdin ends."""
    source, sink = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever a library prints goes to stderr, not into the results
    sys.stdout = sys.stderr
    while True:
        options, task = _read_exactly(source, 8), None
        if options is None:
            return
        options = _read_exactly(source, struct.unpack("<Q", options)[0])
        length = _read_exactly(source, 8)
        task = length and _read_exactly(source, struct.unpack("<Q", length)[0])
        if options is None or task is None:
            return
        try:
            flag, result = b"\x01", fit_chunk(task, options.decode())
        except Exception as exc:  # reported to the statement that sent the task
            flag, result = b"\x00", f"{type(exc).__name__}: {exc}".encode()
        sink.write(flag + struct.pack("<Q", len(result)))
        sink.write(result)
        sink.flush()


if __name__ == "__main__":
    serve()
