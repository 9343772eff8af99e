"""alerts: TODO docstring."""
