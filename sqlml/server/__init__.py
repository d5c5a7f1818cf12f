"""`sqlml serve`: a PostgreSQL wire-protocol server over sqlml's Session (see docs/server.md)."""
