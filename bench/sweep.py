"""Sweep throughput, memory and bytes: ismon's sweep against a plain Playwright script.

Runs 50 keywords against the simulated storefront (politeness off) with ismon's sweep at concurrency 1
and 2, and the same 50 searches with a plain Playwright script (new page, goto, wait for load, read the
content, default settings). Both are timed from start to finish: Playwright's driver and the browser
start and stop inside the measurement, as in a cron-run sweep. Prints keywords per minute, peak memory
of the whole process tree (browser included, PSS from /proc) and bytes per page as the storefront sent
them; then a 500-page sweep to show whether memory grows.

    .venv/bin/python bench/sweep.py            # the comparison and the 500-page run
    .venv/bin/python bench/sweep.py --quick    # 20 keywords, no 500-page run
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from monitor.acquire.launch import find_chromium
from monitor.config import load_config
from monitor.run.settings import sweep_settings
from monitor.store.db import open_database
from monitor.storefront import Scenario, Storefront, StoreProduct
from monitor.sweep.gallery import refresh_galleries
from monitor.sweep.planning import SweepOptions
from monitor.sweep.runner import run_sweep

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


def _serve(keywords: list[str], pages: int, conn: Connection) -> None:
    """The storefront in a process of its own, so that neither client's numbers include it."""
    with Storefront(scenario(keywords, pages)) as store:
        conn.send(store.base_url)
        while True:
            message = conn.recv()
            if message == "stop":
                return
            if message == "clear":
                store.clear_requests()
                conn.send(None)
            elif message == "bytes":
                conn.send(store.bytes_sent)


class RemoteStore:
    def __init__(self, keywords: list[str], pages: int = 7) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(keywords, pages, child), daemon=True)
        self._process.start()
        self.base_url: str = self._conn.recv()

    def bytes_sent(self) -> int:
        self._conn.send("bytes")
        value: int = self._conn.recv()
        return value

    def stop(self) -> None:
        self._conn.send("stop")
        self._process.join(timeout=10)


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
    """Samples the PSS of one process tree every ``every`` seconds in a thread."""

    root: int
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
            self.samples.append((time.monotonic(), tree_pss_mb(self.root)))
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
    screenshots: str  # taken / sightings

    @property
    def per_minute(self) -> float:
        return self.keywords / self.seconds * 60


def write_config(
    folder: Path,
    base_url: str,
    keywords: list[str],
    concurrency: int,
    pages: int = 1,
    shots_hours: float = 24,
) -> Path:
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
screenshot_every_hours = {shots_hours}
"""
    )
    return path


def clock() -> datetime:
    return datetime.now(UTC)


def _ismon_child(
    base_url: str,
    keywords: list[str],
    concurrency: int,
    folder: str,
    pages: int,
    warm: bool,
    conn: Connection,
    shots_hours: float = 24,
) -> None:
    config = load_config(write_config(Path(folder), base_url, keywords, concurrency, pages, shots_hours))
    engine = open_database(config.database_url)
    # not timed: galleries are imported once a day
    refresh_galleries(sweep_settings(config), engine, clock=clock)
    if warm:  # the steady state of a daemon: the same ads were seen (and photographed) before
        run_sweep(sweep_settings(config), engine, clock=clock, options=SweepOptions(politeness=False))
    conn.send(("ready", time.monotonic()))
    conn.recv()
    done = 0
    marks: list[tuple[float, int]] = []

    def tick(_msg: str) -> None:
        nonlocal done
        done += 1
        marks.append((time.monotonic(), done))

    started = time.perf_counter()
    summary = run_sweep(
        sweep_settings(config), engine, clock=clock, options=SweepOptions(politeness=False), progress=tick
    )
    seconds = time.perf_counter() - started
    engine.dispose()
    shots = f"{summary.screenshots}/{summary.sightings}"
    conn.send((summary.status, summary.pages, seconds, marks, summary.errors[:3], shots))


def _plain_child(base_url: str, keywords: list[str], conn: Connection) -> None:
    """What a first scraper would write: default Playwright, one new page per search, wait for load."""
    from urllib.parse import quote_plus

    executable = str(find_chromium())
    conn.send(("ready", time.monotonic()))
    conn.recv()
    # Timed like ismon's sweep, from start to finish: Playwright and the browser start, run, and stop.
    started = time.perf_counter()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable)
        for keyword in keywords:
            page = browser.new_page()
            page.goto(f"{base_url}/s?k={quote_plus(keyword)}", wait_until="load")
            page.content()
            page.close()
        browser.close()
    seconds = time.perf_counter() - started
    conn.send(("ok", len(keywords), seconds, [], [], "-"))


def measure(
    store: RemoteStore, name: str, target: Callable[..., Any], *args: Any, **kwargs: Any
) -> tuple[Result, Any]:
    """Run one client in its own process: time its work, sample its process tree, count the bytes."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=target, args=(*args, child), kwargs=kwargs)
    process.start()
    assert process.pid is not None
    parent.recv()  # set up (browser started, galleries imported)
    before = store.bytes_sent()
    with Sampler(process.pid) as sampler:
        parent.send("go")
        status, pages, seconds, marks, errors, shots = parent.recv()
    process.join()
    if status != "ok":
        raise SystemExit(f"{name}: {status} {errors}")
    keywords = len(args[1])
    result = Result(name, keywords, seconds, sampler.peak, (store.bytes_sent() - before) / pages, shots)
    return result, (pages, seconds, marks, sampler)


