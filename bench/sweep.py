"""Sweep throughput, memory and bytes: ismon's sweep against a plain Playwright script.

Runs 50 keywords against the simulated storefront (politeness off) with ismon's sweep at concurrency 1
and 2, and the same 50 searches with a plain Playwright script (new page, goto, wait for load, read the
content, default settings). Prints keywords per minute, peak memory of the whole process tree (browser
included, PSS from /proc) and bytes per page as the storefront sent them; then a 500-page sweep to show
whether memory grows.

    .venv/bin/python bench/sweep.py            # the comparison and the 500-page run
    .venv/bin/python bench/sweep.py --quick    # 20 keywords, no 500-page run
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import sync_playwright

from monitor.browser import find_chromium
from monitor.config import load_config
from monitor.db import open_database
from monitor.storefront import Scenario, Storefront, StoreProduct
from monitor.sweep import SweepOptions, refresh_galleries, run_sweep

OWN = [
    StoreProduct("B0BENCH001", "Trailhead folding camping chair", "Trailhead", seed=101),
    StoreProduct("B0BENCH002", "Trailhead LED lantern", "Trailhead", seed=202),
    StoreProduct("B0BENCH003", "Trailhead hiking backpack", "Trailhead", seed=303),
]
ADJECTIVES = [
    "light",
    "folding",
    "compact",
    "cheap",
    "best",
    "large",
    "kids",
    "heavy duty",
    "waterproof",
    "led",
]
NOUNS = ["camping chair", "lantern", "backpack", "tent", "stool"]
KEYWORDS = [f"{a} {n}" for a in ADJECTIVES for n in NOUNS]  # 50


def scenario(keywords: list[str], pages: int = 7) -> Scenario:
    sponsored = {k: [p.asin for p in OWN] for k in keywords}
    ad_images = {(OWN[i % 3].asin, k): ("MAIN", "PT02", "PT03")[i % 3] for i, k in enumerate(keywords)}
    return Scenario(
        products=list(OWN),
        sponsored=sponsored,
        ad_images=ad_images,
        carousel={k: [OWN[0].asin] for k in keywords[::3]},
        brand={k: [OWN[1].asin] for k in keywords[::4]},
        organic_count=20,
        pages=pages,
    )


def _tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found = [root]
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in found and pid not in found:
                found.append(pid)
                changed = True
    return found


def tree_pss_mb(root: int) -> float:
    """Proportional set size of a process and all its descendants (shared pages counted once)."""
    total = 0
    for pid in _tree(root):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
    return total / 1024


@dataclass
class Sampler:
    """Samples the PSS of this process tree every ``every`` seconds in a thread."""

    every: float = 0.25
    samples: list[tuple[float, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), tree_pss_mb(os.getpid())))
            self._stop.wait(self.every)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()

    @property
    def peak(self) -> float:
        return max((mb for _, mb in self.samples), default=0.0)


@dataclass
class Result:
    name: str
    keywords: int
    seconds: float
    peak_mb: float
    bytes_per_page: float

    @property
    def per_minute(self) -> float:
        return self.keywords / self.seconds * 60


def write_config(folder: Path, base_url: str, keywords: list[str], concurrency: int, pages: int = 1) -> Path:
    blocks = "\n".join(
        f'[[products]]\nasin = "{p.asin}"\nmarketplace = "us"\nname = "{p.title}"\n'
        f"keywords = [{', '.join(repr(k).replace(chr(39), chr(34)) for k in keywords)}]\n"
        for p in OWN
    )
    path = folder / "ismon.toml"
    path.write_text(
        f"""
