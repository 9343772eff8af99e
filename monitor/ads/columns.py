"""Which report a console file is, told by its header row, and which marketplace it belongs to (pure).

Where it sits: inside the ads stage, under ``monitor.ads.files``. The advertising console has written
two layouts over the years, both recognised by column names, never by the file name:

- older: ``Date, Portfolio name, Currency, Campaign Name, Ad Group Name, Targeting, Match Type,
  Customer Search Term, Impressions, Clicks, Click-Thru Rate (CTR), Cost Per Click (CPC), Spend,
  7 Day Total Sales , ..., 7 Day Total Orders (#), ...`` (some headers end in a space);
- newer: ``Start Date, End Date, Portfolio name, Currency, Campaign Name, Ad Group Name, Retailer,
  Country, ...`` with ``Cost`` or ``Spend``, ``Sales``/``Orders`` or ``Purchases``.

Headers are compared after lower-casing and collapsing spaces. A Search term report has a customer
search term column, an Advertised product report an advertised ASIN column, a Targeting report a
targeting column (and neither of the others).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitor.ads.rows import ReportKind

# field -> accepted header names (normalised); the first header found wins.
FIELDS: dict[str, tuple[str, ...]] = {
    "date": ("date", "start date", "day"),
    "end_date": ("end date",),
    "campaign": ("campaign name", "campaign"),
    "ad_group": ("ad group name", "ad group"),
    "targeting": ("targeting", "keyword", "keyword text", "target"),
    "match_type": ("match type", "keyword match type"),
    "search_term": ("customer search term", "search term"),
    "asin": ("advertised asin", "asin"),
    "sku": ("advertised sku", "sku"),
    "impressions": ("impressions",),
    "clicks": ("clicks",),
    "cost": ("spend", "cost", "total cost"),
    "sales": ("7 day total sales", "sales", "sales 7d", "7 day sales", "14 day total sales"),
    "orders": ("7 day total orders (#)", "7 day total orders", "orders", "purchases", "purchases 7d"),
    "currency": ("currency", "currency code"),
    "country": ("country", "marketplace", "country code"),
}

COMMON = ("date", "campaign", "ad_group", "impressions", "clicks", "cost", "sales", "orders")
REQUIRED: dict[ReportKind, tuple[str, ...]] = {
    "search_term": (*COMMON, "search_term"),
    "targeting": (*COMMON, "targeting"),
    "advertised_product": (*COMMON, "asin"),
}
LABELS = {"search_term": "Search term", "targeting": "Targeting", "advertised_product": "Advertised product"}

COUNTRIES: dict[str, str] = {
    "united states": "us", "us": "us", "usa": "us", "canada": "ca", "ca": "ca", "mexico": "mx",
    "mx": "mx", "brazil": "br", "br": "br", "united kingdom": "uk", "uk": "uk", "gb": "uk",
    "germany": "de", "de": "de", "france": "fr", "fr": "fr", "italy": "it", "it": "it", "spain": "es",
    "es": "es", "netherlands": "nl", "nl": "nl", "sweden": "se", "se": "se", "poland": "pl", "pl": "pl",
    "belgium": "be", "be": "be", "ireland": "ie", "ie": "ie", "turkey": "tr", "türkiye": "tr", "tr": "tr",
    "united arab emirates": "ae", "ae": "ae", "saudi arabia": "sa", "sa": "sa", "egypt": "eg", "eg": "eg",
    "india": "in", "in": "in", "japan": "jp", "jp": "jp", "singapore": "sg", "sg": "sg",
    "australia": "au", "au": "au",
}  # fmt: skip
CURRENCIES: dict[str, str] = {
    "USD": "us", "CAD": "ca", "MXN": "mx", "BRL": "br", "GBP": "uk", "SEK": "se", "PLN": "pl",
    "TRY": "tr", "AED": "ae", "SAR": "sa", "EGP": "eg", "INR": "in", "JPY": "jp", "SGD": "sg", "AUD": "au",
}  # fmt: skip
MONTH_FIRST = frozenset({"us"})  # where the console writes 09/01/2026 for September 1st


class HeaderError(ValueError):
    """The header row is not one of the three reports; the message says what is missing."""


@dataclass(frozen=True)
class Layout:
    """A recognised header row: the report kind and each field's column index."""

    kind: ReportKind
    index: Mapping[str, int]

    def has(self, field: str) -> bool:
        return field in self.index


def normalise_header(name: object) -> str:
    return " ".join(str(name or "").replace("\ufeff", "").split()).casefold()


def looks_like_header(cells: Sequence[object]) -> bool:
    names = {normalise_header(c) for c in cells}
    return "impressions" in names and "clicks" in names


def recognise(header: Sequence[object]) -> Layout:
    """The report kind and column positions of ``header``, or a HeaderError naming what is missing."""
    names = [normalise_header(c) for c in header]
    index: dict[str, int] = {}
    for field, accepted in FIELDS.items():
        for name in accepted:
            if name in names:
                index[field] = names.index(name)
                break
    kind: ReportKind
    if "search_term" in index:
        kind = "search_term"
    elif "asin" in index:
        kind = "advertised_product"
    elif "targeting" in index:
        kind = "targeting"
    else:
        shown = ", ".join(repr(str(c).strip()) for c in header[:8] if str(c or "").strip())
        raise HeaderError(
            "not a Sponsored Products Search term, Targeting or Advertised product report: no "
            f"'Customer Search Term', 'Targeting' or 'Advertised ASIN' column (columns: {shown or 'none'})"
        )
    missing = [FIELDS[f][0] for f in REQUIRED[kind] if f not in index]
    if missing:
        raise HeaderError(f"{LABELS[kind]} report without the column(s) {', '.join(map(repr, missing))}")
    return Layout(kind, index)


def marketplace_of(countries: set[str], currencies: set[str]) -> tuple[str | None, str]:
    """The marketplace a file's Country and Currency columns name, and the evidence ("" when none)."""
    codes = {COUNTRIES.get(c.strip().casefold(), "?" + c) for c in countries if c.strip()}
    if len(codes) > 1:
        raise HeaderError(f"column 'Country': several countries in one file ({', '.join(sorted(countries))})")
    if codes:
        code = codes.pop()
        return (None, "") if code.startswith("?") else (code, f"Country {next(iter(countries))}")
    if len(currencies) == 1:
        currency = next(iter(currencies))
        if currency in CURRENCIES:
            return CURRENCIES[currency], f"Currency {currency}"
    return None, ""
