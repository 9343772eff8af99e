"""Bench of ``monitor.impact``: are the intervals honest, and is ``ismon impact`` fast enough?

Run from the repository root: ``.venv/bin/python bench/impact.py`` (``--runs N`` per scenario, default
400; ``--skip-stats`` or ``--skip-timing`` for one half). Simulated accounts (``monitor.impact.simulate``)
with known effects go through the real join and estimate:

* coverage: how often the 95% interval of ``ctr_change`` contains the true change (target >= 93%);
* false verdicts: ``worse``/``better`` when the variant has no effect (target <= 5%);
* power: how often a -30% and a -50% effect is called ``worse`` at typical volumes;
* small data: what the minimums (days shown, clicks) do to those rates;
* time: one year x 50 keywords of sightings and ads days in a SQLite database, then the real
  ``ismon impact --json`` command in a child process (target <= 10 s).

Exit code 0 when every target holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from monitor.impact.estimate import DEFAULT_SETTINGS, EstimateSettings, KeywordImpact, estimate
from monitor.impact.join import join_days
from monitor.impact.simulate import Account

ROOT = Path(__file__).resolve().parents[1]
LA = ZoneInfo("America/Los_Angeles")
COVERAGE_TARGET = 0.93
FALSE_TARGET = 0.05
SECONDS_TARGET = 10.0


@dataclass(frozen=True)
class Scenario:
    name: str
    account: Account


def _typical(rng: np.random.Generator, **changes: object) -> Account:
    """A typical keyword: a few hundred to a few thousand impressions a day, CTR 0.3-1.5%."""
    account = Account(
        impressions=float(np.exp(rng.uniform(np.log(300), np.log(3000)))),
        ctr=float(rng.uniform(0.003, 0.015)),
        cvr=float(rng.uniform(0.05, 0.15)),
    )
    return replace(account, **changes)  # type: ignore[arg-type]


SCENARIOS: dict[str, dict[str, object]] = {
    "90 days, 30% mixed": {"days": 90},
    "90 days, 60% mixed": {"days": 90, "mixed_days": 0.6},
    "60 days, no weekday pattern": {"days": 60, "weekday_pattern": False},
    "30 days": {"days": 30},
    "14 days": {"days": 14},
    "60 days, 300 impressions/day": {"days": 60, "impressions": 300.0},
}
EFFECTS = (1.0, 0.7, 0.5, 1.3)


@dataclass
class Tally:
    runs: int = 0
    intervals: int = 0
    covered: int = 0
    worse: int = 0
    better: int = 0
    no_difference: int = 0
    not_enough: int = 0

    def add(self, impact: KeywordImpact, effect: float) -> None:
        self.runs += 1
        row = impact.variant("PT01")
        if row is None or row.ctr_change_low is None or row.ctr_change_high is None:
            self.not_enough += 1
            return
        self.intervals += 1
        self.covered += row.ctr_change_low <= effect - 1 <= row.ctr_change_high
        self.worse += row.verdict == "worse"
        self.better += row.verdict == "better"
        self.no_difference += row.verdict == "no_difference"
        self.not_enough += row.verdict == "not_enough_data"


def run_scenario(
    changes: dict[str, object], effect: float, runs: int, seed: int, settings: EstimateSettings
) -> Tally:
    rng = np.random.default_rng(seed)
    tally = Tally()
    for _ in range(runs):
        account = _typical(rng, effects={"PT01": effect}, **changes)
        sightings, ads = _simulate(account, rng)
        days = join_days(sightings, ads, {"us": LA})
        tally.add(estimate(days, settings), effect)
    return tally


def _simulate(account: Account, rng: np.random.Generator) -> tuple[list, list]:  # type: ignore[type-arg]
    from monitor.impact.simulate import simulate

    return simulate(account, rng, LA)


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:5.1f}%" if d else "    -"


def stats(runs: int, settings: EstimateSettings) -> bool:
    ok = True
    print(
        f"{runs} simulated keywords per row; minimums: {settings.min_days:g} days shown, "
        f"{settings.min_clicks:g} clicks (variant and MAIN)"
    )
    print(
        f"{'scenario':30} {'effect':>7} {'coverage':>9} {'worse':>7} {'better':>7} {'no diff':>8} "
        f"{'not enough':>10}"
    )
    for s_index, (name, changes) in enumerate(SCENARIOS.items()):
        for e_index, effect in enumerate(EFFECTS):
            start = time.perf_counter()
            t = run_scenario(changes, effect, runs, 1000 * s_index + e_index, settings)
            print(
                f"{name:30} {effect - 1:+7.0%} {_pct(t.covered, t.intervals):>9} {_pct(t.worse, t.runs):>7} "
                f"{_pct(t.better, t.runs):>7} {_pct(t.no_difference, t.runs):>8} "
                f"{_pct(t.not_enough, t.runs):>10}   ({time.perf_counter() - start:.1f} s)"
            )
            if t.covered < COVERAGE_TARGET * t.intervals:
                ok = False
            if effect == 1.0 and (t.worse + t.better) > FALSE_TARGET * t.runs:
                ok = False
    return ok


SMALL: dict[str, dict[str, object]] = {
    "10 days": {"days": 10},
    "21 days, 300 impressions/day": {"days": 21, "impressions": 300.0},
    "60 days, image rarely shown, 5% odd days": {"days": 60, "switch": 0.04, "shock_days": 0.05},
    "30 days, 300/day, 10% odd days": {"days": 30, "impressions": 300.0, "shock_days": 0.1},
}


def minimums(runs: int) -> None:
    """Why the minimums: false verdicts with no effect on small data, with and without them."""
    print("\nsmall data, no effect: false worse/better without minimums -> with them")
    bare = replace(DEFAULT_SETTINGS, min_days=0.0, min_clicks=0.0)
    for index, (name, changes) in enumerate(SMALL.items()):
        without = run_scenario(changes, 1.0, runs, 7000 + index, bare)
        with_them = run_scenario(changes, 1.0, runs, 7000 + index, DEFAULT_SETTINGS)
        print(
            f"{name:42} {_pct(without.worse + without.better, without.runs)} -> "
            f"{_pct(with_them.worse + with_them.better, with_them.runs)}"
            f"  (coverage {_pct(without.covered, without.intervals)})"
        )


def build_year(folder: Path, asins: int = 10, keywords: int = 5) -> None:
    """A config and a SQLite database with one year of sightings and ads days of asins x keywords."""
    from datetime import UTC, date, datetime

    from monitor.impact.simulate import simulate
    from monitor.store.db import open_database
    from monitor.storefront.history import store_history

    rng = np.random.default_rng(365)
    products = []
    engine = open_database(f"sqlite:///{folder / 'ismon.db'}")
    with engine.begin() as conn:
        for a in range(asins):
            asin = f"B0BENCH{a:03d}"
            words = [f"bench keyword {a} {k}" for k in range(keywords)]
            products.append(
                f'[[products]]\nasin = "{asin}"\nmarketplace = "us"\nkeywords = {json.dumps(words)}\n'
            )
            for word in words:
                effects = {"PT01": float(rng.choice([0.5, 0.7, 1.0, 1.3])), "PT02": 1.0}
                account = replace(
                    _typical(rng, effects=effects), asin=asin, keyword=word, days=365, start=date(2025, 12, 1)
                )
                sightings, ads = simulate(account, rng, LA)
                store_history(conn, sightings, ads, loaded_at=datetime(2026, 12, 1, tzinfo=UTC))
    engine.dispose()
    (folder / "ismon.toml").write_text(
        'database_url = "sqlite:///ismon.db"\n[marketplaces.us]\nbase_url = "https://www.amazon.com"\n'
        + "".join(products)
    )


def time_cli() -> float:
    """Seconds of the real `ismon impact --json` (a child process) over a year of 50 keywords."""
    with tempfile.TemporaryDirectory(prefix="ismon-bench-impact-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        build_year(folder)
        print(f"built one year x 50 keywords in {time.perf_counter() - start:.0f} s")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "monitor", "impact", "--json"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        if result.returncode != 0:
            print(result.stderr)
            return float("inf")
        data = json.loads(result.stdout)
        verdicts = Counter(item["verdict"] for item in data)
        print(
            f"ismon impact --json, 1 year x {len(data)} keywords: {seconds:.1f} s "
            f"(target <= {SECONDS_TARGET:g} s; CPU {cpu:.1f} s, load average {os.getloadavg()[0]:.1f}); "
            f"verdicts {dict(sorted(verdicts.items()))}"
        )
    return seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--skip-stats", action="store_true")
    parser.add_argument("--skip-timing", action="store_true")
    args = parser.parse_args(argv)
    ok = True
    if not args.skip_stats:
        ok &= stats(args.runs, DEFAULT_SETTINGS)
        minimums(args.runs)
    if not args.skip_timing:
        seconds = time_cli()
        ok &= seconds <= SECONDS_TARGET
    print("all targets hold" if ok else "SOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
