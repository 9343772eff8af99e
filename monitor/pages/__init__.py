"""pages: TODO docstring."""
