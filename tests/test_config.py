"""The config file: what a user who mistypes it sees (one message: file, key, reason; exit code 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.config import load_config, parse_config
from monitor.errors import ConfigError
from monitor.paths import TEMPLATES
from monitor.secrets import MissingSecretError, Secrets

GOOD = """
database_url = "sqlite:///state/ismon.db"
data_dir = "data"

[marketplaces.us]
base_url = "https://www.amazon.com/"
postal_code = "10001"

[[products]]
asin = "b0cxxxxxx1"
marketplace = "us"
name = "Chair"
keywords = ["camping chair", "camping  chair", "folding chair"]

[sweep]
schedule = ["0 */4 * * *", "30 9 * * 1-5"]
delay_seconds = [1, 2]

[email]
username = "me"
recipients = ["seller@example.com"]
"""


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("/etc/ismon/ismon.toml"))
    return str(info.value)


def test_a_good_file_is_read_with_paths_relative_to_it() -> None:
    config = parse_config(GOOD, Path("/etc/ismon/ismon.toml"))
    assert config.database_url == "sqlite:////etc/ismon/state/ismon.db"
    assert config.data_dir == Path("/etc/ismon/data")
    assert config.marketplaces["us"].base_url == "https://www.amazon.com"
    product = config.products[0]
    assert product.asin == "B0CXXXXXX1"
    assert product.keywords == ["camping chair", "folding chair"]
    assert config.sweep.delay_seconds == (1.0, 2.0)
    assert config.locale("us") == "en-US"
    assert Secrets({"ISMON_SMTP_PASSWORD": "pw"}).smtp_password(config.email) == "pw"


def test_the_example_written_by_init_is_valid() -> None:
    text = (TEMPLATES / "ismon.example.toml").read_text()
    config = parse_config(text, Path("/tmp/ismon.toml"))
    assert config.products[0].keywords == ["camping chair", "lightweight folding chair"]
    assert config.email is not None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("keywords = [", "keyword = ["), "products[0].keyword: unknown key"),
        (('asin = "b0cxxxxxx1"', 'asin = "B0C12"'), "products[0].asin: 'B0C12' is not an ASIN"),
        (('"0 */4 * * *"', '"61 * * * *"'), "sweep.schedule[0]: '61 * * * *' is not a valid cron"),
        (('"0 */4 * * *"', '"every day"'), "sweep.schedule[0]: 'every day' is not a cron expression"),
        (('marketplace = "us"', 'marketplace = "de"'), "products[0].marketplace: unknown marketplace 'de'"),
        (("[sweep]", "[sweeps]"), "sweeps: unknown key"),
        (("delay_seconds = [1, 2]", "delay_seconds = [5, 2]"), "sweep.delay_seconds: must be [min, max]"),
        (('base_url = "https://www.amazon.com/"', 'base_url = "amazon.com"'), "is not an http(s) URL"),
    ],
)
def test_each_mistake_names_the_file_the_key_and_the_reason(change: tuple[str, str], expected: str) -> None:
    message = _error(GOOD.replace(*change))
    assert message.startswith("/etc/ismon/ismon.toml: ")
    assert expected in message
    assert "Traceback" not in message


def test_a_syntax_error_gives_the_line() -> None:
    message = _error(GOOD.replace('name = "Chair"', 'name = "Chair'))
    assert "not valid TOML" in message
    assert "line 12" in message


def test_the_config_needs_no_secret_and_a_missing_one_is_named_when_it_is_needed() -> None:
    config = parse_config(GOOD, Path("/etc/ismon/ismon.toml"))  # username set, no variable: fine
    with pytest.raises(MissingSecretError) as info:
        Secrets({}, config.path).smtp_password(config.email)
    message = str(info.value)
    assert message.startswith("/etc/ismon/ismon.toml: email.password_env: ")
    assert "environment variable ISMON_SMTP_PASSWORD is not set" in message and "'me'" in message
    assert info.value.exit_code == 2
    assert Secrets({"ISMON_SMTP_PASSWORD": ""}).smtp_password(config.email) == ""  # set but empty is set
    no_login = parse_config(GOOD.replace('username = "me"', ""), Path("/etc/ismon/ismon.toml"))
    assert Secrets({}).smtp_password(no_login.email) == ""


def test_a_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ismon init"):
        load_config(tmp_path / "nope.toml")


def _ismon(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd,
        env={**os.environ, **(env or {}), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_init_then_a_broken_file_exits_2_without_a_traceback(tmp_path: Path) -> None:
    made = _ismon("init", str(tmp_path), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    config = tmp_path / "ismon.toml"
    assert "[[products]]" in config.read_text()
    again = _ismon("init", str(tmp_path), cwd=tmp_path)
    assert again.returncode == 2
    assert "--force" in again.stderr

    config.write_text(config.read_text().replace('asin = "B0CXXXXXXX"', 'asin = "B0CX"'))
    broken = _ismon("--config", str(config), "history", cwd=tmp_path)
    assert broken.returncode == 2
    assert f"{config}: products[0].asin: 'B0CX' is not an ASIN" in " ".join(broken.stderr.split())
    assert "Traceback" not in broken.stderr


def test_a_bad_option_is_a_usage_error(tmp_path: Path) -> None:
    result = _ismon("sweep", "--no-such-option", cwd=tmp_path)
    assert result.returncode == 2
