"""One colour per gallery variant, the same in the report's charts and in the emails' CTR chart. Pure.

Where it sits: under both readers of it. ``monitor/alerts/ctr_drop.py`` paints the PNG chart an email
shows with these colours, and the report (``monitor/report/charts.py``, which ranks above alerts) paints
its SVG charts, legends and badges with the same ones, so a variant looks alike wherever it appears.
"""

from __future__ import annotations

import hashlib

VARIANT_COLOURS: dict[str, str] = {
    "MAIN": "#2e7d32",
    "PT01": "#1f77b4",
    "PT02": "#ff7f0e",
    "PT03": "#9467bd",
    "PT04": "#8c564b",
    "PT05": "#e377c2",
    "PT06": "#17becf",
    "PT07": "#bcbd22",
    "PT08": "#d62728",
    "FRNT": "#393b79",
    "LEFT": "#637939",
    "SIDE": "#8c6d31",
    "BACK": "#843c39",
    "ambiguous": "#b0b0b0",
    "unknown": "#424242",
}


def variant_colour(label: str) -> str:
    """The colour of a variant (or ``ambiguous``/``unknown``), the same on every page."""
    known = VARIANT_COLOURS.get(label)
    if known:
        return known
    hue = int(hashlib.sha256(label.encode()).hexdigest()[:4], 16) % 360
    return f"hsl({hue}, 55%, 45%)"
