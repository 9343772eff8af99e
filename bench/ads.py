"""Bench of the ads file edge: `ismon ads import` of 1,000,000 report rows, and `ads show` over a year.

Run from the repository root: ``.venv/bin/python bench/ads.py`` (``--rows N`` for a smaller run,
``--xlsx-rows N`` for the XLSX size, 0 to skip it). It writes, in ``build/bench-ads/``, a year of an
Advertised product report and a Search term report of N rows (older console layout, CSV), then

* runs ``ismon ads import`` on them in a child process and prints its wall time and peak RSS
  (``getrusage`` of the children): target <= 30 s and <= 1 GB for 1,000,000 rows;
* imports the Search term file again (every day replaced; no target, printed);
* times ``query_ads_days`` for one ASIN over the year, and for one ASIN and keyword (the JSON
  included): target <= 1 s each;
* imports an XLSX Search term report of ``--xlsx-rows`` rows (no target, printed).

Exit code 0 when every target holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session

from monitor.ads.store import query_ads_days
from monitor.store.db import open_database

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "bench-ads"
IMPORT_SECONDS = 30.0
IMPORT_BYTES = 1 << 30
SHOW_SECONDS = 1.0
DAYS = 365
FIRST_DAY = date(2025, 12, 1)
HEADER = [
    "Date", "Portfolio name", "Currency", "Campaign Name", "Ad Group Name", "Targeting", "Match Type",
    "Customer Search Term", "Impressions", "Clicks", "Click-Thru Rate (CTR)", "Cost Per Click (CPC)",
    "Spend", "7 Day Total Sales ", "Total Advertising Cost of Sales (ACoS) ",
    "Total Return on Advertising Spend (RoAS)", "7 Day Total Orders (#)", "7 Day Total Units (#)",
    "7 Day Conversion Rate",
]  # fmt: skip
ADV_HEADER = [
    "Date", "Portfolio name", "Currency", "Campaign Name", "Ad Group Name", "Advertised SKU",
    "Advertised ASIN", "Impressions", "Clicks", "Click-Thru Rate (CTR)", "Cost Per Click (CPC)", "Spend",
    "7 Day Total Sales ", "7 Day Total Orders (#)",
]  # fmt: skip
GROUPS = 200  # ad groups, 4 per campaign, one own ASIN each
TERMS_PER_GROUP = 60


def asin_of(group: int) -> str:
    return f"B0BENCH{group:03d}"


def term_row(day: date, group: int, term: int, rng: random.Random) -> list[object]:
    impressions = rng.randint(20, 3000)
    clicks = rng.randint(1, max(1, impressions // 40))
    cost = clicks * rng.uniform(0.2, 1.5)
    orders = rng.randint(0, clicks)
    sales = orders * 29.99
    return [
        day.strftime("%m/%d/%Y"), "", "USD", f"Campaign {group // 4:02d}", f"Group {group:03d}",
        f"keyword {group} {term % 5}", "EXACT" if term % 5 == 0 else "BROAD", f"search term {group} {term}",
        f"{impressions:,}", clicks, f"{clicks / impressions:.2%}", f"${cost / clicks:.2f}", f"${cost:,.2f}",
        f"${sales:,.2f}", f"{cost / sales:.2%}" if sales else "", f"{sales / cost:.2f}", orders, orders,
        f"{orders / clicks:.2%}",
    ]  # fmt: skip


def term_rows(rows: int, seed: int = 7) -> Iterator[list[object]]:
    """Rows spread over DAYS days, distinct (day, group, term)."""
    rng = random.Random(seed)
    per_day = max(1, rows // DAYS)
    made = 0
    for offset in range(DAYS):
        day = FIRST_DAY + timedelta(days=offset)
        count = per_day if offset < DAYS - 1 else rows - made
        for i in range(count):
            group, term = i % GROUPS, (i // GROUPS + offset) % TERMS_PER_GROUP
            yield term_row(day, group, term, rng)
        made += count


def write_files(rows: int) -> tuple[Path, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    terms = OUT / f"search_term_{rows}.csv"
    advertised = OUT / "advertised_product.csv"
    if not terms.exists():
        with terms.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            writer.writerows(term_rows(rows))
    if not advertised.exists():
        with advertised.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(ADV_HEADER)
            for offset in range(DAYS):
                day = (FIRST_DAY + timedelta(days=offset)).isoformat()
                for group in range(GROUPS):
                    writer.writerow([day, "", "USD", f"Campaign {group // 4:02d}", f"Group {group:03d}",
                                     f"SKU-{group}", asin_of(group), 5000, 50, "1.00%", "$0.50", "$25.00",
                                     "$99.00", 3])  # fmt: skip
    return terms, advertised


def write_xlsx(rows: int) -> Path:
    from openpyxl import Workbook

    path = OUT / f"search_term_{rows}.xlsx"
    if path.exists():
        return path
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sponsored Product Search Term R")
    sheet.append(HEADER)
    for row in term_rows(rows, seed=11):
        sheet.append(row)
    book.save(path)
    return path


def write_config(folder: Path) -> Path:
    products = "\n".join(
        f'[[products]]\nasin = "{asin_of(g)}"\nmarketplace = "us"\nkeywords = ["keyword {g} 0"]\n'
        for g in range(GROUPS)
    )
    config = folder / "ismon.toml"
    config.write_text(
        f'database_url = "sqlite:///bench.db"\ndata_dir = "data"\n[marketplaces.us]\n'
        f'base_url = "https://www.amazon.com"\n{products}',
        encoding="utf-8",
    )
    return config


def timed_import(config: Path, *files: Path) -> tuple[float, int, str]:
    """Wall seconds, peak RSS of that child in bytes (``wait4``; ru_maxrss is KiB on Linux), and its
    stdout followed by its CPU seconds and the load average (the wall time on a shared machine)."""
    command = [sys.executable, "-m", "monitor", "--config", str(config), "ads", "import", *map(str, files)]
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"ads import failed: {stderr.read()}")
        cpu = usage.ru_utime + usage.ru_stime
        load = os.getloadavg()[0]
        said = stdout.read().strip()
        said += f"\n  CPU {cpu:.1f} s of the child; load average {load:.1f} on {os.cpu_count()} CPUs"
        return seconds, usage.ru_maxrss * 1024, said


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=200_000)
    args = parser.parse_args()
    ok = True
    started = time.perf_counter()
    terms, advertised = write_files(args.rows)
    size = terms.stat().st_size / 1e6
    print(f"files: {terms.name} ({size:.0f} MB), written in {time.perf_counter() - started:.1f} s")
    folder = OUT / f"run-{args.rows}"
    folder.mkdir(exist_ok=True)
    (folder / "bench.db").unlink(missing_ok=True)
    config = write_config(folder)

    seconds, _, said = timed_import(config, advertised)
    print(f"import advertised products ({GROUPS * DAYS:,} rows): {seconds:.1f} s\n  {said}")
    seconds, peak, said = timed_import(config, terms)
    good = seconds <= IMPORT_SECONDS and peak <= IMPORT_BYTES
    ok &= good
    print(f"import {args.rows:,} search term rows: {seconds:.1f} s (target <= {IMPORT_SECONDS:.0f} s), "
          f"peak RSS {peak / 2**20:.0f} MiB (target <= {IMPORT_BYTES / 2**20:.0f} MiB): "
          f"{'ok' if good else 'MISSED'}\n  {said}")  # fmt: skip
    seconds, peak, said = timed_import(config, terms)
    print(f"import the same file again (all replaced): {seconds:.1f} s, peak RSS {peak / 2**20:.0f} MiB")
    print(f"  {said}")

    engine = open_database(f"sqlite:///{folder / 'bench.db'}")
    cases: tuple[tuple[str, dict[str, Any]], ...] = (
        ("ads show --asin A --json (a year)", {"asin": asin_of(42)}),
        (
            "ads show --asin A --keyword K --json (a year)",
            {"asin": asin_of(42), "keyword": "search term 42 5"},
        ),
        ("ads show --since 30d --json (all ASINs)", {"since": FIRST_DAY + timedelta(days=DAYS - 30)}),
    )
    for label, filters in cases:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            with Session(engine) as session:
                days = query_ads_days(session, **filters)
            data = [day.to_json() for day in days]
            times.append(time.perf_counter() - start)
        best = min(times)
        targeted = "--since" not in label
        good = best <= SHOW_SECONDS or not targeted
        ok &= good
        target = (
            f" (target <= {SHOW_SECONDS:.0f} s): {'ok' if good else 'MISSED'}" if targeted else " (no target)"
        )
        print(f"{label}: {len(data):,} days in {best:.3f} s (first run {times[0]:.3f} s){target}")
    engine.dispose()

    if args.xlsx_rows:
        start = time.perf_counter()
        xlsx = write_xlsx(args.xlsx_rows)
        print(f"xlsx: {xlsx.name} written in {time.perf_counter() - start:.1f} s")
        seconds, peak, said = timed_import(config, xlsx)
        rss = peak / 2**20
        print(f"import {args.xlsx_rows:,} XLSX rows: {seconds:.1f} s, peak RSS {rss:.0f} MiB (no target)")
        print(f"  {said}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
