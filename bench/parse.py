"""Bench for ismon's page parser: time to parse each saved Amazon page.

Where it sits: outside the product. It times ``monitor.pages.parse_page`` (kind detection plus the
full extraction: ads, organic results, galleries) on every page in ``../shared/fixtures/amazon``, and
on a generated 20 MB search page. Target: at most 60 ms for the largest real page.

    .venv/bin/python bench/parse.py            # median of 15 runs per page
    .venv/bin/python bench/parse.py --runs 51
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from monitor.pages import ProductPage, parse_page  # noqa: E402

AMAZON = REPO.parent / "shared" / "fixtures" / "amazon"
TARGET_MS = 60.0


def _summary(data: bytes) -> str:
    page = parse_page(data)
    if isinstance(page, ProductPage):
        return f"{page.kind:<8} gallery {len(page.gallery)}, children {len(page.children)}"
    grid = sum(1 for ad in page.ads if ad.unit == "grid")
    return f"{page.kind:<8} ads {len(page.ads)} ({grid} grid), organic {len(page.organic)}"


def _time(data: bytes, runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds (CPU time is steadier on a busy machine)."""
    parse_page(data)  # warm-up
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        parse_page(data)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def _big_page(data: bytes, size: int) -> bytes:
    """A search page grown to ``size`` bytes by repeating a block of its result rows."""
    start = data.rfind(b"<div", 0, data.find(b'data-index="25"'))
    end = data.rfind(b"<div", 0, data.find(b'data-index="34"'))
    block = data[start:end]
    return data[:end] + block * (size // len(block) + 1) + data[end:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15, help="runs per page (the median is shown)")
    args = parser.parse_args()
    if not AMAZON.is_dir():
        print(f"saved Amazon pages not found at {AMAZON}", file=sys.stderr)
        return 2
    pages = sorted(AMAZON.glob("*/*.htm*"))
    print(f"{'page':<58} {'size':>8} {'wall':>9} {'cpu':>9}  result   (medians of {args.runs} runs)")
    largest: dict[str, tuple[int, float, str]] = {}  # page type -> (size, wall ms, name)
    for path in pages:
        data = path.read_bytes()
        ms, cpu = _time(data, args.runs)
        name = f"{path.parent.name}/{path.name}"
        print(f"{name:<58} {len(data) / 1e6:>6.2f}MB {ms:>7.1f}ms {cpu:>7.1f}ms  {_summary(data)}")
        kind = path.parent.name
        if len(data) > largest.get(kind, (0, 0.0, ""))[0]:
            largest[kind] = (len(data), ms, name)
    vegan = AMAZON / "serp" / "serp_2026_us_vegan-cosmetics.html"
    if vegan.is_file():
        big = _big_page(vegan.read_bytes(), 20_000_000)
        ms, cpu = _time(big, max(3, args.runs // 5))
        label = "generated: 2026 US serp grown to 20 MB"
        print(f"{label:<58} {len(big) / 1e6:>6.2f}MB {ms:>7.1f}ms {cpu:>7.1f}ms  {_summary(big)}")
    print()
    for size, ms, name in largest.values():
        verdict = "OK" if ms <= TARGET_MS else "OVER TARGET"
        print(f"largest {name} ({size / 1e6:.2f} MB): {ms:.1f} ms (target {TARGET_MS:.0f} ms) {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
