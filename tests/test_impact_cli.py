"""`ismon impact` as a seller and a script use it: the JSON contract, the table, files mode."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from monitor.impact.join import AdsFact, SightingFact
from monitor.impact.simulate import Account, simulate
from monitor.store.db import open_database
from monitor.storefront.history import store_history
from tests.test_cli import ismon

LA = ZoneInfo("America/Los_Angeles")
ASIN = "B0CHAIR001"
CONTRACT_KEYS = {"marketplace", "asin", "keyword", "first_day", "last_day", "days", "verdict", "variants"}
VARIANT_KEYS = {
    "variant",
    "share",
    "impressions",
    "clicks",
    "orders",
    "ctr",
    "ctr_low",
    "ctr_high",
    "cvr",
    "cvr_low",
    "cvr_high",
    "ctr_change",
    "ctr_change_low",
    "ctr_change_high",
    "verdict",
}
ACCOUNTS = (
    Account(asin=ASIN, keyword="camping chair", days=120, impressions=2000, ctr=0.01, effects={"PT01": 0.5}),
    Account(asin=ASIN, keyword="folding chair", days=120, impressions=1500, ctr=0.008, effects={"PT02": 1.0}),
    Account(asin=ASIN, keyword="beach chair", days=4, impressions=200, effects={"PT03": 0.8}),
)


def simulated_facts() -> tuple[list[SightingFact], list[AdsFact]]:
    """The sightings and ads days of ``ACCOUNTS`` (the same every time)."""
    rng = np.random.default_rng(2)
    sightings: list[SightingFact] = []
    ads: list[AdsFact] = []
    for account in ACCOUNTS:
        more_sightings, more_ads = simulate(account, rng, LA)
        sightings += more_sightings
        ads += more_ads
    return sightings, ads


@pytest.fixture(scope="module")
def seller(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config and a database holding 120 days of sightings and ads days of three keywords."""
    folder = tmp_path_factory.mktemp("seller")
    (folder / "ismon.toml").write_text(
        'database_url = "sqlite:///ismon.db"\n[marketplaces.us]\nbase_url = "https://www.amazon.com"\n'
        f'[[products]]\nasin = "{ASIN}"\nmarketplace = "us"\n'
        'keywords = ["camping chair", "folding chair", "beach chair"]\n'
    )
    engine = open_database(f"sqlite:///{folder / 'ismon.db'}")
    sightings, ads = simulated_facts()
    with engine.begin() as conn:
        store_history(conn, sightings, ads, loaded_at=datetime(2026, 12, 1, tzinfo=UTC))
    engine.dispose()
    return folder


def test_json_is_exactly_the_contract_with_honest_verdicts(seller: Path) -> None:
    result = ismon("impact", "--json", cwd=seller)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(d["asin"], d["keyword"]) for d in data] == [
        (ASIN, "beach chair"),
        (ASIN, "camping chair"),
        (ASIN, "folding chair"),
    ]
    for item in data:
        assert set(item) == CONTRACT_KEYS and item["marketplace"] == "us"
        assert item["variants"][0]["variant"] == "MAIN" and item["variants"][0]["ctr_change"] is None
        for variant in item["variants"]:
            assert set(variant) == VARIANT_KEYS
            assert 0 <= variant["share"] <= 1 and variant["clicks"] <= variant["impressions"]
    beach, camping, folding = data
    assert beach["verdict"] == "not_enough_data" and beach["days"] <= 4
    pt01 = camping["variants"][1]
    assert camping["verdict"] == pt01["verdict"] == "worse"
    assert pt01["ctr_change_low"] <= -0.5 <= pt01["ctr_change_high"] < 0
    assert 0.005 < camping["variants"][0]["ctr"] < 0.02  # a fraction: 0.01 is 1%
    assert camping["first_day"] == "2026-01-01" and camping["last_day"] <= "2026-04-30"
    assert date.fromisoformat(camping["last_day"]) > date.fromisoformat(camping["first_day"])
    pt02 = folding["variants"][1]
    assert pt02["verdict"] not in ("worse", "better")
    assert pt02["ctr_change_low"] < 0 < pt02["ctr_change_high"]


def test_filters_narrow_the_array(seller: Path) -> None:
    one = json.loads(ismon("impact", "--json", "--keyword", "Camping Chair", cwd=seller).stdout)
    assert [d["keyword"] for d in one] == ["camping chair"]
    assert json.loads(ismon("impact", "--json", "--asin", "B0NOTMINE1", cwd=seller).stdout) == []
    recent = json.loads(ismon("impact", "--json", "--since", "2026-04-01", cwd=seller).stdout)
    assert all(d["first_day"] >= "2026-04-01" for d in recent if d["first_day"])


def test_the_table_reads_in_plain_words(seller: Path) -> None:
    result = ismon("impact", cwd=seller)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "keyword 'camping chair'" in text and "all 3 keywords pooled" in text
    assert "Showing PT01 instead of MAIN cost about" in text and "clicks a week" in text
    assert "Not enough data" in text
    assert "worse" in text and "CTR vs MAIN" in text


