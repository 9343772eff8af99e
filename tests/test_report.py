"""The static report: built from a real SQLite history, opened in real Chromium from file://.

Checks what a seller would: every product and the variant its ads show now, the per-day share chart,
images that render, hostile scraped text shown as text, nothing fetched from the network, and a CSV
that a spreadsheet (the csv module) reads with one row per history line.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from monitor.alerts.colours import variant_colour
from monitor.config import Config
from monitor.report.site import ReportSummary, build_chart, build_report
from monitor.store.files import BlobStore
from monitor.store.history import HISTORY_COLUMNS
from tests.test_history import (
    HOSTILE_ERROR,
    HOSTILE_KEYWORD,
    HOSTILE_NAME,
    HOSTILE_PLACEMENT,
    NOW,
    A,
    B,
    World,
    build_world,
)


@pytest.fixture
def site(engine: Engine, tmp_path: Path) -> tuple[World, ReportSummary]:
    world = build_world(engine, tmp_path / "data")
    summary = build_report(engine, world.config, world.blobs, tmp_path / "site", NOW)
    return world, summary


def test_report_writes_pages_csv_and_only_the_referenced_images(site: tuple[World, ReportSummary]) -> None:
    world, summary = site
    out = summary.out_dir
    assert summary.index == out / "index.html"
    assert sorted(p.name for p in summary.product_pages) == [
        f"product-de-{A}.html",
        f"product-us-{A}.html",
        f"product-us-{B}.html",
    ]
    assert summary.products == 3
    assert summary.sightings == world.sightings
    assert summary.csv_rows == world.sightings + world.blocked
    files = sorted((out / "img").iterdir())
    assert len(files) == summary.images > 0
    assert summary.missing_images == 0
    for file in files:  # content-addressed names
        assert file.stem == hashlib.sha256(file.read_bytes()).hexdigest()
    assert world.stray_sha not in {f.stem for f in files}
    for written in (summary.index, summary.csv, *summary.product_pages, *files):
        assert written.stat().st_mode & 0o777 == 0o644  # readable by a web server's user
    html = "".join(p.read_text() for p in (summary.index, *summary.product_pages))
    assert "https://" not in html.replace("https://x/s", "")  # no CDN, no remote asset
    assert "<script" not in html.replace("&lt;script", "")


def test_hostile_text_is_escaped(site: tuple[World, ReportSummary]) -> None:
    _, summary = site
    index = summary.index.read_text()
    page_a = (summary.out_dir / f"product-us-{A}.html").read_text()
    page_b = (summary.out_dir / f"product-us-{B}.html").read_text()
    for html in (index, page_a, page_b):
        assert "<script>alert(1)</script>" not in html
        assert "<b>chair</b>" not in html
        assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;Trail&#34; chair &amp; &#39;co&#39;" in index
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page_a
    assert 'data-keyword="&#34;folding&#34; &lt;b&gt;chair&lt;/b&gt;"' in page_a
    assert "sp_atf&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in page_a
    assert "error: &lt;img src=x onerror=alert(3)&gt; net::ERR_TIMED_OUT" in page_b


def test_csv_has_every_history_line_oldest_first(site: tuple[World, ReportSummary]) -> None:
    world, summary = site
    with summary.csv.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    assert header == list(HISTORY_COLUMNS)
    assert len(body) == world.sightings + world.blocked
    times = [r[0] for r in body]
    assert times == sorted(times)
    assert all(t.endswith("Z") and "T" in t for t in times)
    records = [dict(zip(header, r, strict=True)) for r in body]
    assert {r["status"] for r in records if not r["asin"]} == {
        "captcha",
        "unknown",
        f"error: {HOSTILE_ERROR}",
    }
    assert any(r["placement"] == HOSTILE_PLACEMENT for r in records)  # data, not markup: kept as it was
    assert any(r["keyword"] == HOSTILE_KEYWORD for r in records)


def test_report_of_an_empty_database(engine: Engine, tmp_path: Path) -> None:
    summary = build_report(engine, Config(), BlobStore(tmp_path / "data"), tmp_path / "site", NOW)
    assert summary.products == summary.sightings == summary.csv_rows == summary.images == 0
    assert "No products yet" in summary.index.read_text()
    assert summary.csv.read_text().strip() == ",".join(HISTORY_COLUMNS)


def test_rebuilding_overwrites_in_place(engine: Engine, tmp_path: Path) -> None:
    world = build_world(engine, tmp_path / "data")
    first = build_report(engine, world.config, world.blobs, tmp_path / "site", NOW)
    second = build_report(engine, world.config, world.blobs, tmp_path / "site", NOW)
    assert first == second
    assert not [p for p in (tmp_path / "site").rglob(".tmp-*")]


def test_chart_stacks_each_day_to_full_height_and_leaves_gaps() -> None:
    days = {
        date(2026, 11, 1): {"PT02": 1, "MAIN": 3},
        date(2026, 11, 4): {"unknown": 2},
    }
    chart = build_chart(days)
    assert [b.day for b in chart.bars] == [date(2026, 11, 1), date(2026, 11, 4)]
    assert [[s.label for s in b.segments] for b in chart.bars] == [["MAIN", "PT02"], ["unknown"]]
    for bar in chart.bars:
        assert sum(s.height for s in bar.segments) == pytest.approx(chart.plot_height)
    slot = chart.plot_width / 4  # four days wide: the two without data stay empty
    assert chart.bars[1].segments[0].x - chart.bars[0].segments[0].x == pytest.approx(3 * slot)
    assert chart.legend == [("MAIN", variant_colour("MAIN"), 3), ("PT02", variant_colour("PT02"), 1),
                            ("unknown", variant_colour("unknown"), 2)]  # fmt: skip
    assert variant_colour("PT02") != variant_colour("PT03")
    odd = build_chart({date(2026, 11, 1): {"unknown": 1, "ambiguous": 1, "ZZ99": 1, "MAIN": 1}})
    assert [s.label for s in odd.bars[0].segments] == ["MAIN", "ZZ99", "ambiguous", "unknown"]


# ---------------------------------------------------------------------------------------- in Chromium


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium_path, headless=True)
        yield launched
        launched.close()


def _current(page: Any, keyword: str) -> dict[str, str]:
    """Unit -> variant label shown in the overview row of ``keyword``."""
    result: dict[str, str] = page.evaluate(
        """(kw) => {
            const row = [...document.querySelectorAll('tr.product-row')].find(r => r.dataset.keyword === kw);
            if (!row) return null;
            const out = {};
            for (const u of row.querySelectorAll('.unit')) {
                out[u.dataset.unit] = u.querySelector('.badge').textContent;
            }
            return out;
        }""",
        keyword,
    )
    return result


def _broken_images(page: Any) -> list[str]:
    broken: list[str] = page.evaluate(
        "() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
    )
    return broken


@pytest.mark.browser
def test_report_in_chromium_from_file_urls(site: tuple[World, ReportSummary], browser: Any) -> None:
    _, summary = site
    context = browser.new_context()
    page = context.new_page()
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        page.goto(summary.index.as_uri())
        page.wait_for_load_state("load")

        # Every product, under its (hostile) name shown as plain text.
        products = page.locator("td.product strong").all_inner_texts()
        assert products == [HOSTILE_NAME, "Desk lamp", "Campingstuhl"]
        # The variant each keyword's ads show now, per unit.
        assert _current(page, "camping chair") == {"grid": "PT02", "brand": "unknown", "carousel": "MAIN"}
        assert _current(page, HOSTILE_KEYWORD) == {"grid": "PT01", "video": "ambiguous"}
        assert _current(page, "desk lamp") == {"grid": "MAIN"}
        row = page.locator("tr.product-row[data-keyword='campingstuhl']")
        assert "not seen yet" in row.inner_text()
        assert page.locator(".thumb").count() >= 6
        assert _broken_images(page) == []

        # The product page, reached as a user would: by its link.
        page.locator("td.product a", has_text="Trail").click()
        page.wait_for_load_state("load")
        assert page.url.endswith(f"product-us-{A}.html")
        assert page.locator("h1").inner_text() == HOSTILE_NAME
        chair = page.locator("section.keyword[data-keyword='camping chair']")
        # Three days with sightings: MAIN; PT02 + MAIN; PT02 + unknown.
        assert chair.locator("svg.chart g.bar").count() == 3
        assert chair.locator("svg.chart rect.seg").count() == 5
        assert chair.locator(".legend > span").all_inner_texts() == ["MAIN (3)", "PT02 (2)", "unknown (1)"]
        fills = chair.locator("rect.seg[data-variant='PT02']").evaluate_all(
            "els => els.map(e => e.getAttribute('fill'))"
        )
        assert set(fills) == {variant_colour("PT02")}
        hostile = page.locator("section.keyword").nth(1)
        assert hostile.locator("h2").inner_text() == f"“{HOSTILE_KEYWORD}”"
        assert hostile.locator("svg.chart g.bar").count() == 1
        assert hostile.locator("svg.chart rect.seg").count() == 2
        assert HOSTILE_PLACEMENT in hostile.locator(".shot").first.inner_text()
        # Latest ads: screenshot, ad image and the gallery image it matched, all rendering.
        grid = chair.locator(".shot[data-unit='grid']")
        assert grid.locator("img").count() == 3
        assert "gallery PT02" in grid.inner_text()
        assert _broken_images(page) == []
        # The change, the events and the captcha of this product's keywords.
        assert "main_replaced" in chair.locator("ul.timeline").inner_text()
        assert page.locator("table.events tr[data-kind]").count() == 2
        assert page.locator("table.blocked tbody tr").all_inner_texts() == [
            "2026-11-22 14:00 UTC\tcamping chair\t1\tcaptcha\t1"
        ]

        page.goto((summary.out_dir / f"product-us-{B}.html").as_uri())
        assert page.locator("table.blocked td", has_text="net::ERR_TIMED_OUT").inner_text() == (
            f"error: {HOSTILE_ERROR}"
        )
        page.goto((summary.out_dir / f"product-de-{A}.html").as_uri())
        assert page.locator("table.blocked tr[data-status='unknown']").count() == 1
        assert _broken_images(page) == []
    finally:
        context.close()

    assert dialogs == []  # no injected script ran
    assert requests and all(url.startswith("file://") for url in requests), requests
