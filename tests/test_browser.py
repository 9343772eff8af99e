"""Browser settings a user writes in the config: where Chromium is, how proxies are given."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.acquire.launch import desktop_user_agent, find_chromium, proxy_settings
from monitor.errors import BrowserNotFoundError


def test_a_missing_browser_says_how_to_install_one(tmp_path: Path) -> None:
    with pytest.raises(BrowserNotFoundError, match="apt-get install -y --no-install-recommends chromium"):
        find_chromium(str(tmp_path / "no-such-chromium"))


def test_the_user_agent_is_a_normal_desktop_chrome() -> None:
    agent = desktop_user_agent("156.0.8078.79")
    assert "Chrome/156.0.0.0" in agent and "Windows NT 10.0" in agent
    assert "Headless" not in agent


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://proxy.example:3128", {"server": "http://proxy.example:3128"}),
        ("proxy.example:8080", {"server": "http://proxy.example:8080"}),
        ("socks5://10.0.0.1:1080", {"server": "socks5://10.0.0.1:1080"}),
        (
            "http://u%40shop:p%3Ass@proxy.example:3128",
            {"server": "http://proxy.example:3128", "username": "u@shop", "password": "p:ss"},
        ),
    ],
)
def test_proxy_urls_with_and_without_a_login(url: str, expected: dict[str, str]) -> None:
    assert proxy_settings(url) == expected
