"""Which calendar day a moment belongs to, per marketplace: the reporting time zones. Pure.

Where it sits: beside the join (``monitor.impact.join`` takes a marketplace -> zone mapping). The
store side of impact, the report and the emails pass ``Zones(config.timezone)``, which asks the config
once per marketplace; kept apart from the estimates so that importing it costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo


class Zones(dict[str, tzinfo]):
    """Marketplace -> reporting time zone, asked of ``zone_of`` (``Config.timezone``) on first use."""

    def __init__(self, zone_of: Callable[[str], tzinfo]) -> None:
        super().__init__()
        self.zone_of = zone_of

    def __missing__(self, marketplace: str) -> tzinfo:
        zone = self[marketplace] = self.zone_of(marketplace)
        return zone
