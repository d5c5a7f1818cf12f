"""The engine: runs DuckDB SQL with sqlml's ML statements and functions. Its one door for the front ends is
session.py (Session, SessionCursor); the sub-packages hold its layers: store, sqltext, data, training,
families, compiled, functions."""
