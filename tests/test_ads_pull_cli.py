"""``ismon ads pull`` and ``ismon check`` as a seller runs them: secrets from the environment, never shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitor.storefront import demo_scenario
from monitor.storefront.adsapi import DEMO_CLIENT_ID, SimulatedAdsApi
from monitor.storefront.adsdata import AdsWorld

PROFILE = "1111111111"
SECRET = "cli-secret-0f9e8d7c6b5a"
REFRESH = "Atzr|IwEBIrefresh-4d3c2b1a"


@pytest.fixture
def sim() -> Iterator[SimulatedAdsApi]:
    world = AdsWorld(demo_scenario())
    # tokens die after a second (announcing an hour), so a pull also refreshes after a 401
    with SimulatedAdsApi(
        world, profiles={PROFILE: "us"}, client_secret=SECRET, refresh_token=REFRESH, token_ttl_s=1.0
    ) as api:
        yield api


def write_config(folder: Path, sim: SimulatedAdsApi) -> Path:
    products = "\n".join(
        f'[[products]]\nasin = "{p.asin}"\nmarketplace = "us"\nkeywords = ["{p.brand.lower()} {p.asin}"]\n'
        for p in demo_scenario().products
    )
    path = folder / "ismon.toml"
    path.write_text(
        f"""
database_url = "sqlite:///ismon.db"
data_dir = "data"
[marketplaces.us]
base_url = "https://www.amazon.com"
ads_profile_id = "{PROFILE}"
{products}
[ads]
client_id = "{DEMO_CLIENT_ID}"
client_secret_env = "SELLER_ADS_SECRET"
refresh_token_env = "SELLER_ADS_REFRESH"
api_url = "{sim.base_url}"
token_url = "{sim.token_url}"
""",
        encoding="utf-8",
    )
    return path


def ismon(config: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SELLER_ADS_")}
    return subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), *args],
        env={**clean, "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_verbose_pull_never_prints_a_secret(tmp_path: Path, sim: SimulatedAdsApi) -> None:
    config = write_config(tmp_path, sim)
    since = (
        datetime.now(UTC).astimezone(ZoneInfo("America/Los_Angeles")).date() - timedelta(days=3)
    ).isoformat()
    env = {"SELLER_ADS_SECRET": SECRET, "SELLER_ADS_REFRESH": REFRESH}
    result = ismon(config, "-vv", "ads", "pull", "--since", since, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "stored us" in result.stdout
    assert sim.tokens_issued >= 2  # it did refresh, with everything logged at DEBUG
    output = result.stdout + result.stderr
    assert "HTTP Request" in output  # the client's requests were logged
    for secret in (SECRET, REFRESH, *sim.access_tokens()):
        assert secret not in output
    assert "X-Amz-Signature" not in output  # nor the pre-signed download link

    shown = json.loads(ismon(config, "ads", "show", "--json", env={}).stdout)
    assert {d["source"] for d in shown} == {"api"}
    assert {d["asin"] for d in shown} == {p.asin for p in demo_scenario().products}
    assert len({d["date"] for d in shown}) == 3

    check = ismon(config, "check", env=env)
    lines = check.stdout.splitlines()
    assert any("ads token:" in line and "issued an access token" in line for line in lines), check.stdout
    assert any("ads last pull:" in line and "stored" in line for line in lines), check.stdout
    assert any("ads days: us: 3 days stored" in line for line in lines), check.stdout
    for secret in (SECRET, REFRESH, *sim.access_tokens()):
        assert secret not in check.stdout + check.stderr


def test_a_missing_secret_variable_is_named_and_exits_2(tmp_path: Path, sim: SimulatedAdsApi) -> None:
    config = write_config(tmp_path, sim)
    result = ismon(config, "ads", "pull", env={"SELLER_ADS_SECRET": SECRET})
    assert result.returncode == 2
    assert "SELLER_ADS_REFRESH is not set" in result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert sim.requests == []  # nothing was asked with half the credentials


def test_wrong_credentials_end_the_pull_with_a_clear_message(tmp_path: Path, sim: SimulatedAdsApi) -> None:
    config = write_config(tmp_path, sim)
    result = ismon(
        config,
        "-v",
        "ads",
        "pull",
        env={"SELLER_ADS_SECRET": "wrong-secret-xyz", "SELLER_ADS_REFRESH": REFRESH},
    )
    assert result.returncode == 1
    assert "Login with Amazon refused the credentials (invalid_client" in result.stderr
    assert "wrong-secret-xyz" not in result.stdout + result.stderr
    assert REFRESH not in result.stdout + result.stderr

    check = ismon(
        config, "check", env={"SELLER_ADS_SECRET": "wrong-secret-xyz", "SELLER_ADS_REFRESH": REFRESH}
    )
    assert check.returncode == 1
    assert any(
        line.startswith("FAIL") and "ads token: Login with Amazon refused" in line
        for line in check.stdout.splitlines()
    ), check.stdout
    assert "wrong-secret-xyz" not in check.stdout + check.stderr


def test_the_daemon_schedules_the_daily_pull_and_collects_pending_reports_at_start(
    tmp_path: Path, sim: SimulatedAdsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlmodel import Session, select

    from monitor.ads.pull import PullOptions, pull_configured
    from monitor.config import load_config
    from monitor.run.daemon import Daemon
    from monitor.run.settings import ads_pull_settings
    from monitor.secrets import Secrets
    from monitor.store.db import open_database
    from monitor.store.models import AdsReportJob

    env = {"SELLER_ADS_SECRET": SECRET, "SELLER_ADS_REFRESH": REFRESH}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = load_config(write_config(tmp_path, sim))
    engine = open_database(config.database_url)
    sim.pending_s = 1.0
    # a pull that was stopped (a daemon restart) while Amazon was still preparing its reports
    first = pull_configured(
        ads_pull_settings(config),
        engine,
        Secrets(env),
        clock=lambda: datetime.now(UTC),
        options=PullOptions(lookback_days=2, max_wait_s=0),
    )
    assert first.pending == 12 and len(sim.created()) == 12  # a first pull reaches back 95 days

    daemon = Daemon(config, engine, clock=lambda: datetime.now(UTC), secrets=Secrets(env))
    daemon.schedule(run_now=False)
    daemon.scheduler.start(paused=True)
    try:
        ads, sweep = daemon.scheduler.get_job("ads"), daemon.scheduler.get_job("sweep")
        assert ads is not None and sweep is not None
        assert (ads.next_run_time - datetime.now(UTC)).total_seconds() < 5  # now: reports are pending
        assert sweep.next_run_time is not None  # scheduled, not paused
    finally:
        daemon.scheduler.shutdown(wait=False)
    daemon.ads_job()
    with Session(engine) as session:
        assert {j.status for j in session.exec(select(AdsReportJob)).all()} == {"stored"}
    assert len(sim.created()) == 12  # collected, not asked again
    engine.dispose()


def test_a_second_pull_while_one_runs_stops_at_once(tmp_path: Path, sim: SimulatedAdsApi) -> None:
    from monitor.store.lock import exclusive

    config = write_config(tmp_path, sim)
    with exclusive(tmp_path / "data", "ads.lock", "ads pull"):
        result = ismon(
            config, "ads", "pull", env={"SELLER_ADS_SECRET": SECRET, "SELLER_ADS_REFRESH": REFRESH}
        )
    assert result.returncode == 1
    assert "another ads pull is running" in result.stderr
    assert sim.requests == []
