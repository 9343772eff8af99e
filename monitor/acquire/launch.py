"""Finding Chromium and starting it through Playwright, looking like a desktop shopper's browser.

Where it sits: at the bottom of the acquire stage. The sweep (and ``ismon check``) call ``launch`` once
per sweep; the ``Shopper`` (``monitor.acquire.shopper``) opens its contexts in the browser it returns,
with the user agent, window size and proxy settings from here. Which Chromium: the configured
executable, else ``$ISMON_CHROMIUM``, else Playwright's own download, else the system's (Debian's
chromium-headless-shell or chromium, behind its shell wrapper).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

from playwright.async_api import Browser, Playwright
from playwright.async_api import Error as PlaywrightError

from monitor.errors import BrowserError, BrowserNotFoundError

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
    '[browser] executable = "/path/to/chromium" in the config'
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
        found.extend(sorted(Path(root).glob(pattern), reverse=True))
    return found


def find_chromium(setting: str = "auto") -> Path:
    """The Chromium to drive: the configured path, else Playwright's own, else the system's."""
    if setting and setting != "auto":
        path = Path(setting).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise BrowserNotFoundError(
            f"browser.executable: {setting!r} is not an executable file; {INSTALL_HINT}"
        )
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


CHROMIUM_ARGS = (
    "--disable-blink-features=AutomationControlled",  # no navigator.webdriver
    "--disable-gpu",
    "--disable-quic",
    # For tabs that render on demand: a frame asked for is drawn complete, pictures decoded in it.
    "--run-all-compositor-stages-before-draw",
    "--disable-checker-imaging",
)


async def launch(playwright: Playwright, executable: str = "auto", *, headless: bool = True) -> Browser:
    """Start Chromium through Playwright with the binary ``find_chromium`` picks."""
    path = find_chromium(executable)
    try:
        return await playwright.chromium.launch(
            executable_path=str(path),
            headless=headless,
            args=[*CHROMIUM_ARGS, *os.environ.get("ISMON_CHROMIUM_ARGS", "").split()],
            # Ctrl-C reaches Playwright's driver too (one process group): its handler would close the
            # browser under the page in hand and exit. ismon stops on SIGINT itself (monitor/run/signals.py).
            # SIGTERM stays handled: a driver that gets one (`timeout` signals its whole group) then
            # closes the browser and lives, instead of dying with a broken pipe.
            handle_sigint=False,
        )
    except PlaywrightError as exc:
        raise BrowserError(f"cannot start {path}: {first_line(exc)}") from None


VIEWPORT = {"width": 1366, "height": 768}  # the commonest desktop screen


def desktop_user_agent(browser_version: str) -> str:
    """A normal desktop Chrome user agent for this Chromium (never "HeadlessChrome")."""
    major = browser_version.split(".", 1)[0] or "130"
    return (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{major}.0.0.0 Safari/537.36"
    )


def proxy_settings(proxy: str) -> dict[str, str]:
    """Playwright's proxy dict from a URL; ``user:password@`` in it becomes the proxy login."""
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    server = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    settings = {"server": server}
    if parts.username:
        settings["username"] = unquote(parts.username)
        settings["password"] = unquote(parts.password or "")
    return settings


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (Playwright's run to many lines), for a log or an error."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
