"""The browser state kept between sweeps: Playwright's storage state per marketplace, and its postal code.

Where it sits: on disk under the data folder (``browser/<marketplace>.json``, with the delivery postal
code it was set for in ``browser/<marketplace>.meta.json``). The sweep stores a state once a
``Shopper`` has set the delivery location (``monitor.acquire.location``) and hands its path to every
later shopper of the marketplace (``ShopperSettings.storage_state``); a fresh shopper identity starts
from the state without the cookies that name the flagged session (``state_without_session``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any


def storage_state_path(data_dir: Path, marketplace: str) -> Path:
    return data_dir / "browser" / f"{marketplace}.json"


# Amazon's cookies that name a shopper session; the others of a stored state (the delivery location,
# cookie consent, language and currency) say nothing about who is shopping.
SESSION_COOKIE_RE = re.compile(
    r"^(session-id(-time)?|session-token|ubid-\w+|(sess-)?at-\w+|x-\w+|csm-hit|sst-\w+)$"
)


def state_without_session(state_file: Path) -> dict[str, Any]:
    """A stored browser state (Playwright's storage state) without the session's identity cookies."""
    try:
        state = json.loads(state_file.read_text())
    except (OSError, ValueError):
        return {"cookies": [], "origins": []}
    cookies = [c for c in state.get("cookies", []) if not SESSION_COOKIE_RE.match(str(c.get("name", "")))]
    return {**state, "cookies": cookies}


def stored_postal_code(state_file: Path) -> str | None:
    """The postal code recorded next to a stored browser state, if any."""
    meta = state_file.with_suffix(".meta.json")
    try:
        value = json.loads(meta.read_text()).get("postal_code")
    except (OSError, ValueError):
        return None
    return value if isinstance(value, str) else None


def remember_postal_code(state_file: Path, postal_code: str) -> None:
    state_file.with_suffix(".meta.json").write_text(json.dumps({"postal_code": postal_code}))
