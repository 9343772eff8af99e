"""The ready-to-paste texts for Seller Support: the opt-out request and the follow-up of an overdue one.

Where it sits: part of rendering an alert email (``monitor/alerts/render.py`` puts them under the events).
The sellers' advice is to back a case with numbers: where the seller's ads data says what an image did,
the request names the CTR change with its 95 % interval and the dates. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.alerts.items import AlertItem, clean_line
from monitor.alerts.items import when as _when
from monitor.alerts.kinds import (
    CTR_DROP,
    IMAGE_KINDS,
    LISTING_MAIN_CHANGED,
    MAIN_REPLACED,
    NOT_SEEN,
    OPTOUT_OVERDUE,
    UNKNOWN_IMAGE,
)


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
