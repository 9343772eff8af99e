"""The values the report's pages are rendered from: products, their keywords, the latest ad shots.

Where it sits: inside the last step of the data flow (history -> HTML site). ``monitor.report.load``
fills a ``ProductView`` per product from the database, ``monitor.report.site`` adds the charts, images
and impact views and hands them to the Jinja2 templates, and returns a ``ReportSummary`` of what it
wrote. Plain dataclasses: no database, no files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.report.charts import Chart
from monitor.report.impact import KeywordImpactView


@dataclass(frozen=True, slots=True)
class ReportSummary:
    """What ``build_report`` wrote."""

    out_dir: Path
    index: Path
    csv: Path
    product_pages: tuple[Path, ...]
    products: int
    sightings: int  # sightings in the database (and in the CSV)
    csv_rows: int  # sightings plus blocked/failed visits
    images: int  # files in img/ the pages reference
    missing_images: int  # referenced blobs no longer in data_dir


@dataclass(slots=True)
class Shot:
    """The latest sighting of one (keyword, unit), with what it matched."""

    marketplace: str
    asin: str
    keyword: str
    unit: str
    placement: str | None
    position: int | None
    seen_at: datetime
    verdict: str
    variant: str | None
    method: str
    distance: float | None
    label: str
    colour: str
    ad_image: str | None = None  # relative paths inside out_dir
    screenshot: str | None = None
    gallery_image: str | None = None


@dataclass(slots=True)
class KeywordView:
    text: str
    total: int = 0
    shots: list[Shot] = field(default_factory=list)
    recent_total: int = 0
    recent_main: int = 0
    blocked_recent: int = 0
    chart: Chart | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    impact: KeywordImpactView | None = None  # the CTR chart and tracking table (monitor/report/impact.py)

    @property
    def main_share(self) -> float | None:
        return self.recent_main / self.recent_total if self.recent_total else None


@dataclass(slots=True)
class ProductView:
    id: int | None
    marketplace: str
    asin: str
    name: str
    active: bool
    keywords: dict[str, KeywordView] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    events_total: int = 0
    blocked: list[dict[str, Any]] = field(default_factory=list)
    blocked_total: int = 0
    gallery: list[dict[str, Any]] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return f"product-{_slug(self.marketplace)}-{_slug(self.asin)}.html"

    @property
    def total(self) -> int:
        return sum(k.total for k in self.keywords.values())

    def keyword(self, text: str) -> KeywordView:
        view = self.keywords.get(text)
        if view is None:
            view = self.keywords[text] = KeywordView(text)
        return view


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", text) or "_"
