"""The staging directory's storage: a local path, or a URL of any protocol with an fsspec implementation installed
(s3:// with s3fs, gs:// with gcsfs, ...). fsspec reads credentials and endpoint as its implementation does, from
the environment of each process (s3fs: botocore's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL,
AWS_PROFILE, ...): the coordinator and every worker need them. DuckDB writes and reads a URL through the same
filesystem, registered on its connection (DuckDB's Python client hands fsspec the paths of its protocol)."""

from __future__ import annotations

import os
import posixpath
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from sqlml.errors import OperationalError

MARKER = "_sqlml_run"  # an object store has no directories: a run's first object, which shows it writable


def is_url(location: str) -> bool:
    return "://" in location


def filesystem(location: str):
    """The fsspec filesystem of a local path or URL."""
    import fsspec

    return fsspec.core.url_to_fs(location)[0]


def join(location: str, *names: str) -> str:
    """A path under `location`: `names` joined with '/' in a URL, as the OS joins them in a local path."""
    return posixpath.join(location, *names) if is_url(location) else os.path.join(location, *names)


def attach(con, location: str) -> None:
    """DuckDB connection `con` made to read and write `location`: a URL's filesystem registered on it (once)."""
    if not is_url(location):
        return
    fs = filesystem(location)
    names = fs.protocol if isinstance(fs.protocol, tuple | list) else (fs.protocol,)
    if not set(names) & set(con.list_filesystems()):
        con.register_filesystem(fs)


def open_file(location: str, mode: str = "rb"):
    """A local path or URL opened through fsspec."""
    return filesystem(location).open(location, mode)


def subdirectory(location: str) -> str:
    """A directory `location` under a run's, created on a local path (an object store has none to create)."""
    if not is_url(location):
        os.makedirs(location)
    return location


def fetch(location: str, path: str) -> None:
    """The file at `location` (a path or URL) moved to the local path `path` (a URL's copied down)."""
    if is_url(location):
        filesystem(location).get_file(location, path)
    else:
        shutil.move(location, path)


@contextmanager
def directory(staging: str, name: str) -> Iterator[str]:
    """A new directory `name` under the staging directory, removed afterwards whatever happens; OperationalError
    when it cannot be written (a missing bucket, an unreachable endpoint, missing credentials)."""
    location = join(staging if is_url(staging) else os.path.abspath(staging), name)
    fs = filesystem(location)
    try:
        if is_url(location):
            fs.pipe_file(join(location, MARKER), b"")
        else:
            fs.makedirs(location)
    except Exception as exc:  # fsspec implementations raise their own errors (botocore's, say) besides OSError
        raise OperationalError(f"cluster_dir {staging}: cannot write there: {exc}") from None
    try:
        yield location
    finally:
        try:
            fs.rm(location, recursive=True)
        except FileNotFoundError:
            pass
