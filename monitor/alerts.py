"""Alert emails: events -> subject, HTML and plain-text parts, one MIME message. Pure.

Where it sits: after the outbox and before the mailer. ``monitor/outbox.py`` loads an email's events
with their product, gallery MAIN, ad image, screenshot and recent history into ``AlertItem`` values;
this module renders them with the Jinja2 templates in ``templates/email/`` (autoescaped), inlines the
CSS with css_inline (mail clients drop ``<style>``) and builds a multipart/alternative message whose
HTML part is multipart/related with the images attached by Content-ID. ``monitor/mailer.py`` stores
the bytes on the outbox row and sends them.

The same HTML can embed its images as ``data:`` URIs instead, for a preview file opened in a browser
where ``cid:`` links cannot resolve.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from functools import lru_cache
from typing import Any, Literal, Protocol

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from monitor import paths
from monitor.changes import (
    BLOCKED,
    CTR_DROP,
    IMAGE_KINDS,
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
from monitor.files import sniff_extension

log = logging.getLogger(__name__)

TEMPLATES = paths.TEMPLATES / "email"
SUBJECT_MAX = 180
# Inline images per email, before base64: a big digest stays under the 10 MB many servers accept.
INLINE_BUDGET = 7_000_000

Embed = Literal["cid", "data"]

_IMAGE_SUBTYPES = {"jpg": "jpeg", "png": "png", "gif": "gif", "webp": "webp", "avif": "avif"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")

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


@dataclass(frozen=True)
class Picture:
    """An image for the email, or the note that says why it is missing."""

    label: str
    data: bytes | None = None
    note: str = ""

    @property
    def subtype(self) -> str | None:
        return _IMAGE_SUBTYPES.get(sniff_extension(self.data)) if self.data else None

    @property
    def usable(self) -> bool:
        return self.subtype is not None

    @property
    def cid(self) -> str:
        digest = hashlib.sha256(self.data or b"").hexdigest()[:24]
        return f"img-{digest}@ismon"

    @property
    def missing_note(self) -> str:
        if self.usable:
            return ""
        if self.data:
            return self.note or "The stored file is not an image a mail client can show."
        return self.note or "No image was kept for this."


@dataclass(frozen=True)
class Share:
    """How often one state was shown for a keyword in the recent window."""

    state: str  # a variant, "unknown" or "ambiguous"
    count: int
    percent: int


@dataclass(frozen=True)
class ImpactFacts:
    """What the seller's ads data says about an event's keyword (``monitor/impact_alerts.py``)."""

    keyword: str
    first_day: str
    last_day: str
    days: int  # with both sightings and ads data
    verdict: str
    rows: tuple[dict[str, Any], ...]  # the tracking table, formatted (monitor.impact.text.variant_row)
    focus: str | None = None  # the variant the event is about
    sentence: str = ""  # its CTR change against MAIN with the interval and dates, for the opt-out text
    before: tuple[float, int, int] | None = None  # CTR, clicks, impressions before a MAIN replacement
    since: tuple[float, int, int] | None = None
    before_period: str = ""
    since_period: str = ""


@dataclass(frozen=True)
class AlertItem:
    """One event with everything an email shows about it."""

    kind: str
    created_at: datetime
    marketplace: str
    asin: str | None = None
    product_name: str = ""
    keyword: str | None = None
    unit: str | None = None
    placement: str | None = None
    position: int | None = None
    page: int | None = None
    variant: str | None = None
    previous_variant: str | None = None
    detail: str = ""
    first_seen_at: datetime | None = None
    last_seen_at: datetime | None = None
    main: Picture | None = None
    shown: Picture | None = None
    screenshot: Picture | None = None
    shares: tuple[Share, ...] = field(default=())
    recent_days: int = 14
    impact: ImpactFacts | None = None
    chart: Picture | None = None  # the daily CTR chart over the shown variants (PNG)


def clean_line(text: str) -> str:
    """One line of text safe for a header: no control characters, no line breaks, single spaces."""
    return " ".join(_CONTROL.sub(" ", text).split())


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


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def opt_out_request(items: Sequence[AlertItem]) -> str:
    """A ready-to-paste request to Seller Support naming the ASINs and keywords, or "" when none."""
    concerned = [
        i for i in items if i.asin and i.kind in (*IMAGE_KINDS, LISTING_MAIN_CHANGED, NOT_SEEN, CTR_DROP)
    ]
    primary = [i for i in concerned if i.kind in (MAIN_REPLACED, UNKNOWN_IMAGE, CTR_DROP)] or concerned
    if not primary:
        return ""
    listed: dict[tuple[str, str], dict[str, list[str]]] = {}
    names: dict[tuple[str, str], str] = {}
    for item in primary:
        key = (item.marketplace, item.asin or "")
        names.setdefault(key, clean_line(item.product_name))
        keywords = listed.setdefault(key, {})
        if item.keyword:
            notes = keywords.setdefault(clean_line(item.keyword), [])
            if item.kind in (MAIN_REPLACED, UNKNOWN_IMAGE) and not any(n.startswith(" (") for n in notes):
                shown = item.variant or "an image not in the gallery"
                notes.insert(
                    0, f" (the ad showed {shown} since {_when(item.first_seen_at or item.created_at)})"
                )
            if item.impact is not None and item.impact.sentence:
                # The sellers' advice: back the case with the CTR numbers, their interval and the dates.
                line = f"\n      our ads data, {clean_line(item.impact.sentence)}"
                if line not in notes:
                    notes.append(line)
    with_numbers = any("our ads data" in n for kws in listed.values() for ns in kws.values() for n in ns)
    lines = [
        "Subject: Request to opt out of automated image selection in Sponsored Products ads",
        "",
        "Hello Seller Support,",
        "",
        # One line per paragraph: the support form and the <pre> wrap it; hard breaks would not fit either.
        "Our Sponsored Products ads are displaying gallery images other than the MAIN image of our "
        "listings. We did not choose these images, and they change the click-through rate of our campaigns "
        "in ways we cannot control. Please opt the following ASINs out of automated ad image selection, so "
        "that their ads always show the listing's MAIN image:",
        "",
    ]
    for (marketplace, asin), keywords in listed.items():
        name = names[(marketplace, asin)]
        lines.append(f"- {asin}{f' ({name})' if name else ''}, marketplace {marketplace}")
        for keyword, notes in keywords.items():
            lines.append(f'    search term "{keyword}"' + "".join(notes))
    lines.append("")
    if with_numbers:
        lines.append(
            "The click-through rates come from our own Sponsored Products reports, compared with the days "
            "the same ads showed the MAIN image; the 95 % intervals include the ordinary day-to-day "
            "variation."
        )
    lines += [
        "We observed this with our own monitoring of the search results and can send screenshots.",
        "Thank you for your help.",
    ]
    return "\n".join(lines)


def opt_out_followup(items: Sequence[AlertItem]) -> str:
    """A ready-to-paste follow-up for each overdue opt-out, to add to its Seller Support case."""
    overdue = [i for i in items if i.kind == OPTOUT_OVERDUE and i.asin]
    if not overdue:
        return ""
    lines = ["Hello Seller Support,", ""]
    for item in overdue:
        lines.append(clean_line(item.detail).replace(" Add this evidence to the Seller Support case.", ""))
        if item.impact is not None and item.impact.sentence:
            lines.append(
                f"Our ads data for “{clean_line(item.impact.keyword)}”: {clean_line(item.impact.sentence)}."
            )
        lines.append("")
    lines += [
        "Please make sure the opt-out from automated ad image selection is applied to these ASINs. "
        "A screenshot of the ad as shoppers saw it is attached.",
        "Thank you.",
    ]
    return "\n".join(lines)


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


def pictures(items: Sequence[AlertItem]) -> list[Picture]:
    """Every distinct usable image of the items, in order of appearance."""
    seen: set[str] = set()
    out: list[Picture] = []
    for item in order(items):
        for picture in (item.main, item.shown, item.screenshot, item.chart):
            if picture is not None and picture.usable and picture.cid not in seen:
                seen.add(picture.cid)
                out.append(picture)
    return out


def fit(items: Sequence[AlertItem], budget: int = INLINE_BUDGET) -> list[AlertItem]:
    """The items with pictures beyond ``budget`` bytes replaced by a note; MAIN and ad images go first."""
    allowed: set[str] = set()
    used = 0
    ranked = order(items)
    first = [p for i in ranked for p in (i.main, i.shown, i.chart)]
    for picture in first + [i.screenshot for i in ranked]:
        if picture is None or not picture.usable or picture.cid in allowed:
            continue
        size = len(picture.data or b"")
        if used + size <= budget:
            allowed.add(picture.cid)
            used += size

    def keep(picture: Picture | None) -> Picture | None:
        if picture is None or not picture.usable or picture.cid in allowed:
            return picture
        return Picture(label=picture.label, note="Left out to keep this email small; `ismon report` has it.")

    return [
        replace(i, main=keep(i.main), shown=keep(i.shown), screenshot=keep(i.screenshot), chart=keep(i.chart))
        for i in ranked
    ]


def _filename(picture: Picture) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", picture.label).strip("-") or "image"
    ext = "jpg" if picture.subtype == "jpeg" else picture.subtype
    return f"{stem[:60]}.{ext}"


def build_message(
    items: Sequence[AlertItem],
    *,
    message_id: str,
    sender: str,
    recipients: Sequence[str],
    date: datetime,
    subject: str | None = None,
) -> EmailMessage:
    """The whole email: text, HTML and the HTML's images by Content-ID."""
    items = fit(items)
    subject = clean_line(subject) if subject else subject_for(items)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a robot
    msg["X-Mailer"] = "ismon"
    msg.set_content(render_text(items, subject=subject))
    msg.add_alternative(render_html(items, subject=subject, embed="cid"), subtype="html")
    html_part = next(p for p in msg.iter_parts() if p.get_content_type() == "text/html")
    for picture in pictures(items):
        assert picture.data is not None and picture.subtype is not None
        html_part.add_related(
            picture.data,
            maintype="image",
            subtype=picture.subtype,
            cid=f"<{picture.cid}>",
            disposition="inline",
            filename=_filename(picture),
        )
    return msg


def message_bytes(msg: EmailMessage) -> bytes:
    """The message as sent over SMTP (CRLF line ends)."""
    return msg.as_bytes(policy=SMTP)
