"""report: TODO docstring."""