# --- files mode -------------------------------------------------------------------------------------

TERMS_HEADER = (
    "Date,Portfolio name,Currency,Campaign Name,Ad Group Name,Targeting,Match Type,Customer Search Term,"
    "Impressions,Clicks,Click-Thru Rate (CTR),Cost Per Click (CPC),Spend,7 Day Total Sales ,"
    "Total Advertising Cost of Sales (ACOS) ,Total Return on Advertising Spend (ROAS),"
    "7 Day Total Orders (#),7 Day Total Units (#)\n"
)
ADVERTISED_HEADER = (
    "Date,Portfolio name,Currency,Campaign Name,Ad Group Name,Advertised SKU,Advertised ASIN,Impressions,"
    "Clicks,Click-Thru Rate (CTR),Cost Per Click (CPC),Spend,7 Day Total Sales ,7 Day Total Orders (#)\n"
)


def write_console_files(folder: Path, ads: list[AdsFact]) -> tuple[Path, Path]:
    """A Search term report and an Advertised product report as the US console writes them (CSV)."""
    terms = folder / "Sponsored_Products_Search_term_report.csv"
    advertised = folder / "Sponsored_Products_Advertised_product_report.csv"
    lines = [TERMS_HEADER]
    products = [ADVERTISED_HEADER]
    for a in ads:
        day = a.day.strftime("%m/%d/%Y")
        ctr = f"{a.clicks / a.impressions:.2%}" if a.impressions else "0.00%"
        lines.append(
            f"{day},,USD,Chairs,{a.asin},{a.keyword},EXACT,{a.keyword},{a.impressions},{a.clicks},{ctr},"
            f"$0.90,${a.cost:.2f},${a.sales:.2f},,,{a.orders},{a.orders}\n"
        )
        products.append(
            f"{day},,USD,Chairs,{a.asin},SKU-1,{a.asin},{a.impressions},{a.clicks},{ctr},$0.90,"
            f"${a.cost:.2f},${a.sales:.2f},{a.orders}\n"
        )
    terms.write_text("".join(lines), encoding="utf-8")
    advertised.write_text("".join(products), encoding="utf-8")
    return terms, advertised


def test_files_mode_needs_no_config_and_agrees_with_the_database(seller: Path, tmp_path: Path) -> None:
    history = ismon("history", "--json", "--limit", "0", cwd=seller)
    assert history.returncode == 0, history.stderr
    analyst = tmp_path / "analyst"
    analyst.mkdir()
    (analyst / "history.json").write_text(history.stdout, encoding="utf-8")
    _sightings, ads = simulated_facts()
    terms, advertised = write_console_files(analyst, ads)

    result = ismon(
        "impact", "--json", "--history", "history.json", "--ads", terms.name, advertised.name, cwd=analyst
    )
    assert result.returncode == 0, result.stderr
    assert not (analyst / "ismon.db").exists()
    from_files = json.loads(result.stdout)
    from_database = json.loads(ismon("impact", "--json", cwd=seller).stdout)
    assert from_files == from_database
    assert [d["verdict"] for d in from_files] == ["not_enough_data", "worse", "not_enough_data"]

    table = ismon("impact", "--history", "history.json", "--ads", terms.name, "--keyword", "camping chair",
                  cwd=analyst)  # fmt: skip
    assert table.returncode == 0, table.stderr
    assert "cost about" in table.stdout and "folding chair" not in table.stdout
    assert "credited to B0CHAIR001, the only ASIN in the history" in table.stderr


def test_files_mode_refuses_bad_input_with_the_file_named(seller: Path, tmp_path: Path) -> None:
    history = tmp_path / "history.json"
    history.write_text(ismon("history", "--json", "--since", "2026-04-20", cwd=seller).stdout)
    _sightings, ads = simulated_facts()
    terms, _advertised = write_console_files(tmp_path, ads[:30])
    only_history = ismon("impact", "--history", str(history), cwd=tmp_path)
    assert only_history.returncode == 2 and "--ads" in only_history.stderr
    (tmp_path / "broken.json").write_text('[{"seen_at": "yesterday"}]')
    broken = ismon("impact", "--history", "broken.json", "--ads", str(terms), cwd=tmp_path)
    assert broken.returncode == 2 and "broken.json: item 0" in broken.stderr
    hostile = tmp_path / "hostile.csv"
    hostile.write_text(
        TERMS_HEADER + "01/05/2026,,USD,Chairs,B0CHAIR001,camping chair,EXACT,camping chair,"
        "100,250,250%,$0.90,$225.00,$0.00,,,0,0\n"
    )
    refused = ismon("impact", "--history", str(history), "--ads", str(hostile), cwd=tmp_path)
    assert refused.returncode == 2, refused.stdout
    assert "Traceback" not in refused.stderr and "clicks" in refused.stderr.lower()
