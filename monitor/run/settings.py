"""From the whole Config to the settings each stage receives: the one place that reads Config for them.

Where it sits: at the entry points. ``ismon`` commands (monitor/cli), the daemon (monitor/run/daemon.py)
and ``ismon demo`` load the Config and call these builders; the stages below only ever see what a
builder hands them, so a stage's signature says which settings it uses.
"""

from __future__ import annotations

from monitor.ads.pull import PullSettings, Target
from monitor.ads.store import own_asins_by_marketplace
from monitor.alerts.settings import AlertSettings
from monitor.config import Config
from monitor.report.site import ReportSettings
from monitor.sweep.settings import SweepSettings

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
        events=alert_settings(config),
    )


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


def report_settings(config: Config) -> ReportSettings:
    """What ``build_report`` reads: the configured products in order, the alert windows, the ads zones."""
    return ReportSettings(
        products=tuple(config.products),
        recent_days=config.alerts.recent_days,
        optout_grace_hours=config.alerts.optout_grace_hours,
        timezone=config.timezone,
    )


# --- store, ads, secrets ---------------------------------------------------------------------------


def ads_pull_settings(config: Config) -> PullSettings:
    """What ``ismon ads pull`` (and the daemon's and the demo's pulls) use of the config."""
    return PullSettings(
        ads=config.ads,
        targets=tuple(
            Target(key, market.ads_profile_id, config.timezone(key))
            for key, market in sorted(config.marketplaces.items())
            if market.ads_profile_id
        ),
        own_asins=own_asins_by_marketplace((p.marketplace, p.asin) for p in config.products),
        data_dir=config.data_dir,
        where=str(config.path or "config"),
    )
