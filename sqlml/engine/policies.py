"""Where a connection's statements may touch files: EXPORT MODEL's writes, CREATE MODEL's model_path reads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlml.engine.store.files import inside
from sqlml.errors import OperationalError


@dataclass(frozen=True)
class ExportPolicy:
    """Where EXPORT MODEL may write: anywhere (the default: a local user's own files), nowhere (`allowed`
    False), or only inside `directory` (a server's --export-dir)."""

    allowed: bool = True
    directory: str | None = None

    def resolve(self, uri: str) -> str:
        """The path to write for `uri` (relative to `directory`, if any); OperationalError if not allowed."""
        if not self.allowed:
            raise OperationalError(
                "EXPORT MODEL is not allowed on this connection (a server allows it inside its --export-dir)"
            )
        if self.directory is None:
            return uri
        path = inside(self.directory, uri)
        if path is None:
            raise OperationalError(
                f"EXPORT MODEL: uri {uri!r} is outside the export directory {Path(self.directory).resolve()}"
            )
        return str(path)


@dataclass(frozen=True)
class ImportPolicy:
    """Where CREATE MODEL ... OPTIONS(model_path=...) may read: wherever DuckDB's own readers may (the
    default: a local user's files, unless DuckDB's enable_external_access is false), nowhere (`allowed`
    False), or only inside `directory` (a server's --import-dir, whatever DuckDB's setting)."""

    allowed: bool = True
    directory: str | None = None

    def resolve(self, path: str, external_access: bool) -> str:
        """The file to read for model_path `path` (relative to `directory`, if any); OperationalError if not
        allowed, with the same message whether or not the file exists. `external_access`: DuckDB's setting."""
        if not self.allowed or (self.directory is None and not external_access):
            raise OperationalError(
                f"Permission Error: model_path {path!r} cannot be read: file access is disabled "
                "on this connection (a server reads models inside its --import-dir only)"
            )
        if self.directory is None:
            return path
        found = inside(self.directory, path)
        if found is None:
            raise OperationalError(f"Permission Error: model_path {path!r} is outside the server's import directory")
        return str(found)
