"""ML functions: one handler per ML.<FN>."""
