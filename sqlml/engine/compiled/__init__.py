"""Scorers compiled to SQL: DuckDB evaluates the model as an expression."""
