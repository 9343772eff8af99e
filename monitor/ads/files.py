"""Advertising-console report files (CSV or XLSX) read into a ``Report``.

Where it sits: the file edge of the ads stage. ``read_report_file(path, marketplace)`` opens one file a
seller downloaded from the advertising console, recognises the report by its header row
(``monitor.ads.columns``), reads the cells (``monitor.ads.values``) row by row (csv module, openpyxl in
read-only mode: a few hundred thousand rows stream through) and returns the rows as a ``Report`` for
``monitor.ads.store``. Anything that cannot be read as such a report is a ``ReportFileError`` naming the
file and the column, row or reason; nothing is returned for that file. ``ismon impact --ads`` uses it too.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from monitor.ads.columns import (
    COUNTRIES,
    LABELS,
    MONTH_FIRST,
    HeaderError,
    Layout,
    looks_like_header,
    marketplace_of,
    recognise,
)
from monitor.ads.rows import AdvertisedDay, Report, Source, TermDay
from monitor.ads.values import CellError, DateOrder, count, date_order_from, needs_order, number, parse_date
from monitor.errors import ReportFileError

HEADER_SEARCH_ROWS = 10  # some exports put a title line or two above the header
_SNIFF_BYTES = 64 * 1024
_ZIP, _OLE, _PDF = b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF"


def read_report_file(path: Path, marketplace: str | None = None, *, source: Source = "file") -> Report:
    """One console report file as a ``Report`` of marketplace ``marketplace`` (None: the file must say).

    Raises ``ReportFileError`` (exit code 2) naming the file and the column, row or reason.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as exc:
        raise ReportFileError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    if not head.strip():
        raise ReportFileError(f"{path}: the file is empty")
    try:
        if head.startswith(_ZIP):
            return _read(path, _xlsx_rows(path), marketplace, source)
        if head.startswith(_PDF):
            raise ReportFileError(f"{path}: this is a PDF document, not a CSV or XLSX report")
        if head.startswith(_OLE):
            raise ReportFileError(f"{path}: an old Excel .xls workbook: download the report as XLSX or CSV")
        if b"\x00" in head:
            raise ReportFileError(f"{path}: a binary file, not a CSV or XLSX report")
        return _read(path, _csv_rows(path, head), marketplace, source)
    except _Damaged as exc:
        raise ReportFileError(f"{path}: {exc}") from None


class _Damaged(Exception):
    """The container (zip, encoding) broke while reading."""


