"""``ismon ads import`` and ``ismon ads show`` as a seller runs them, on console report files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPORTS = Path(__file__).parent / "ads_reports"
US_FILES = ["advertised_product_us.csv", "search_term_old_us.csv", "targeting_old_us.csv"]
CONTRACT = ["date", "marketplace", "keyword", "asin", "campaign", "ad_group", "match_type", "impressions",
            "clicks", "cost", "orders", "sales", "currency", "source"]  # fmt: skip


def ismon(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(folder / "ismon.toml"), *args],
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def setup(folder: Path) -> Path:
    (folder / "ismon.toml").write_text(
        """
database_url = "sqlite:///ismon.db"
data_dir = "data"
[marketplaces.us]
base_url = "https://www.amazon.com"
[marketplaces.de]
base_url = "https://www.amazon.de"
[[products]]
asin = "B0CHAIR001"
marketplace = "us"
keywords = ["camping chair"]
""",
        encoding="utf-8",
    )
    return folder


def show_json(folder: Path, *args: str) -> list[dict[str, object]]:
    result = ismon(folder, "ads", "show", "--json", *args)
    assert result.returncode == 0, result.stderr
    data: list[dict[str, object]] = json.loads(result.stdout)
    return data


def test_import_says_what_it_loaded_and_show_lists_the_days(tmp_path: Path) -> None:
    folder = setup(tmp_path)
    result = ismon(folder, "ads", "import", *(str(REPORTS / name) for name in US_FILES))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith(
        "advertised_product_us.csv: Advertised product report, us, 2026-09-01..2026-09-02 (2 days), "
        "3 rows: 3 new, 0 replaced"
    )
    assert lines[1].endswith(
        "search_term_old_us.csv: Search term report, us, 2026-09-01..2026-09-02 (2 days), "
        "5 rows: 4 new, 0 replaced"
    )
    assert "Targeting report, us, 2026-09-01..2026-09-03 (3 days), 4 rows: 4 new" in lines[2]

    again = ismon(folder, "ads", "import", str(REPORTS / "search_term_old_us.csv"))
    assert "5 rows: 0 new, 4 replaced" in again.stdout

    days = show_json(folder)
    assert list(days[0]) == [*CONTRACT, "report", "asin_note"]
    exact = [d for d in days if d["keyword"] == "camping chair"]
    assert [(d["date"], d["clicks"], d["source"], d["asin"]) for d in exact] == [
        ("2026-09-03", 0, "file", "B0CHAIR001"),
        ("2026-09-02", 20, "file", "B0CHAIR001"),
        ("2026-09-01", 40, "file", "B0CHAIR001"),
    ]
    assert show_json(folder, "--keyword", "CAMPING chairs", "--since", "2026-09-01")[0]["clicks"] == 4
    assert show_json(folder, "--since", "2026-09-03") == exact[:1]

    table = ismon(folder, "ads", "show", "--asin", "b0chair001")
    assert table.returncode == 0
    assert "camping chair" in table.stdout and "Targeting" in table.stdout and "2.65%" in table.stdout


def test_show_says_why_a_day_has_no_asin(tmp_path: Path) -> None:
    folder = setup(tmp_path)
    ismon(folder, "ads", "import", str(REPORTS / "search_term_old_us.csv"))
    table = ismon(folder, "ads", "show")
    assert (
        "no ASIN for SP Chairs Auto / Auto group: no Advertised product report for this ad group"
        in table.stdout
    )


def test_a_bad_file_stores_nothing_and_the_others_load(tmp_path: Path) -> None:
    folder = setup(tmp_path)
    good = (REPORTS / "search_term_old_us.csv").read_text(encoding="utf-8-sig").splitlines()
    bad = tmp_path / "bad_row_at_the_end.csv"
    bad.write_text("\n".join([*good, good[-1].replace(",120,1,", ",120,-1,")]) + "\n", encoding="utf-8")
    result = ismon(folder, "ads", "import", str(bad), str(REPORTS / "search_term_new_de.csv"))
    assert result.returncode == 2
    assert f"{bad}: row 7, column 'Clicks': negative value '-1'" in " ".join(result.stderr.split())
    assert "search_term_new_de.csv: Search term report, de" in result.stdout
    assert {d["marketplace"] for d in show_json(folder)} == {"de"}


def test_marketplace_must_be_told_when_the_file_cannot_say(tmp_path: Path) -> None:
    folder = setup(tmp_path)
    eur = tmp_path / "eur.csv"
    eur.write_text(
        "Date,Currency,Campaign Name,Ad Group Name,Targeting,Match Type,Customer Search Term,Impressions,"
        "Clicks,Spend,7 Day Total Sales ,7 Day Total Orders (#)\n"
        "2026-09-01,EUR,C,G,stuhl,EXACT,stuhl,100,5,€2,50,€0,00,0\n".replace("€2,50", '"€2,50"').replace(
            "€0,00", '"€0,00"'
        ),
        encoding="utf-8",
    )
    refused = ismon(folder, "ads", "import", str(eur))
    assert refused.returncode == 2 and "--marketplace" in refused.stderr
    assert ismon(folder, "ads", "import", str(eur), "--marketplace", "jp").returncode == 2  # not configured
    loaded = ismon(folder, "ads", "import", str(eur), "--marketplace", "de")
    assert loaded.returncode == 0, loaded.stderr
    assert [(d["marketplace"], d["cost"], d["currency"]) for d in show_json(folder)] == [("de", 2.5, "EUR")]
