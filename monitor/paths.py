"""Where ismon's own files are: the Jinja2 templates and the Alembic migrations (next to the package)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
MIGRATIONS = ROOT / "migrations"