def _csv_rows(path: Path, head: bytes) -> Iterator[Sequence[Any]]:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "cp1252"  # Excel's re-save on Windows; anything else fails below
    first = head.decode(encoding, errors="replace").lstrip("\ufeff").splitlines()[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        with path.open(newline="", encoding=encoding) as text:
            yield from csv.reader(text, delimiter=delimiter)
    except UnicodeDecodeError as exc:
        raise _Damaged(f"not UTF-8 text at byte {exc.start}: not a CSV report") from None
    except csv.Error as exc:
        raise _Damaged(f"not a readable CSV file: {exc}") from None


def _xlsx_rows(path: Path) -> Iterator[Sequence[Any]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    broken = (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, EOFError, ValueError, TypeError)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except broken as exc:
        raise _Damaged(f"not a readable XLSX workbook (truncated or damaged: {exc})") from None
    try:
        for sheet in book.worksheets:  # the first sheet with a report header
            rows = sheet.iter_rows(values_only=True)
            first = [row for _, row in zip(range(HEADER_SEARCH_ROWS), rows, strict=False)]
            if any(looks_like_header(row) for row in first) or sheet is book.worksheets[-1]:
                yield from first
                yield from rows
                return
    except broken as exc:
        raise _Damaged(f"the XLSX workbook is truncated or damaged ({exc})") from None
    finally:
        book.close()


class _Parsed:
    """The rows of one file while it is read; dates stay text until the file says their order."""

    def __init__(self) -> None:
        self.rows: list[Any] = []
        self.currencies: set[str] = set()
        self.countries: set[str] = set()
        self.date_tokens: set[str] = set()
        self.strings: dict[str, str] = {}  # one str object per distinct campaign, ad group, term

    def intern(self, value: object) -> str:
        text = "" if value is None else str(value).strip()
        return self.strings.setdefault(text, text)


def _read(path: Path, rows: Iterator[Sequence[Any]], marketplace: str | None, source: Source) -> Report:
    seen: list[Sequence[Any]] = []
    header: Sequence[Any] | None = None
    line = 0
    for line, row in enumerate(rows, 1):
        seen.append(row)
        if looks_like_header(row):
            header = row
            break
        if line >= HEADER_SEARCH_ROWS:
            break
    if not any(any(str(c or "").strip() for c in row) for row in seen):
        raise ReportFileError(f"{path}: the file is empty")
    try:
        layout = recognise(header if header is not None else seen[0])
    except HeaderError as exc:
        raise ReportFileError(f"{path}: {exc}") from None
    assert header is not None  # recognise() needs impressions and clicks, as looks_like_header()
    parsed = _Parsed()
    for number_, row in enumerate(rows, line + 1):
        if any(cell is not None and str(cell).strip() for cell in row):
            _row(path, layout, header, parsed, row, number_)
    if not parsed.rows:
        raise ReportFileError(f"{path}: {LABELS[layout.kind]} report without data rows")
    return _report(path, layout, header, parsed, marketplace, source)


def _cell(row: Sequence[Any], layout: Layout, field: str) -> Any:
    position = layout.index.get(field)
    return row[position] if position is not None and position < len(row) else None


def _row(
    path: Path, layout: Layout, header: Sequence[Any], parsed: _Parsed, row: Sequence[Any], line: int
) -> None:
    field = "date"
    try:
        day = _cell(row, layout, "date")
        if day is None or not str(day).strip():
            raise CellError("empty")
        token: Any = day if not isinstance(day, str) else day.strip()
        if isinstance(token, str):
            parsed.date_tokens.add(token)
        if layout.has("end_date"):
            field = "end_date"
            end = _cell(row, layout, "end_date")
            if end not in (None, "") and str(end).strip() != str(day).strip():
                raise CellError(f"runs from {day} to {end}: not a daily report (choose Time unit: Daily)")
        values: list[Any] = []
        for field in ("impressions", "clicks", "orders", "cost", "sales"):
            cell = _cell(row, layout, field)
            value = count(cell) if field in ("impressions", "clicks", "orders") else number(cell)
            if value < 0:
                raise CellError(f"negative value {cell!r}")
            values.append(value)
    except CellError as exc:
        column = str(header[layout.index[field]]).strip()
        raise ReportFileError(f"{path}: row {line}, column {column!r}: {exc}") from None
    impressions, clicks, orders, cost, sales = values
    if clicks > impressions:
        raise ReportFileError(f"{path}: row {line}: {clicks} clicks but only {impressions} impressions")
    for field, into in (("currency", parsed.currencies), ("country", parsed.countries)):
        value = _cell(row, layout, field)
        if value is not None and str(value).strip():
            into.add(str(value).strip())
    if layout.kind == "advertised_product":
        names = (_cell(row, layout, "asin"), _cell(row, layout, "sku"))
    else:
        keyword = _cell(row, layout, "search_term" if layout.kind == "search_term" else "targeting")
        names = (keyword, _cell(row, layout, "match_type"))
    campaign, ad_group = (
        parsed.intern(_cell(row, layout, "campaign")),
        parsed.intern(_cell(row, layout, "ad_group")),
    )
    first, second = parsed.intern(names[0]), parsed.intern(names[1])
    parsed.rows.append((token, campaign, ad_group, first, second, impressions, clicks, cost, orders, sales))


def _report(
    path: Path,
    layout: Layout,
    header: Sequence[Any],
    parsed: _Parsed,
    marketplace: str | None,
    source: Source,
) -> Report:
    if len(parsed.currencies) > 1:
        raise ReportFileError(
            f"{path}: column {_name(header, layout, 'currency')!r}: mixed currencies "
            f"({', '.join(sorted(parsed.currencies))}); download one marketplace per file"
        )
    try:
        found, evidence = marketplace_of(parsed.countries, parsed.currencies)
    except HeaderError as exc:
        raise ReportFileError(f"{path}: {exc}") from None
    if marketplace is None and found is None:
        raise ReportFileError(
            f"{path}: cannot tell the marketplace (no Country column, and the currency "
            f"{next(iter(parsed.currencies), 'is not given')} does not name one): give --marketplace"
        )
    market = marketplace or found or ""
    try:
        order = _date_order(parsed.date_tokens, found or marketplace)
        days = {token: parse_date(token, order) for token in parsed.date_tokens}
    except CellError as exc:
        raise ReportFileError(
            f"{path}: column {_name(header, layout, 'date')!r}: {exc}{_hint(evidence)}"
        ) from None
    currency = next(iter(parsed.currencies), "").upper()[:3]
    rows = parsed.rows
    for i, (token, campaign, ad_group, first, second, imp, clk, cost, orders, sales) in enumerate(rows):
        day = days[token] if isinstance(token, str) else parse_date(token, None)
        if layout.kind == "advertised_product":
            asin = first.upper()
            rows[i] = AdvertisedDay(
                day, campaign, ad_group, asin, second, imp, clk, cost, orders, sales, currency
            )
        else:
            match_type = "" if second in ("-", "--") else second.upper()
            rows[i] = TermDay(
                day, campaign, ad_group, first, match_type, imp, clk, cost, orders, sales, currency
            )
    if layout.kind == "advertised_product":
        return Report(layout.kind, market, source, advertised=tuple(rows))
    return Report(layout.kind, market, source, terms=tuple(rows))


def _date_order(tokens: set[str], market: str | None) -> DateOrder | None:
    order = date_order_from(tokens)
    if order is not None or not needs_order(tokens):
        return order
    if market in MONTH_FIRST:
        return "MDY"
    return "DMY" if market in set(COUNTRIES.values()) else None


def _hint(evidence: str) -> str:
    return "" if evidence else " (the file names no country or currency: give --marketplace)"


def _name(header: Sequence[Any], layout: Layout, field: str) -> str:
    return str(header[layout.index[field]]).strip() if field in layout.index else field
