"""Advertising-console report files as a seller downloads them, read into ads rows.

The CSVs in tests/ads_reports/ were written for these tests from header rows that public projects
keep of real console downloads: the older layout (``Date, Portfolio name, Currency, Campaign Name, ...,
Spend, 7 Day Total Sales , ...`` with trailing spaces, CRLF, UTF-8 BOM) and the newer one (``Start Date,
End Date, ..., Retailer, Country, ..., Cost``). XLSX files are written here with openpyxl, with real
date and number cells, as Excel and the console write them.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from monitor.ads.files import read_report_file
from monitor.errors import ReportFileError

REPORTS = Path(__file__).parent / "ads_reports"
ST_OLD = REPORTS / "search_term_old_us.csv"

OLD_HEADER = (
    "Date,Portfolio name,Currency,Campaign Name,Ad Group Name,Targeting,Match Type,Customer Search Term,"
    "Impressions,Clicks,Click-Thru Rate (CTR),Cost Per Click (CPC),Spend,7 Day Total Sales ,"
    "Total Advertising Cost of Sales (ACoS) ,7 Day Total Orders (#)"
)


def test_older_layout_us_search_term_report() -> None:
    report = read_report_file(ST_OLD)
    assert (report.kind, report.marketplace, report.source) == ("search_term", "us", "file")
    first = report.terms[0]
    # 09/01/2026 in a USD file is September 1st; "$1,234.56" and "1,200" are numbers; BOM gone
    assert first.day == date(2026, 9, 1)
    assert (first.campaign, first.ad_group, first.keyword, first.match_type) == (
        "SP Chairs Exact",
        "Chair exact",
        "camping chair",
        "EXACT",
    )
    assert (first.impressions, first.clicks, first.cost, first.orders, first.sales, first.currency) == (
        1200,
        36,
        18.0,
        3,
        1234.56,
        "USD",
    )
    assert report.days == {date(2026, 9, 1), date(2026, 9, 2)}
    auto = [t for t in report.terms if t.campaign == "SP Chairs Auto"]
    assert {t.match_type for t in auto} == {""}  # the console's "-" for auto targeting


def test_newer_layout_uk_reads_day_first_and_cost() -> None:
    report = read_report_file(REPORTS / "search_term_new_uk.csv")
    assert (report.kind, report.marketplace) == ("search_term", "uk")
    assert [t.day for t in report.terms] == [date(2026, 9, 1), date(2026, 9, 2)]
    assert [t.cost for t in report.terms] == [7.2, 5.4]
    assert report.terms[0].currency == "GBP"


def test_german_file_semicolons_decimal_commas_dotted_dates() -> None:
    report = read_report_file(REPORTS / "search_term_new_de.csv")
    assert report.marketplace == "de"
    first = report.terms[0]
    assert (first.day, first.impressions, first.cost, first.sales) == (date(2026, 9, 1), 1250, 12.0, 1234.56)
    assert first.campaign == "DE Stühle"


def test_targeting_report_with_named_month_dates() -> None:
    report = read_report_file(REPORTS / "targeting_old_us.csv")
    assert report.kind == "targeting"
    exact = [t for t in report.terms if t.match_type == "EXACT"]
    assert [t.day for t in exact] == [date(2026, 9, 1), date(2026, 9, 2), date(2026, 9, 3)]
    assert exact[2].clicks == 0  # the Targeting report has days without clicks too


def test_advertised_product_report() -> None:
    report = read_report_file(REPORTS / "advertised_product_us.csv")
    assert report.kind == "advertised_product"
    assert [(a.ad_group, a.asin, a.sku) for a in report.advertised] == [
        ("Chair exact", "B0CHAIR001", "CHAIR-01"),
        ("Auto group", "B0CHAIR001", "CHAIR-01"),
        ("Auto group", "B0STOOL001", "STOOL-01"),
    ]


def test_kind_comes_from_the_columns_not_the_file_name(tmp_path: Path) -> None:
    misnamed = tmp_path / "Sponsored_Products_Advertised_product_report.csv"
    shutil.copy(ST_OLD, misnamed)
    assert read_report_file(misnamed).kind == "search_term"


def test_dates_tell_their_own_order_when_a_day_is_over_12(tmp_path: Path) -> None:
    path = tmp_path / "eur.csv"
    path.write_text(
        OLD_HEADER + "\n13/09/2026,,EUR,C,G,t,EXACT,t,10,1,10%,1,1,0,0%,0\n"
        "01/09/2026,,EUR,C,G,t,EXACT,t,10,1,10%,1,1,0,0%,0\n",
        encoding="utf-8",
    )
    report = read_report_file(path, "fr")
    assert report.days == {date(2026, 9, 13), date(2026, 9, 1)}


def _xlsx(path: Path, header: list[str], rows: list[list[object]], title: str | None = None) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sponsored Product Search Term R"
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx_with_real_date_and_number_cells(tmp_path: Path) -> None:
    header = OLD_HEADER.split(",")
    rows: list[list[object]] = [
        [datetime(2026, 9, d), None, "USD", "SP Chairs", "Chair exact", "camping chair", "EXACT",
         "camping chair", 1000 + d, 10 + d, 0.011, 0.5, 5.25, 99.5, 0.05, 1]
        for d in range(1, 31)
    ]  # fmt: skip
    path = _xlsx(tmp_path / "report.xlsx", header, rows)
    report = read_report_file(path)
    assert (report.kind, report.marketplace) == ("search_term", "us")
    assert len(report.terms) == 30
    assert report.terms[0].day == date(2026, 9, 1) and report.terms[-1].day == date(2026, 9, 30)
    assert (report.terms[0].impressions, report.terms[0].clicks, report.terms[0].cost) == (1001, 11, 5.25)


def test_xlsx_with_text_cells_and_a_title_line_above_the_header(tmp_path: Path) -> None:
    header = OLD_HEADER.split(",")
    rows: list[list[object]] = [
        ["09/03/2026", "", "USD", "C", "G", "t", "BROAD", "term", "1,500", "15", "1.00%", "$0.10", "$1.50",
         "$0.00", "0.00%", "0"],
    ]  # fmt: skip
    path = _xlsx(tmp_path / "report.xlsx", header, rows, title="Sponsored Products Search term report")
    report = read_report_file(path)
    assert report.terms[0].day == date(2026, 9, 3) and report.terms[0].impressions == 1500


# --- files that are not what they claim ---------------------------------------------------------------


def _hostile(tmp_path: Path, name: str) -> tuple[Path, str]:
    """A file a seller could pick by mistake, and what the error must name."""
    path = tmp_path / name
    good_row = "09/01/2026,,USD,C,G,t,EXACT,t,100,5,5%,$1,$5,$0,0%,0"
    if name == "business.csv":
        path.write_text("(Parent) ASIN,(Child) ASIN,Title,Sessions - Total,Units Ordered\nB0A,B0B,x,9,1\n")
        return path, "not a Sponsored Products Search term, Targeting or Advertised product report"
    if name == "no_clicks.csv":
        path.write_text(OLD_HEADER.replace("Clicks,", "") + "\n")
        return path, "Search term report without the column(s) 'clicks'"
    if name == "no_spend.csv":
        path.write_text(OLD_HEADER.replace("Spend,", "Budget,") + "\n" + good_row + "\n")
        return path, "without the column(s) 'spend'"
    if name == "empty.csv":
        path.write_bytes(b"")
        return path, "the file is empty"
    if name == "header_only.csv":
        path.write_text(OLD_HEADER + "\n")
        return path, "without data rows"
    if name == "manual.pdf.csv":
        path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
        return path, "PDF"
    if name == "random.csv":
        path.write_bytes(bytes(range(256)) * 4)
        return path, "binary"
    if name == "truncated.xlsx":
        cells: list[object] = list(good_row.split(","))
        whole = _xlsx(tmp_path / "whole.xlsx", OLD_HEADER.split(","), [cells] * 50)
        path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
        return path, "XLSX workbook"
    if name == "mixed.csv":
        path.write_text(OLD_HEADER + "\n" + good_row + "\n" + good_row.replace("USD", "CAD") + "\n")
        return path, "'Currency': mixed currencies (CAD, USD)"
    if name == "negative.csv":
        path.write_text(OLD_HEADER + "\n" + good_row + "\n" + good_row.replace("$5,", "-5.00,") + "\n")
        return path, "row 3, column 'Spend': negative value"
    if name == "clicks.csv":
        path.write_text(OLD_HEADER + "\n" + good_row.replace(",100,5,", ",3,5,") + "\n")
        return path, "row 2: 5 clicks but only 3 impressions"
    if name == "weekly.csv":
        header = "Start Date,End Date,Currency,Campaign Name,Ad Group Name,Targeting,Match Type,"
        path.write_text(
            header
            + "Customer Search Term,Impressions,Clicks,Spend,7 Day Total Sales ,7 Day Total Orders (#)\n"
            "2026-09-01,2026-09-07,USD,C,G,t,EXACT,t,100,5,$5,$0,0\n"
        )
        return path, "not a daily report"
    if name == "bad_number.csv":
        path.write_text(OLD_HEADER + "\n" + good_row.replace(",100,", ",lots,") + "\n")
        return path, "row 2, column 'Impressions': 'lots' is not a number"
    raise AssertionError(name)


HOSTILE = [
    "business.csv", "no_clicks.csv", "no_spend.csv", "empty.csv", "header_only.csv", "manual.pdf.csv",
    "random.csv", "truncated.xlsx", "mixed.csv", "negative.csv", "clicks.csv", "weekly.csv", "bad_number.csv",
]  # fmt: skip


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_files_are_refused_with_the_file_and_the_reason(tmp_path: Path, name: str) -> None:
    path, expected = _hostile(tmp_path, name)
    with pytest.raises(ReportFileError) as caught:
        read_report_file(path)
    assert str(path) in str(caught.value) and expected in str(caught.value), str(caught.value)
    assert caught.value.exit_code == 2


def test_a_file_that_names_no_marketplace_needs_one(tmp_path: Path) -> None:
    path = tmp_path / "eur.csv"
    path.write_text(OLD_HEADER + "\n2026-09-01,,EUR,C,G,t,EXACT,t,100,5,5%,1,5,0,0%,0\n", encoding="utf-8")
    with pytest.raises(ReportFileError, match=r"cannot tell the marketplace.*--marketplace"):
        read_report_file(path)
    assert read_report_file(path, "de").marketplace == "de"


def test_a_marketplace_that_contradicts_the_file_is_refused() -> None:
    with pytest.raises(ReportFileError, match="the file's Country United Kingdom is marketplace uk, not us"):
        read_report_file(REPORTS / "search_term_new_uk.csv", "us")
    assert read_report_file(REPORTS / "search_term_new_uk.csv", "britain").marketplace == "britain"


def test_ambiguous_dates_without_a_country_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "nodates.csv"
    path.write_text(OLD_HEADER.replace("Currency,", "") + "\n09/01/2026,,C,G,t,EXACT,t,100,5,5%,1,5,0,0%,0\n")
    with pytest.raises(ReportFileError, match="'Date': '09/01/2026' can be read month-first or day-first"):
        read_report_file(path, "mymarket")
    assert read_report_file(path, "us").terms[0].day == date(2026, 9, 1)
