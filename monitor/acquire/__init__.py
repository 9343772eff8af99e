"""acquire: TODO docstring."""
