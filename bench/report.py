"""Bench of the read end of the data flow: `ismon report` and `ismon history` over 1,000,000 sightings.

Run from the repository root: ``.venv/bin/python bench/report.py`` (``--sightings N`` for a smaller
run). It generates (or reuses) ``build/bench-report.db`` with ``bench/generate.py``, then times

* a filtered history (``--asin A --keyword K --since 30d``, the JSON included): target <= 1 s;
* an unfiltered ``--since 7d`` history (no target; it lists ~45,000 rows);
* ``build_report`` in a child process, with the child's peak RSS from ``getrusage``: target <= 20 s and
  <= 1 GB.

Exit code 0 when every target holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from generate import bench_config, generate  # bench/ is sys.path[0] when run as a script
from sqlmodel import Session

from monitor.report.site import build_report
from monitor.run.settings import report_settings
from monitor.store.db import open_database
from monitor.store.files import BlobStore
from monitor.store.history import history_json, query_history

log = logging.getLogger("bench.report")

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
REPORT_SECONDS = 20.0
REPORT_BYTES = 1 << 30
HISTORY_SECONDS = 1.0


def _timed(fn: object, repeat: int) -> tuple[float, float, int]:
    """(first run, median of the following runs, rows) in seconds."""
    assert callable(fn)
    times: list[float] = []
    rows = 0
    for _ in range(repeat):
        start = time.perf_counter()
        rows = len(fn())
        times.append(time.perf_counter() - start)
    return times[0], statistics.median(times[1:] or times), rows


def child(db: Path, data: Path, out: Path, now: datetime, products: int) -> None:
    """Run only the report, in this (fresh) process, and print its time and peak RSS as JSON."""
    logging.basicConfig(level=logging.INFO, format="  child %(relativeCreated)6.0f ms %(message)s")
    logging.getLogger("monitor.report.site").setLevel(logging.DEBUG)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    engine = open_database(f"sqlite:///{db}", migrate=False)
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    summary = build_report(
        engine, report_settings(bench_config(db, data, products)), BlobStore(data), out, now
    )
    seconds = time.perf_counter() - start
    engine.dispose()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    peak_kb = usage.ru_maxrss  # KiB on Linux
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "peak_rss_bytes": peak_kb * 1024,
                "sightings": summary.sightings,
                "csv_rows": summary.csv_rows,
                "pages": len(summary.product_pages) + 1,
                "images": summary.images,
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sightings", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--child", nargs=4, metavar=("DB", "DATA", "OUT", "NOW"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        db, data, out, now = args.child
        child(Path(db), Path(data), Path(out), datetime.fromisoformat(now), args.products)
        return 0

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # keep in step with stderr
    suffix = (
        "" if args.sightings == 1_000_000 and args.products == 50 else f"-{args.sightings}-{args.products}"
    )
    db = BUILD / f"bench-report{suffix}.db"
    data = BUILD / f"bench-data{suffix}"
    out = BUILD / f"bench-report-site{suffix}"
    start = time.perf_counter()
    bench = generate(db, data, sightings=args.sightings, products=args.products)
    print(
        f"data: {bench.sightings:,} sightings in {db} ({time.perf_counter() - start:.1f} s to generate/check)"
    )
    now = bench.last_seen.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)

    engine = open_database(f"sqlite:///{db}", migrate=False)
    ok = True
    with Session(engine) as session:
        since30 = now - timedelta(days=30)
        first, median, rows = _timed(
            lambda: history_json(
                query_history(session, asin=bench.sample_asin, keyword=bench.sample_keyword, since=since30)
            ),
            repeat=6,
        )
        passed = first <= HISTORY_SECONDS and median <= HISTORY_SECONDS
        ok &= passed
        print(
            f"history --asin {bench.sample_asin} --keyword {bench.sample_keyword!r} --since 30d --json: "
            f"{rows} rows, first {first * 1000:.1f} ms, median {median * 1000:.1f} ms "
            f"(target <= {HISTORY_SECONDS:.0f} s) {'PASS' if passed else 'FAIL'}"
        )
        first, median, rows = _timed(
            lambda: query_history(session, asin=bench.sample_asin, since=since30), repeat=4
        )
        print(
            f"history --asin {bench.sample_asin} --since 30d: {rows} rows, "
            f"first {first * 1000:.1f} ms, median {median * 1000:.1f} ms"
        )
        since7 = now - timedelta(days=7)
        first, median, rows = _timed(lambda: history_json(query_history(session, since=since7)), repeat=3)
        print(
            f"history --since 7d --json (unfiltered): {rows:,} rows, first {first:.2f} s, "
            f"median {median:.2f} s (no target)"
        )
        first, median, rows = _timed(lambda: query_history(session, limit=50), repeat=3)
        print(f"history --limit 50 (unfiltered): {rows} rows, first {first * 1000:.1f} ms")
    engine.dispose()

    completed = subprocess.run(
        [sys.executable, __file__, "--products", str(args.products), "--child", str(db), str(data), str(out),
         now.isoformat()],
        check=True,
        capture_output=True,
        text=True,
    )  # fmt: skip
    sys.stderr.write(completed.stderr)
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    seconds, peak = result["seconds"], max(result["peak_rss_bytes"], children_kb * 1024)
    passed = seconds <= REPORT_SECONDS and peak <= REPORT_BYTES
    ok &= passed
    print(
        f"report: {seconds:.1f} s wall ({result['cpu_seconds']:.1f} s CPU; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs), peak RSS {peak / 2**20:.0f} MiB "
        f"(targets <= {REPORT_SECONDS:.0f} s, "
        f"<= {REPORT_BYTES / 2**20:.0f} MiB) {'PASS' if passed else 'FAIL'}; "
        f"{result['pages']} pages, {result['images']} images, {result['csv_rows']:,} CSV rows in {out}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
