"""What a sweep or a gallery refresh reads of the configuration: one frozen value.

Where it sits: handed down from the entry points. ``monitor.run.settings.sweep_settings(config)`` builds
it for ``ismon sweep``, ``ismon gallery refresh``, the daemon's jobs and ``ismon demo``; the sweep
package reads nothing else of the configuration. Also the two callables a sweep is given besides its
settings: the clock and the progress callback.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from monitor.alerts.settings import AlertSettings
from monitor.config import Alerts, Browser, Marketplace, Product, Sweep

Clock = Callable[[], datetime]
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class SweepSettings:
    """The settings of one sweep or gallery refresh: the pydantic sections it reads, as loaded."""

    sweep: Sweep
    browser: Browser
    alerts: Alerts  # blocked_after: fresh sessions challenged in a row before a marketplace is given up
    marketplaces: Mapping[str, Marketplace]
    products: tuple[Product, ...]
    locales: Mapping[str, str]  # marketplace -> the language its shoppers browse in
    data_dir: Path
    events: AlertSettings  # what the outbox reads when the sweep writes its events
