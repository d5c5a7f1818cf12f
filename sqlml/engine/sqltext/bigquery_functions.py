"""DuckDB functions that GoogleSQL translated to DuckDB's dialect calls (FARM_FINGERPRINT, ...), registered on a
session's connection before its first translated statement. (Placeholder: the translator's work registers them.)"""

from __future__ import annotations

import duckdb


def install(duck: duckdb.DuckDBPyConnection) -> None:
    """Register the functions on `duck` (every cursor of its database then sees them)."""
