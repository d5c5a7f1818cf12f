"""sqlml benchmarks: see run.py."""
