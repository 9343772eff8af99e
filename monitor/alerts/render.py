"""Alert emails: events -> subject, HTML and plain-text parts. Pure.

Where it sits: after the outbox and before the mailer. ``monitor/alerts/item_loading.py`` loads an
email's events with their product, gallery MAIN, ad image, screenshot and recent history into
``AlertItem`` values; this module renders them with the Jinja2 templates in ``templates/email/``
(autoescaped) and inlines the CSS with css_inline (mail clients drop ``<style>``);
``monitor/alerts/message.py`` puts the parts and the images into one MIME message. The values
it renders are in ``monitor/alerts/items.py``, the Seller Support texts in
``monitor/alerts/support_text.py``.

The same HTML can embed its images as ``data:`` URIs instead, for a preview file opened in a browser
where ``cid:`` links cannot resolve.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal, Protocol

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from monitor import paths
from monitor.alerts.items import AlertItem, ImpactFacts, Picture, Share, clean_line
from monitor.alerts.items import when as _when
from monitor.alerts.kinds import (
    BLOCKED,
    CTR_DROP,
    LISTING_MAIN_CHANGED,
    MAIN_REPLACED,
    MAIN_RESTORED,
    NOT_SEEN,
    OPTOUT_OVERDUE,
    PARSER_DRIFT,
    SYSTEM_KINDS,
    UNKNOWN,
    UNKNOWN_IMAGE,
    sort_key,
)
from monitor.alerts.support_text import opt_out_followup, opt_out_request

__all__ = [
    "AlertItem",
    "ImpactFacts",
    "Picture",
    "Share",
    "clean_line",
    "opt_out_followup",
    "opt_out_request",
    "render_html",
    "render_text",
    "subject_for",
]

log = logging.getLogger(__name__)

TEMPLATES = paths.TEMPLATES / "email"
SUBJECT_MAX = 180

Embed = Literal["cid", "data"]


LABELS: dict[str, tuple[str, str]] = {
    # kind: (badge text, badge colour)
    CTR_DROP: ("CTR drop", "#8a1538"),
    OPTOUT_OVERDUE: ("Opt-out overdue", "#a04000"),
    MAIN_REPLACED: ("MAIN replaced", "#b12704"),
    UNKNOWN_IMAGE: ("Image not in gallery", "#c45500"),
    LISTING_MAIN_CHANGED: ("Listing MAIN changed", "#0066c0"),
    MAIN_RESTORED: ("MAIN restored", "#067d62"),
    NOT_SEEN: ("Ad not seen", "#565959"),
    BLOCKED: ("Blocked", "#6b3fa0"),
    PARSER_DRIFT: ("Parser drift", "#565959"),
}


class EventLike(Protocol):
    """What a subject line needs of an event: an ``Event`` row and an ``AlertItem`` both fit."""

    @property
    def kind(self) -> str: ...
    @property
    def marketplace(self) -> str: ...
    @property
    def asin(self) -> str | None: ...
    @property
    def keyword(self) -> str | None: ...
    @property
    def variant(self) -> str | None: ...


def _quoted(keyword: str | None) -> str:
    return f'"{clean_line(keyword or "")}"'


def headline(event: EventLike) -> str:
    """The story of one event in a few words (no ASIN)."""
    kw = _quoted(event.keyword)
    if event.kind == MAIN_REPLACED:
        return f"main image replaced by {event.variant or 'another image'} for {kw}"
    if event.kind == MAIN_RESTORED:
        return f"main image restored for {kw}"
    if event.kind == UNKNOWN_IMAGE:
        return f"ad shows an image not in the gallery for {kw}"
    if event.kind == LISTING_MAIN_CHANGED:
        return f"the listing's MAIN image changed ({event.marketplace})"
    if event.kind == NOT_SEEN:
        return f"ad not seen for {kw}"
    if event.kind == BLOCKED:
        return f"{event.marketplace}: blocked by captcha pages"
    if event.kind == PARSER_DRIFT:
        return f"{event.marketplace}: pages not recognised (parser drift?)"
    if event.kind == CTR_DROP:
        return f"{event.variant or 'an image not in the gallery'} lowers the CTR for {kw}"
    if event.kind == OPTOUT_OVERDUE:
        scope = f" for {kw}" if event.keyword else ""
        return f"opt-out not in effect{scope}: the ad still shows {event.variant or 'another image'}"
    return event.kind.replace("_", " ")


def _story(event: EventLike) -> str:
    return f"{event.asin} {headline(event)}" if event.asin else headline(event)


def _truncate(text: str, limit: int = SUBJECT_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def order(events: Sequence[Any]) -> list[Any]:
    """Events most important first, then oldest first."""
    return sorted(events, key=lambda e: (sort_key(e.kind), e.created_at))


def subject_for(events: Sequence[EventLike]) -> str:
    """``[ismon] B0C…: main image replaced by PT03 for "camping chair"``.

    A digest: ``[ismon] 3 changes: B0C… main image replaced by PT03 for "camping chair" and 2 more``.
    """
    if not events:
        return "[ismon] no changes"
    ranked = sorted(events, key=lambda e: sort_key(e.kind))
    first = ranked[0]
    if len(events) == 1:
        text = f"[ismon] {first.asin}: {headline(first)}" if first.asin else f"[ismon] {headline(first)}"
    else:
        more = len(events) - 1
        text = f"[ismon] {len(events)} changes: {_story(first)} and {more} more"
    return _truncate(clean_line(text))


def _src(picture: Picture | None, embed: Embed) -> str:
    if picture is None or not picture.usable or picture.data is None:
        return ""
    if embed == "data":
        encoded = base64.b64encode(picture.data).decode("ascii")
        return f"data:image/{picture.subtype};base64,{encoded}"
    return f"cid:{picture.cid}"


def _ratio(value: tuple[float, int, int] | None) -> str:
    return (
        "no ads data yet"
        if value is None
        else f"{100 * value[0]:.2f} % ({value[1]:,} clicks of {value[2]:,})"
    )


def _impact_view(item: AlertItem, embed: Embed) -> dict[str, Any] | None:
    if item.impact is None:
        return None
    return {
        "facts": item.impact,
        "chart": _src(item.chart, embed) if item.chart is not None else "",
        "chart_alt": f"Daily CTR for {item.impact.keyword} with the image shown",
        "before": _ratio(item.impact.before) if item.impact.before_period else "",
        "since": _ratio(item.impact.since) if item.impact.since_period else "",
    }


def _view(item: AlertItem, embed: Embed) -> dict[str, Any]:
    label, colour = LABELS.get(item.kind, (item.kind, "#565959"))
    if item.kind == LISTING_MAIN_CHANGED:
        left_title, right_title = "Previous MAIN", "New MAIN"
    elif item.kind == MAIN_RESTORED:
        left_title, right_title = "MAIN image (listing)", "Shown in the ad"
    else:
        left_title = "MAIN image (listing)"
        right_title = f"Shown in the ad: {item.variant}" if item.variant else "Shown in the ad"
        if item.kind == UNKNOWN_IMAGE:
            right_title = "Shown in the ad: not in the gallery"
    pictures = []
    if item.main is not None or item.shown is not None:
        for title, picture in ((left_title, item.main), (right_title, item.shown)):
            pictures.append(
                {
                    "title": title,
                    "src": _src(picture, embed),
                    "note": picture.missing_note if picture else "No image.",
                    "alt": picture.label if picture else title,
                }
            )
    screenshot = None
    if item.screenshot is not None:
        screenshot = {
            "src": _src(item.screenshot, embed),
            "note": item.screenshot.missing_note,
            "alt": item.screenshot.label,
        }
    facts: list[tuple[str, str]] = [("Marketplace", item.marketplace)]
    if item.asin:
        facts.append(("ASIN", item.asin))
    if item.keyword:
        facts.append(("Keyword", item.keyword))
    if item.unit:
        unit = item.unit + (f" ({item.placement})" if item.placement else "")
        facts.append(("Ad unit", unit))
    if item.position is not None or item.page is not None:
        where = f"#{item.position}" if item.position is not None else "unknown"
        facts.append(("Position", where + (f" on page {item.page}" if item.page else "")))
    if item.first_seen_at:
        facts.append(("First seen", _when(item.first_seen_at)))
    if item.last_seen_at:
        facts.append(("Last seen", _when(item.last_seen_at)))
    facts.append(("Reported", _when(item.created_at)))
    impact = _impact_view(item, embed)
    return {
        "impact": impact,
        "item": item,
        "label": label,
        "colour": colour,
        "headline": headline(item),
        "facts": facts,
        "pictures": pictures,
        "screenshot": screenshot,
        "shares": [
            {"state": "not in gallery" if s.state == UNKNOWN else s.state, "count": s.count, "pct": s.percent}
            for s in item.shares
        ],
    }


def _groups(items: Sequence[AlertItem], embed: Embed) -> list[dict[str, Any]]:
    """Events grouped by product (marketplace, ASIN); marketplace-wide events last."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    shown: set[tuple[str, str | None, str]] = set()  # a keyword's CTR table and chart, once per email
    for item in order(items):
        if item.asin and item.kind not in SYSTEM_KINDS:
            key = (item.marketplace, item.asin)
            title = item.product_name or item.asin
            subtitle = f"{item.asin} · {item.marketplace}"
        else:
            key = ("~", item.marketplace)
            title = f"Monitoring of {item.marketplace}"
            subtitle = "About the sweep itself, not one product"
        group = groups.setdefault(key, {"title": title, "subtitle": subtitle, "items": []})
        view = _view(item, embed)
        if view["impact"] is not None:
            seen = (item.marketplace, item.asin, view["impact"]["facts"].keyword)
            view["impact"]["repeat"] = seen in shown
            shown.add(seen)
        group["items"].append(view)
    return sorted(groups.values(), key=lambda g: g["subtitle"].startswith("About"))


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment of the email templates (autoescaped; plain-text templates excepted)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(
            enabled_extensions=("html",), disabled_extensions=("txt",), default=True, default_for_string=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["when"] = _when
    return env


def _context(items: Sequence[AlertItem], subject: str, embed: Embed) -> dict[str, Any]:
    ranked = order(items)
    return {
        "subject": subject,
        "items": ranked,
        "groups": _groups(ranked, embed),
        "summary": [_story(i) for i in ranked],
        "opt_out": opt_out_request(ranked),
        "opt_out_followup": opt_out_followup(ranked),
        "recent_days": ranked[0].recent_days if ranked else 14,
    }


def render_html(items: Sequence[AlertItem], *, subject: str, embed: Embed = "cid") -> str:
    """The HTML email with its CSS inlined; images as ``cid:`` links or ``data:`` URIs."""
    html = environment().get_template("alert.html").render(**_context(items, subject, embed))
    inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
    return str(inliner.inline(html))


def render_text(items: Sequence[AlertItem], *, subject: str) -> str:
    """The plain-text part."""
    return str(environment().get_template("alert.txt").render(**_context(items, subject, "cid")))
