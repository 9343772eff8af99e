"""sweep: TODO docstring."""
