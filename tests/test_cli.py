"""The command line as scripts use it: the JSON contracts of DESIGN.md, exit codes, plain-text output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import Session

from monitor.store import models
from monitor.store.db import open_database
from monitor.storefront.synthetic import draw_gallery


def ismon(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd,
        env={**os.environ, **(env or {}), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_inspect_json_is_exactly_the_contract(amazon_dir: Path, tmp_path: Path) -> None:
    result = ismon(
        "inspect", str(amazon_dir / "serp" / "serp_2021_uk_ean-3608439412813.html"), "--json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"kind", "ads", "organic", "asin", "gallery"}
    assert data["kind"] == "search" and data["asin"] is None and data["gallery"] == []
    assert len(data["ads"]) == 12
    for ad in data["ads"]:
        assert set(ad) == {"asin", "unit", "placement", "position", "image_url", "image_id"}
        assert ad["unit"] == "grid" and ad["placement"] in {"sp_atf", "sp_mtf", "sp_btf"}
    for item in data["organic"]:
        assert set(item) == {"asin", "position", "image_id"}

    product = ismon(
        "inspect",
        str(amazon_dir / "product" / "product_2017_us_kindle-paperwhite-device.html"),
        "--json",
        cwd=tmp_path,
    )
    page = json.loads(product.stdout)
    assert page["kind"] == "product" and page["asin"] and page["ads"] == []
    assert [g["variant"] for g in page["gallery"]][:2] == ["LEFT", "MAIN"]
    assert all(set(g) == {"variant", "image_ids", "url"} for g in page["gallery"])


def test_inspect_table_and_errors(amazon_dir: Path, tmp_path: Path) -> None:
    table = ismon("inspect", str(amazon_dir / "serp" / "captcha_uk.html"), cwd=tmp_path)
    assert table.returncode == 0
    assert "captcha page" in table.stdout
    missing = ismon("inspect", str(tmp_path / "nope.html"), cwd=tmp_path)
    assert missing.returncode == 2
    assert "nope.html" in missing.stderr and "Traceback" not in missing.stderr


def test_scraped_text_is_never_read_as_terminal_markup(tmp_path: Path) -> None:
    page = tmp_path / "odd.html"
    page.write_text(
        '<html><body><div class="s-main-slot s-result-list">'
        '<div data-component-type="s-search-result" data-asin="B0ABCDEFGH" data-index="1">'
        '<img class="s-image" src="https://m.media-amazon.com/images/I/71abcdefgHL._AC_UL320_.jpg">'
        "<h2>[red]bold[/red] [/x]</h2></div></div></body></html>"
    )
    result = ismon("inspect", str(page), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "B0ABCDEFGH" in result.stdout


def write_gallery(folder: Path) -> dict[str, Image.Image]:
    folder.mkdir()
    images = dict(draw_gallery(7, size=600, variants=("MAIN", "PT01", "PT02", "PT03")))
    for variant, image in images.items():
        image.save(folder / f"{variant}.{'png' if variant == 'PT02' else 'jpg'}")
    return images


def test_identify_json_one_line_per_image(tmp_path: Path) -> None:
    images = write_gallery(tmp_path / "gallery")
    ad = tmp_path / "ad.jpg"
    images["PT03"].resize((320, 320)).save(ad, quality=70)
    other = tmp_path / "other.jpg"
    dict(draw_gallery(99, size=600, variants=("MAIN",)))["MAIN"].resize((218, 218)).save(other, quality=80)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")

    result = ismon(
        "identify",
        "--gallery",
        str(tmp_path / "gallery"),
        str(ad),
        str(other),
        str(broken),
        "--json",
        cwd=tmp_path,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3
    keys = {"image", "verdict", "variant", "distance", "runner_up", "runner_up_distance"}
    assert set(lines[0]) == keys
    assert lines[0]["image"] == str(ad)
    assert lines[0]["verdict"] == "match" and lines[0]["variant"] == "PT03"
    assert isinstance(lines[0]["distance"], float) and lines[0]["runner_up"] in images
    assert lines[1]["verdict"] == "unknown" and lines[1]["variant"] is None
    assert lines[2]["verdict"] == "unknown" and "error" in lines[2]

    plain = ismon("identify", "--gallery", str(tmp_path / "gallery"), str(ad), cwd=tmp_path)
    assert plain.returncode == 0 and "match PT03" in plain.stdout


def test_identify_rejects_a_gallery_without_variant_names(tmp_path: Path) -> None:
    folder = tmp_path / "pics"
    folder.mkdir()
    Image.new("RGB", (50, 50), "red").save(folder / "holiday.jpg")
    result = ismon("identify", "--gallery", str(folder), str(folder / "holiday.jpg"), cwd=tmp_path)
    assert result.returncode == 2
    assert "MAIN.jpg" in result.stderr


def test_history_json_via_the_command(tmp_path: Path) -> None:
    (tmp_path / "ismon.toml").write_text(
        'database_url = "sqlite:///ismon.db"\n[marketplaces.us]\nbase_url = "https://www.amazon.com"\n'
        '[[products]]\nasin = "B0CHAIR001"\nmarketplace = "us"\nkeywords = ["camping chair"]\n'
    )
    engine = open_database(f"sqlite:///{tmp_path / 'ismon.db'}")
    now = datetime.now(UTC)
    with Session(engine) as session:
        visit = models.PageVisit(
            marketplace="us", keyword="camping chair", url="u", seen_at=now, status="search"
        )
        blocked = models.PageVisit(
            marketplace="us",
            keyword="camping chair",
            url="u",
            seen_at=now - timedelta(hours=1),
            status="captcha",
        )
        session.add(visit)
        session.add(blocked)
        session.flush()
        assert visit.id is not None
        session.add(
            models.Sighting(
                visit_id=visit.id,
                seen_at=now,
                marketplace="us",
                keyword="camping chair",
                asin="B0CHAIR001",
                unit="grid",
                placement="sp_atf",
                position=2,
                verdict="match",
                variant="PT03",
                method="hash",
                distance=0.05,
                image_id="71abcdefgHL",
            )
        )
        session.commit()
    engine.dispose()
    result = ismon("history", "--json", "--since", "7d", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["status"] for r in rows] == ["search", "captcha"]
    assert set(rows[0]) == {
        "seen_at",
        "marketplace",
        "keyword",
        "asin",
        "unit",
        "placement",
        "position",
        "page",
        "verdict",
        "variant",
        "method",
        "distance",
        "image_id",
        "status",
    }
    assert rows[0]["variant"] == "PT03" and rows[0]["asin"] == "B0CHAIR001"
    assert rows[1]["asin"] is None
    bad = ismon("history", "--since", "last tuesday", cwd=tmp_path)
    assert bad.returncode == 2


@pytest.mark.parametrize("args", [["sweep", "--keyword"], ["history", "--limit", "many"], ["frobnicate"]])
def test_bad_usage_exits_2(tmp_path: Path, args: list[str]) -> None:
    assert ismon(*args, cwd=tmp_path).returncode == 2