database_url = "sqlite:///ismon.db"
data_dir = "data"
[marketplaces.us]
base_url = "{base_url}"
{blocks}
[sweep]
pages = {pages}
concurrency = {concurrency}
delay_seconds = [0, 0]
timeout_seconds = 30
"""
    )
    return path


def clock() -> datetime:
    return datetime.now(UTC)


def run_ismon(store: Storefront, keywords: list[str], concurrency: int, folder: Path) -> Result:
    config = load_config(write_config(folder, store.base_url, keywords, concurrency), {})
    engine = open_database(config.database_url)
    refresh_galleries(config, engine, clock=clock)
    store.clear_requests()
    before = store.bytes_sent
    with Sampler() as sampler:
        started = time.perf_counter()
        summary = run_sweep(config, engine, clock=clock, options=SweepOptions(politeness=False))
        seconds = time.perf_counter() - started
    assert summary.status == "ok", summary.errors
    engine.dispose()
    pages = summary.pages
    return Result(
        f"ismon sweep, concurrency {concurrency}",
        len(keywords),
        seconds,
        sampler.peak,
        (store.bytes_sent - before) / pages,
    )


def run_plain(store: Storefront, keywords: list[str]) -> Result:
    """What a first scraper would write: default Playwright, one page per search."""
    from urllib.parse import quote_plus

    store.clear_requests()
    before = store.bytes_sent
    with Sampler() as sampler, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(find_chromium()))
        started = time.perf_counter()
        for keyword in keywords:
            page = browser.new_page()
            page.goto(f"{store.base_url}/s?k={quote_plus(keyword)}", wait_until="load")
            page.content()
            page.close()
        seconds = time.perf_counter() - started
        browser.close()
    return Result(
        "plain Playwright script",
        len(keywords),
        seconds,
        sampler.peak,
        (store.bytes_sent - before) / len(keywords),
    )


def growth(store: Storefront, keywords: list[str], folder: Path) -> None:
    """A 500-page sweep at concurrency 2: PSS over the first and the last 100 pages."""
    pages = 10
    config = load_config(write_config(folder, store.base_url, keywords, 2, pages=pages), {})
    engine = open_database(config.database_url)
    refresh_galleries(config, engine, clock=clock)
    store.clear_requests()
    progress: list[tuple[float, int]] = []
    done = [0]

    def tick(_msg: str) -> None:
        done[0] += 1
        progress.append((time.monotonic(), done[0]))

    with Sampler(every=0.5) as sampler:
        started = time.perf_counter()
        summary = run_sweep(
            config, engine, clock=clock, options=SweepOptions(politeness=False), progress=tick
        )
        seconds = time.perf_counter() - started
    engine.dispose()
    total = summary.pages

    def window(lo: int, hi: int) -> list[float]:
        times = [t for t, n in progress if lo <= n <= hi]
        if not times:
            return []
        return [mb for t, mb in sampler.samples if times[0] <= t <= times[-1]]

    first = window(1, 100)
    last = window(total - 99, total)
    print(
        f"\n500-page sweep: {total} pages in {seconds:.0f} s ({total / seconds:.1f} pages/s), "
        f"status {summary.status}"
    )
    if first and last:
        print(f"  PSS {'pages 1-100:':<16} median {statistics.median(first):.0f} MB, max {max(first):.0f} MB")
        tail = f"pages {total - 99}-{total}:"
        print(f"  PSS {tail:<16} median {statistics.median(last):.0f} MB, max {max(last):.0f} MB")
        print(f"  growth of the median: {statistics.median(last) - statistics.median(first):+.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 keywords, no 500-page run")
    args = parser.parse_args()
    keywords = KEYWORDS[:20] if args.quick else KEYWORDS
    print(f"chromium: {find_chromium()}; {len(keywords)} keywords; {os.cpu_count()} cores")
    with Storefront(scenario(keywords)) as store, tempfile.TemporaryDirectory() as tmp:
        # Warm the storefront's image cache so neither side pays for drawing pictures.
        run_plain(store, keywords[:5])
        results = [run_plain(store, keywords)]
        for concurrency in (1, 2):
            folder = Path(tmp) / f"c{concurrency}"
            folder.mkdir()
            results.append(run_ismon(store, keywords, concurrency, folder))
        plain = results[0]
        print(f"\n{'':32} {'kw/min':>8} {'x plain':>8} {'peak MB':>8} {'KB/page':>8} {'x plain':>8}")
        for r in results:
            print(
                f"{r.name:32} {r.per_minute:8.1f} {r.per_minute / plain.per_minute:8.2f} {r.peak_mb:8.0f} "
                f"{r.bytes_per_page / 1024:8.1f} {r.bytes_per_page / plain.bytes_per_page:8.2f}"
            )
        print("targets: >= 2.00x plain kw/min, <= 0.50x plain bytes/page, <= 700 MB peak at concurrency 2")
        if not args.quick:
            folder = Path(tmp) / "long"
            folder.mkdir()
            growth(store, keywords, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
