"""From the whole Config to the settings each stage receives: the one place that reads Config for them.

Where it sits: at the entry points. ``ismon`` commands (monitor/cli), the daemon (monitor/run/daemon.py)
and ``ismon demo`` load the Config and call these builders; the stages below only ever see what a
builder hands them, so a stage's signature says which settings it uses.
"""

from __future__ import annotations

from monitor.config import Config
from monitor.sweep.settings import SweepSettings

__all__ = ["Config"]

# --- acquire ---------------------------------------------------------------------------------------

# --- sweep -----------------------------------------------------------------------------------------


def sweep_settings(config: Config) -> SweepSettings:
    """What a sweep and a gallery refresh read: the sweep, browser and alerts sections, the
    marketplaces (with their shoppers' language), the products and data_dir."""
    return SweepSettings(
        sweep=config.sweep,
        browser=config.browser,
        alerts=config.alerts,
        marketplaces=config.marketplaces,
        products=tuple(config.products),
        locales={key: config.locale(key) for key in config.marketplaces},
        data_dir=config.data_dir,
        events=config,  # for monitor.alerts.outbox, which takes the whole Config today
    )


# --- alerts ----------------------------------------------------------------------------------------

# --- report ----------------------------------------------------------------------------------------

# --- store, ads, secrets ---------------------------------------------------------------------------
