"""Planning a sweep: which search pages to visit, in what order, per marketplace.

Where it sits: the first step of a sweep (``monitor.sweep.runner``). The configured products and the
options of this run (only some keywords or ASINs, the trigger, politeness) become (marketplace, keyword,
page) ``Task``s, grouped by marketplace; the runner's workers take them from one queue. Also the URL of a
search page, which the page pipeline loads and the records name. No IO.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote_plus

from monitor.config import Product as ConfiguredProduct
from monitor.store import queries
from monitor.sweep.settings import SweepSettings


@dataclass(frozen=True, slots=True)
class Task:
    marketplace: str
    keyword: str
    page: int
    challenges: int = 0  # times this page was challenged (captcha) in this sweep so far
    not_before: float = 0.0  # time.monotonic() before which it is not loaded again (after a challenge)


@dataclass(frozen=True, slots=True)
class SweepOptions:
    keywords: frozenset[str] = frozenset()
    asins: frozenset[str] = frozenset()
    trigger: str = "manual"
    politeness: bool = True


def plan(
    settings: SweepSettings,
    products: Sequence[queries.ProductRef | ConfiguredProduct],
    options: SweepOptions,
) -> list[Task]:
    """The (marketplace, keyword, page) tasks of a sweep, grouped by marketplace."""
    pairs: dict[tuple[str, str], None] = {}
    for product in products:
        if options.asins and product.asin not in options.asins:
            continue
        for keyword in product.keywords:
            if options.keywords and keyword not in options.keywords:
                continue
            pairs[(product.marketplace, keyword)] = None
    tasks = [
        Task(market, keyword, page)
        for market, keyword in pairs
        for page in range(1, settings.sweep.pages + 1)
    ]
    tasks.sort(key=lambda t: (t.marketplace, t.page))
    return tasks


def search_url(base_url: str, keyword: str, page: int) -> str:
    url = f"{base_url}/s?k={quote_plus(keyword)}"
    return url if page == 1 else f"{url}&page={page}"
