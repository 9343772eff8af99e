"""The browser edge: find Chromium, launch it through Playwright, load pages like a shopper.

Sits between the sweep (which decides what to load) and Amazon (or the simulated storefront).
"""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path

from monitor.errors import BrowserNotFoundError

SYSTEM_CHROMIUMS = (
    "chromium-headless-shell",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)
INSTALL_HINT = (
    "install one: `apt-get install -y --no-install-recommends chromium` (Debian/Ubuntu), or "
    "`python -m playwright install chromium` where Playwright's download is reachable, or set "
    "[browser] executable = \"/path/to/chromium\" in the config"
)


def _playwright_chromiums() -> list[Path]:
    root = os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or str(Path.home() / ".cache" / "ms-playwright")
    patterns = [
        "chromium_headless_shell-*/chrome-*/chrome-headless-shell",
        "chromium_headless_shell-*/chrome-*/headless_shell",
        "chromium-*/chrome-linux*/chrome",
        "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
    ]
    found: list[Path] = []
    for pattern in patterns:
        found.extend(Path(p) for p in sorted(glob.glob(str(Path(root) / pattern)), reverse=True))
    return found


def find_chromium(setting: str = "auto") -> Path:
    """The Chromium to drive: the configured path, else Playwright's own, else the system's."""
    if setting and setting != "auto":
        path = Path(setting).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise BrowserNotFoundError(f"browser.executable: {setting!r} is not an executable file; {INSTALL_HINT}")
    env = os.environ.get("ISMON_CHROMIUM")
    if env:
        return find_chromium(env)
    for candidate in _playwright_chromiums():
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    for name in SYSTEM_CHROMIUMS:
        located = shutil.which(name)
        if located:
            real = Path(located)
            # Debian's /usr/bin/chromium is a shell wrapper; the binary behind it starts faster.
            behind = Path("/usr/lib/chromium/chromium")
            if real == Path("/usr/bin/chromium") and behind.is_file():
                return behind
            return real
    raise BrowserNotFoundError(f"no Chromium found; {INSTALL_HINT}")
