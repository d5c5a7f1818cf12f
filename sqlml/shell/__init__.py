"""The `sqlml` shell: an interactive SQL shell in the manner of the DuckDB CLI (repl.py), and the same
statements, dot commands and output modes for scripts (core.py, commands.py, render.py)."""
