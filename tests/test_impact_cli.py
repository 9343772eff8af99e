"""`ismon impact` as a seller and a script use it: the JSON contract, the table, files mode."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from monitor.db import open_database
from monitor.impact.simulate import Account, simulate
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
    rng = np.random.default_rng(2)
    with engine.begin() as conn:
        for account in ACCOUNTS:
            sightings, ads = simulate(account, rng, LA)
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
