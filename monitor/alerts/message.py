"""One alert email as a MIME message: the rendered parts, and the pictures attached by Content-ID.

Where it sits: between rendering and delivery. ``monitor/alerts/render.py`` makes the subject and the
text and HTML parts; this module keeps the inline pictures under a size budget and builds a
multipart/alternative message whose HTML part is multipart/related with the images attached by
Content-ID. ``monitor/alerts/mailer.py`` stores the bytes on the outbox row and sends them. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from monitor.alerts.items import AlertItem, Picture, clean_line
from monitor.alerts.render import order, render_html, render_text, subject_for

# Inline images per email, before base64: a big digest stays under the 10 MB many servers accept.
INLINE_BUDGET = 7_000_000


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
