"""Cells of advertising-console report files as numbers and dates (pure).

Where it sits: inside the ads stage, under ``monitor.ads.files``. Console files write money as
``$1,234.56``, ``1234.56`` or ``€1.234,56``, counts as ``1,234``, percentages as ``3.00%``, and dates as
ISO, ``09/01/2026`` (month first in the US, day first in Europe), ``01.09.2026``, ``2026/09/01`` or
``Sep 01, 2026``; XLSX cells may already be numbers or real dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal

DateOrder = Literal["MDY", "DMY"]

_CURRENCY_MARKS = re.compile(r"[^\d,.\-()]")  # currency symbols and codes, spaces, NBSP, '%'
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_YMD = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_SLASHED = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{2}|\d{4})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
_NAMED = re.compile(r"^(?:(\w{3})\w*\.? (\d{1,2}),? (\d{4})|(\d{1,2}) (\w{3})\w*\.? (\d{4}))$")


class CellError(ValueError):
    """A cell that is not what its column needs; the message says what was found."""


def number(cell: object) -> float:
    """A money amount or count from a cell: ``$1,234.56``, ``1234.56``, ``€1.234,56``, ``(5.00)``, ``-``."""
    if cell is None:
        return 0.0
    if isinstance(cell, bool):
        raise CellError(f"{cell!r} is not a number")
    if isinstance(cell, int | float):
        return float(cell)
    text = str(cell).strip()
    if text in ("", "-", "--", "—", "N/A", "n/a"):
        return 0.0
    cleaned = _CURRENCY_MARKS.sub("", text)
    negative = cleaned.startswith("-") or (cleaned.startswith("(") and cleaned.endswith(")"))
    cleaned = cleaned.strip("-()")
    if not cleaned or not any(c.isdigit() for c in cleaned) or "-" in cleaned:
        raise CellError(f"{text!r} is not a number")
    cleaned = _decimal_point(cleaned)
    try:
        value = float(cleaned)
    except ValueError:
        raise CellError(f"{text!r} is not a number") from None
    return -value if negative else value


def _decimal_point(text: str) -> str:
    """'1,234.56' and '1.234,56' -> '1234.56'; a lone separator before exactly 3 digits groups thousands."""
    comma, dot = text.rfind(","), text.rfind(".")
    if comma < 0 and dot < 0:
        return text
    if comma >= 0 and dot >= 0:
        decimal = "," if comma > dot else "."
    else:
        sep = "," if comma >= 0 else "."
        head, _, tail = text.rpartition(sep)
        grouped = text.count(sep) > 1 or (len(tail) == 3 and head not in ("", "0"))
        decimal = "" if grouped else sep
    for mark in {",", "."} - {decimal}:
        text = text.replace(mark, "")
    return text.replace(",", ".")


def count(cell: object) -> int:
    """A whole number (impressions, clicks, orders) from a cell."""
    value = number(cell)
    if value != int(value):
        raise CellError(f"{cell!r} is not a whole number")
    return int(value)


def date_order_from(tokens: Iterable[str]) -> DateOrder | None:
    """What the dates themselves say: a first part over 12 means day first, a second over 12 month first."""
    day_first = month_first = False
    for token in tokens:
        match = _SLASHED.match(token.strip())
        if match is None or match.group(2) == ".":
            continue
        first, second = int(match.group(1)), int(match.group(3))
        day_first |= first > 12
        month_first |= second > 12
    if day_first and month_first:
        raise CellError("the dates are written both day-first and month-first")
    return "DMY" if day_first else "MDY" if month_first else None


def needs_order(tokens: Iterable[str]) -> bool:
    """Whether any date is written as a/b/yyyy (whose order the file must tell)."""
    return any((m := _SLASHED.match(t.strip())) is not None and m.group(2) != "." for t in tokens)


def parse_date(cell: object, order: DateOrder | None) -> date:
    """A report day from a cell; ``order`` decides ``09/01/2026`` (None: such a date is an error)."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = str(cell).strip() if cell is not None else ""
    try:
        if m := _ISO.match(text) or _YMD.match(text) or _COMPACT.match(text):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if m := _SLASHED.match(text):
            a, b, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
            year += 2000 if year < 100 else 0
            if m.group(2) == ".":  # 01.09.2026 is German-style, always day first
                return date(year, b, a)
            if order is None:
                raise CellError(f"{text!r} can be read month-first or day-first")
            return date(year, a, b) if order == "MDY" else date(year, b, a)
        if m := _NAMED.match(text):
            month = (m.group(1) or m.group(5)).lower()[:3]
            named_day, named_year = (m.group(2), m.group(3)) if m.group(1) else (m.group(4), m.group(6))
            if month in _MONTHS:
                return date(int(named_year), _MONTHS[month], int(named_day))
    except ValueError:
        pass
    raise CellError(f"{text!r} is not a date")
