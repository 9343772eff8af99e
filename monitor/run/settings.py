"""From the whole Config to the settings each stage receives: the one place that reads Config for them.

Where it sits: at the entry points. ``ismon`` commands (monitor/cli), the daemon (monitor/run/daemon.py)
and ``ismon demo`` load the Config and call these builders; the stages below only ever see what a
builder hands them, so a stage's signature says which settings it uses.
"""

from __future__ import annotations

from monitor.alerts.settings import AlertSettings
from monitor.config import Config

__all__ = ["Config"]

# --- acquire ---------------------------------------------------------------------------------------

# --- sweep -----------------------------------------------------------------------------------------

# --- alerts ----------------------------------------------------------------------------------------


def alert_settings(config: Config) -> AlertSettings:
    """What the outbox and the mailer read: ``[alerts]``, ``[email]``, the products and the zones."""
    return AlertSettings(
        alerts=config.alerts,
        email=config.email,
        products=tuple(config.products),
        timezones={key: marketplace.timezone for key, marketplace in config.marketplaces.items()},
        data_dir=config.data_dir,
        config_path=config.path,
    )


# --- report ----------------------------------------------------------------------------------------

# --- store, ads, secrets ---------------------------------------------------------------------------
