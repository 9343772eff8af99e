"""How a search term is compared with a configured keyword (used by the ads stage and by impact)."""

from __future__ import annotations

import unicodedata


def normalise_keyword(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed: 'Camping　Chair ' and 'camping chair' are one keyword."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())