def growth(store: RemoteStore, keywords: list[str], folder: Path) -> None:
    """A 500-page sweep at concurrency 2: PSS over the first and the last 100 pages."""
    _, (total, seconds, marks, sampler) = measure(
        store, "500 pages", _ismon_child, store.base_url, keywords, 2, str(folder), 10, False
    )

    def window(lo: int, hi: int) -> list[float]:
        times = [t for t, n in marks if lo <= n <= hi]
        if not times:
            return []
        return [mb for t, mb in sampler.samples if times[0] <= t <= times[-1]]

    first = window(1, 100)
    last = window(total - 99, total)
    print(
        f"\n500-page sweep at concurrency 2: {total} pages in {seconds:.0f} s ({total / seconds:.1f} pages/s)"
    )
    if first and last:
        for label, values in (("pages 1-100:", first), (f"pages {total - 99}-{total}:", last)):
            print(f"  PSS {label:<16} median {statistics.median(values):.0f} MB, max {max(values):.0f} MB")
        print(f"  growth of the median: {statistics.median(last) - statistics.median(first):+.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 keywords, no 500-page run")
    args = parser.parse_args()
    keywords = KEYWORDS[:20] if args.quick else KEYWORDS
    print(
        f"chromium: {find_chromium()}; {len(keywords)} keywords; {os.cpu_count()} cores; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    store = RemoteStore(keywords, pages=10)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            # Warm the storefront's picture cache so that no side pays for drawing pictures.
            measure(store, "warm-up", _plain_child, store.base_url, keywords)
            results = [measure(store, "plain Playwright script", _plain_child, store.base_url, keywords)[0]]
            runs = [(warm, c, 24.0) for warm in (False, True) for c in (1, 2)]
            runs.insert(2, (False, 2, 0.0))  # for comparison: every ad photographed, none shared
            for warm, concurrency, hours in runs:
                folder = Path(tmp) / f"c{concurrency}-{warm}-{hours}"
                folder.mkdir()
                name = f"ismon, concurrency {concurrency}, {'repeat' if warm else 'first'} sweep"
                name += ", every ad" if not hours else ""
                args_ = (store.base_url, keywords, concurrency, str(folder), 1, warm)
                results.append(measure(store, name, _ismon_child, *args_, shots_hours=hours)[0])
            plain = results[0]
            print(
                f"\n{'':44} {'kw/min':>8} {'x plain':>8} {'peak MB':>8} {'KB/page':>8} {'x plain':>8} "
                f"{'shots':>8}"
            )
            for r in results:
                print(
                    f"{r.name:44} {r.per_minute:8.1f} {r.per_minute / plain.per_minute:8.2f} "
                    f"{r.peak_mb:8.0f} {r.bytes_per_page / 1024:8.1f} "
                    f"{r.bytes_per_page / plain.bytes_per_page:8.2f} {r.screenshots:>8}"
                )
            print(
                "targets: >= 2.00x plain kw/min, <= 0.50x plain bytes/page, <= 700 MB peak at concurrency 2\n"
                "first sweep: every ad is new; a tile that looks like one photographed earlier in the\n"
                "sweep shares its screenshot ('every ad': screenshot_every_hours = 0, none shared);\n"
                "repeat: the same ads again, evidence reused. shots: screenshots taken / own ads seen"
            )
            print(
                "(peak MB: PSS of the client's whole process tree, browser included; "
                "the storefront runs apart)"
            )
            if not args.quick:
                folder = Path(tmp) / "long"
                folder.mkdir()
                growth(store, keywords, folder)
    finally:
        store.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
