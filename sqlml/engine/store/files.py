"""Files sqlml reads or writes itself (not through DuckDB): paths kept inside a directory, and reads of
regular files only, within a size cap."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from sqlml.errors import NotSupportedError, ProgrammingError

# a URL's scheme (gs://, s3://, https://): a place sqlml does not read or write itself
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def local_path(option: str, path: str) -> None:
    """NotSupportedError for a URL (BigQuery ML's gs:// URIs): sqlml reads and writes model files locally."""
    if _URL.match(path):
        raise NotSupportedError(
            f"OPTIONS: {option} {path!r} is a URL; sqlml reads and writes model files on the local file system "
            "only (copy the file between Cloud Storage and a local path yourself)"
        )


def inside(directory: str | Path, path: str) -> Path | None:
    """`path` (relative to `directory`, or absolute) if it stays inside `directory`, else None: first as
    written (`..` taken literally, so nothing outside is looked at), then with symbolic links and `..`
    resolved (the real place it names)."""
    base = Path(directory).resolve()
    if not Path(os.path.normpath(base / path)).is_relative_to(base):
        return None
    real = (base / path).resolve()
    return real if real.is_relative_to(base) else None


def read_regular(path: str | Path, what: str, limit: int, offset: int = 0, length: int | None = None) -> bytes:
    """The bytes of the regular file at `path` (`length` of them from `offset`; all the rest by default).
    Opened without blocking and checked before reading, so a directory, a device (/dev/zero) or a FIFO is
    refused rather than read; `what` names the file in errors: ProgrammingError if it cannot be read,
    NotSupportedError if more than `limit` bytes would be read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise ProgrammingError(f"{what} cannot be read: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ProgrammingError(f"{what} is not a regular file")
        size = info.st_size - offset if length is None else length
        if offset < 0 or size < 0 or offset + size > info.st_size:
            raise ProgrammingError(
                f"{what}: bytes {offset} to {offset + size} are not in the file ({info.st_size} bytes)"
            )
        if size > limit:
            raise NotSupportedError(f"{what} is too large ({size:,} bytes): sqlml reads at most {limit:,} bytes")
        with os.fdopen(fd, "rb", closefd=False) as file:
            file.seek(offset)
            data = file.read(size)
    finally:
        os.close(fd)
    if len(data) != size:  # the file shrank meanwhile
        raise ProgrammingError(f"{what} changed while it was read")
    return data
