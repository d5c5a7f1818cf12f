"""The catalog: models and versions stored in DuckDB, their artifacts and integrity checks, loaded models."""
