"""What the alert flow reads of the configuration, as one frozen value: ``AlertSettings``.

Where it sits: at the door of the alerts package. The entry points (``ismon`` commands, the daemon,
the demo) build it from the whole Config with ``alert_settings`` in ``monitor/run/settings.py``; the
outbox (``monitor/alerts/outbox.py``: events at the end of a page and of a sweep) and delivery
(``monitor/alerts/mailer.py``: flush and preview) receive it. Nothing in alerts sees the whole Config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from monitor.config import Alerts, Email, Product
from monitor.impact.zones import Zones
from monitor.marketplaces import reporting_zone

DEFAULT_DOMAIN = "ismon.local"  # the Message-ID domain when no sender is configured


@dataclass(frozen=True)
class AlertSettings:
    """The ``[alerts]`` and ``[email]`` sections, the products and the marketplaces' reporting zones.

    ``timezones`` maps a configured marketplace to its ``timezone`` key ("" or absent: the
    marketplace's usual zone, as ``Config.timezone`` says); ``config_path`` names the file in errors.
    """

    alerts: Alerts = field(default_factory=Alerts)
    email: Email | None = None
    products: tuple[Product, ...] = ()
    timezones: Mapping[str, str] = field(default_factory=dict)
    data_dir: Path = Path("ismon-data")
    config_path: Path | None = None

    @property
    def domain(self) -> str:
        """The domain of the Message-IDs: the sender's (``ismon.local`` without ``[email]``)."""
        if self.email is not None:
            return self.email.sender.rpartition("@")[2] or DEFAULT_DOMAIN
        return DEFAULT_DOMAIN

    def zones(self) -> Zones:
        """Marketplace -> the zone whose calendar days Amazon Ads reports (``Config.timezone``)."""
        return Zones(lambda marketplace: reporting_zone(marketplace, self.timezones.get(marketplace, "")))
