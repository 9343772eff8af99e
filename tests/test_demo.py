"""`ismon demo`, the README's first command: everything a new user will open must be there and work."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

pytestmark = pytest.mark.browser


def test_the_demo_delivers_alerts_a_person_can_open_and_writes_the_report(
    tmp_path: Path, chromium_path: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "demo", "--dir", str(tmp_path / "demo")],
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200", "ISMON_CHROMIUM": chromium_path},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ImageSmith" in result.stdout
    mails = [Path(p) for p in re.findall(r"alert email\s+(\S+\.html)", result.stdout)]
    report = Path(re.findall(r"report\s+(\S+index\.html)", result.stdout)[0])
    assert mails and all(m.is_file() for m in mails)
    assert (report.parent / "sightings.csv").is_file()
    assert (report.parent / "ads_days.csv").is_file()
    # The image effects of the simulated Ads API became a ctr_drop email and an impact section.
    drops = [Path(p) for p in re.findall(r"ctr_drop\s+(\S+\.html)", result.stdout)]
    assert len(drops) == 1 and drops[0] in mails
    chair = Path(re.findall(r"impact\s+(\S+\.html)", result.stdout)[0])

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path)
        page = browser.new_page()
        for mail in mails:
            page.goto(mail.as_uri())
            text = page.inner_text("body")
            assert "main image replaced by" in text
            assert "Seller Support" in text
            sizes = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
            assert sizes and all(w > 0 for w in sizes), sizes
        page.goto(drops[0].as_uri())
        assert "lowers the CTR for" in page.inner_text("h1")
        assert page.eval_on_selector("img[alt^='Daily CTR']", "i => i.naturalWidth") >= 600
        assert "worse" in page.inner_text("table.impact tr.focus")
        page.goto(chair.as_uri())
        section = page.locator("section.impact[data-keyword='camping chair']")
        assert section.get_attribute("data-verdict") == "worse"
        assert section.locator("circle.ctr-point").count() >= 20  # weeks of daily CTR
        pt03 = section.locator("table.impact-table tr[data-variant='PT03']")
        assert pt03.get_attribute("data-verdict") == "worse"
        page.goto(report.as_uri())
        assert "Trailhaven" in page.inner_text("body")
        assert "worse" in page.inner_text("tr.product-row[data-keyword='camping chair'] td.ctr-vs-main")
        assert page.eval_on_selector_all("img", "imgs => imgs.every(i => i.naturalWidth > 0)")
        browser.close()
