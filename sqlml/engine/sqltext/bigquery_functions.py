"""What a DuckDB connection needs to run the BigQuery dialect's translations with BigQuery's meaning.

`install_functions(duck)` once per database (every connection to it sees them), and `apply_settings(duck)` on each
connection that reads the dialect (a `.cursor()` is a connection of its own: its settings start from the
defaults); `restore_settings` gives back what they replaced when the connection leaves the dialect:
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
SETTINGS = {"ieee_floating_point_ops": "false", "TimeZone": "UTC"}  # what the BigQuery dialect sets


def farm_fingerprint(text: str) -> int:
    """BigQuery's FARM_FINGERPRINT of a string: Fingerprint64 of its UTF-8 bytes, as a signed integer."""
    import farmhash  # the `cityhash` distribution's FarmHash module

    unsigned = farmhash.Fingerprint64(text.encode())
    return unsigned - (_SIGN_BIT << 1) if unsigned & _SIGN_BIT else unsigned


def install_functions(duck: duckdb.DuckDBPyConnection) -> None:
    """Register the functions on the database of `duck` (every connection to it sees them; idempotent)."""
    found = duck.execute("SELECT 1 FROM duckdb_functions() WHERE function_name = 'farm_fingerprint'").fetchall()
    if not found:
        try:
            duck.create_function("farm_fingerprint", farm_fingerprint, ["VARCHAR"], "BIGINT", side_effects=False)
        except duckdb.CatalogException as exc:  # another connection to the database registered it meanwhile
            if "already exists" not in str(exc):
                raise


def apply_settings(duck: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Give `duck` BigQuery's arithmetic errors and time zone; returns the values they replace."""
    previous = dict(
        duck.execute("SELECT name, value FROM duckdb_settings() WHERE name IN ?", [list(SETTINGS)]).fetchall()
    )
    restore_settings(duck, SETTINGS)
    return previous


def restore_settings(duck: duckdb.DuckDBPyConnection, values: dict[str, str]) -> None:
    """Set each of SETTINGS on `duck` to `values[name]`."""
    for name, value in values.items():
        duck.execute(f"SET {name} = '{value}'")
