"""What a DuckDB connection needs to run the BigQuery dialect's translations with BigQuery's meaning.

`install(duck)` on each connection (a `.cursor()` is a connection of its own: its settings start from the
defaults, though the functions of the database it shares are visible from it):
- `farm_fingerprint(VARCHAR) -> BIGINT`: BigQuery's FARM_FINGERPRINT, FarmHash's Fingerprint64 as a signed
  64-bit integer (https://cloud.google.com/bigquery/docs/reference/standard-sql/hash_functions);
- `ieee_floating_point_ops = false`: 1/0, LOG(-1), SQRT(-1) raise as in BigQuery (DuckDB's default gives inf
  and NaN), and SAFE.<fn> (DuckDB's TRY) turns those errors into NULL as BigQuery does;
- `TimeZone = 'UTC'`, BigQuery's default time zone: TIMESTAMP '2020-01-01 10:00:00', EXTRACT(HOUR FROM ts),
  FORMAT_TIMESTAMP and DATE(ts) read and write timestamps in UTC
  (https://cloud.google.com/bigquery/docs/reference/standard-sql/timestamp_functions#timezone_definitions).
Both settings belong to the connection alone (a DuckDB cursor or another connection keeps its own)."""

from __future__ import annotations

import duckdb

_SIGN_BIT = 1 << 63


def farm_fingerprint(text: str) -> int:
    """BigQuery's FARM_FINGERPRINT of a string: Fingerprint64 of its UTF-8 bytes, as a signed integer."""
    import farmhash  # the `cityhash` distribution's FarmHash module

    unsigned = farmhash.Fingerprint64(text.encode())
    return unsigned - (_SIGN_BIT << 1) if unsigned & _SIGN_BIT else unsigned


def _has_function(duck: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(duck.execute("SELECT 1 FROM duckdb_functions() WHERE function_name = ?", [name]).fetchall())


def install(duck: duckdb.DuckDBPyConnection) -> None:
    """Give `duck` BigQuery's FARM_FINGERPRINT, arithmetic errors and time zone (idempotent)."""
    if not _has_function(duck, "farm_fingerprint"):
        duck.create_function("farm_fingerprint", farm_fingerprint, ["VARCHAR"], "BIGINT", side_effects=False)
    duck.execute("SET ieee_floating_point_ops = false")
    duck.execute("SET TimeZone = 'UTC'")
