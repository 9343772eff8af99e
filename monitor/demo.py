"""``ismon demo``: the whole pipeline on this machine, against the simulated storefront and Ads API.

It starts the storefront, the simulated Amazon Ads API and a local SMTP sink, writes a config, refreshes
the galleries, plays four simulated weeks of one ad whose image changes (a sweep a day on a simulated
clock, while the Ads API reports each image's real CTR effect: ``monitor/storefront/effects.py``),
pulls those weeks of Sponsored Products reports through the Ads API, runs two sweeps now with an
ImageSmith swap between them, delivers the alerts (``ctr_drop`` among them) into files a person can
open, writes the report, and says where to look. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from time import monotonic
from typing import Any

from aiosmtpd.controller import Controller

from monitor.config import load_config
from monitor.marketplaces import reporting_zone
from monitor.run.settings import sweep_settings
from monitor.secrets import Secrets
from monitor.store.db import open_database
from monitor.store.files import BlobStore
from monitor.storefront.adsapi import DEMO_CLIENT_ID, SimulatedAdsApi
from monitor.storefront.adsdata import AdsWorld
from monitor.storefront.effects import STORY, demo_ctr, effect, shown_on, story_schedule
from monitor.sweep.gallery import refresh_galleries
from monitor.sweep.planning import SweepOptions
from monitor.sweep.runner import run_sweep

Say = Callable[[str], None]
PAST_DAYS = 28  # simulated days of history before today: enough for real verdicts (bench/impact.py)
DEMO_PROFILE = "1234567890"


class MailSink:
    """An SMTP server on 127.0.0.1 that writes every message it accepts as .eml plus an openable .html."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.messages: list[Path] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        with self._lock:
            number = len(self.messages) + 1
            path = save_message(data, self.folder, number)
            self.messages.append(path)
        return "250 Message accepted for delivery"

    def start(self) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self.port

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def save_message(data: bytes, folder: Path, number: int) -> Path:
    """Write one received email: ``NNN.eml`` as received and ``NNN.html`` with its images beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{number:03d}"
    (folder / f"{stem}.eml").write_bytes(data)
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("html", "plain"))
    html = body.get_content() if body is not None else ""
    if body is not None and body.get_content_type() == "text/plain":
        html = "<pre>" + html.replace("&", "&amp;").replace("<", "&lt;") + "</pre>"
    for part in message.walk():
        cid = part.get("Content-ID")
        if not cid or part.get_content_maintype() != "image":
            continue
        cid = cid.strip("<>")
        ext = part.get_content_subtype().replace("jpeg", "jpg")
        name = f"{stem}-{re.sub(r'[^A-Za-z0-9_.-]', '_', cid)}.{ext}"
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            (folder / name).write_bytes(payload)
            html = html.replace(f"cid:{cid}", name)
    subject = str(message.get("Subject", ""))
    head = f"<!-- Subject: {subject.replace('--', '- -')} -->\n"
    out = folder / f"{stem}.html"
    out.write_text(head + html, encoding="utf-8")
    return out


CONFIG = """\
# Written by `ismon demo`: the simulated storefront at {base_url}, the simulated Amazon Ads API at
# {ads_url} and a local mail sink.
database_url = "sqlite:///ismon.db"
data_dir = "data"

[marketplaces.us]
base_url = "{base_url}"
postal_code = "10001"
ads_profile_id = "{profile}"

{products}
[sweep]
schedule = ["0 */4 * * *"]
pages = 1
concurrency = 2
delay_seconds = [0.2, 0.6]
timeout_seconds = 20

[alerts]
mode = "digest"

[ads]
client_id = "{client_id}"
client_secret_env = "ISMON_ADS_CLIENT_SECRET"
refresh_token_env = "ISMON_ADS_REFRESH_TOKEN"
api_url = "{ads_url}"
token_url = "{ads_url}/auth/o2/token"

[email]
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
security = "none"
sender = "ismon@demo.invalid"
recipients = ["seller@demo.invalid"]
"""


def write_config(
    folder: Path,
    base_url: str,
    smtp_port: int,
    products: list[tuple[str, str, list[str]]],
    ads_url: str = "http://127.0.0.1:9",
) -> Path:
    blocks = []
    for asin, name, keywords in products:
        quoted = ", ".join('"' + k.replace('"', "") + '"' for k in keywords)
        blocks.append(
            f'[[products]]\nasin = "{asin}"\nmarketplace = "us"\nname = "{name.replace(chr(34), "")}"\n'
            f"keywords = [{quoted}]\n"
        )
    path = folder / "ismon.toml"
    path.write_text(
        CONFIG.format(
            base_url=base_url,
            smtp_port=smtp_port,
            products="\n".join(blocks),
            ads_url=ads_url,
            profile=DEMO_PROFILE,
            client_id=DEMO_CLIENT_ID,
        )
    )
    return path


def run_demo(folder: Path, *, clock: Callable[[], datetime], say: Say) -> bool:
    """Run the demo in ``folder``; True when every step worked."""
    from monitor.alerts.mailer import flush_configured
    from monitor.report.site import build_report
    from monitor.run.settings import alert_settings, report_settings
    from monitor.storefront import Storefront, demo_scenario

    folder.mkdir(parents=True, exist_ok=True)
    for stale in ("ismon.db", "ismon.db-wal", "ismon.db-shm"):
        (folder / stale).unlink(missing_ok=True)
    scenario = demo_scenario()
    sink = MailSink(folder / "mail")
    ok = True
    today = clock().astimezone(reporting_zone("us")).date()
    first_day = today - timedelta(days=PAST_DAYS)
    schedule = story_schedule(first_day, PAST_DAYS)
    world = AdsWorld(scenario, ctr=demo_ctr, variant_on=shown_on(scenario, schedule), auto_campaign=True)
    ads_api = SimulatedAdsApi(world, profiles={DEMO_PROFILE: "us"}, pending_s=0.5)
    with Storefront(scenario) as store, ads_api:
        port = sink.start()
        try:
            say(f"storefront  {store.base_url}  (simulated Amazon)")
            say(f"ads api     {ads_api.base_url}  (simulated Amazon Ads API)")
            say(f"mail sink   127.0.0.1:{port} -> {sink.folder}")
            products = [
                (p.asin, p.title, sorted({k for k, asins in scenario.sponsored.items() if p.asin in asins}))
                for p in scenario.products
            ]
            products = [p for p in products if p[2]]
            config_path = write_config(folder, store.base_url, port, products, ads_api.base_url)
            config = load_config(config_path)
            engine = open_database(config.database_url)
            say(f"config      {config_path}")

            results = refresh_galleries(
                sweep_settings(config), engine, clock=_at(_morning(first_day, config))
            )
            ok &= all(r.ok for r in results)
            say(f"galleries   {sum(r.ok for r in results)}/{len(results)} imported")

            ok &= _past_days(config, engine, store, scenario, schedule, say)
            store.set_scenario(scenario)
            ok &= _pull_ads(config, engine, ads_api, clock, say, since=first_day)

            first = run_sweep(
                sweep_settings(config), engine, clock=clock, options=SweepOptions(trigger="demo")
            )
            ok &= first.status == "ok"
            say(_line("sweep 1", first))

            asin, keyword, variant = _swap(scenario)
            store.set_scenario(replace(scenario, ad_images={**scenario.ad_images, (asin, keyword): variant}))
            say(f"ImageSmith  the ad of {asin} for {keyword!r} now shows {variant} instead of MAIN")

            second = run_sweep(
                sweep_settings(config), engine, clock=clock, options=SweepOptions(trigger="demo")
            )
            ok &= second.status == "ok"
            say(_line("sweep 2", second))

            flushed = flush_configured(
                engine, alert_settings(config), Secrets({}).smtp_password(config.email), clock()
            )
            ok &= flushed.pending == 0 and flushed.sent > 0
            say(f"alerts      {flushed.sent} emails delivered, {flushed.pending} pending")

            report = build_report(
                engine, report_settings(config), BlobStore(config.data_dir), folder / "report", clock()
            )
            engine.dispose()
        finally:
            sink.stop()
    say("")
    say("Look at:")
    for path in sink.messages:
        say(f"  alert email  {path}")
    drops = [path for path in sink.messages if "lowers the CTR" in path.read_text(encoding="utf-8")[:400]]
    for path in drops:
        say(f"  ctr_drop     {path}  (what an image cost in clicks, with the chart and the evidence)")
    say(f"  report       {report.index}")
    chair = report.out_dir / f"product-us-{STORY[0]}.html"
    say(f"  impact       {chair}  (“{STORY[1]}”: the daily CTR over the images shown, the tracking table)")
    say(f"  impact table ismon --config {config_path} impact")
    say(f"  history      ismon --config {config_path} history")
    say(f"  ads days     ismon --config {config_path} ads show")
    return ok


def _pull_ads(
    config: Any, engine: Any, api: Any, clock: Callable[[], datetime], say: Say, *, since: date | None = None
) -> bool:
    """The simulated Ads API's reports since ``since`` (default: the last 30 days), stored as by
    ``ismon ads pull``."""
    from monitor.ads.pull import PullOptions, pull_configured
    from monitor.run.settings import ads_pull_settings

    env = {"ISMON_ADS_CLIENT_SECRET": api.client_secret, "ISMON_ADS_REFRESH_TOKEN": api.refresh_token}
    today = clock().astimezone(config.timezone("us")).date()
    since = since or today - timedelta(days=30)
    options = PullOptions(since=since, first_poll_s=0.2, max_poll_s=1.0, max_wait_s=120)
    result = pull_configured(ads_pull_settings(config), engine, Secrets(env), clock=clock, options=options)
    say(f"ads pull    {'; '.join(result.stored) or 'nothing stored'} (simulated Ads API)")
    for line in result.failed:
        say(f"ads pull    FAILED {line}")
    return result.ok


def _morning(day: date, config: Any) -> datetime:
    """10:00 in the marketplace's reporting zone on ``day``: when a simulated day's sweep runs."""
    return datetime.combine(day, time(10, 0), tzinfo=config.timezone("us")).astimezone(UTC)


def _at(moment: datetime) -> Callable[[], datetime]:
    """A simulated clock that starts at ``moment`` and runs at the speed of the real one."""
    started = monotonic()
    return lambda: moment + timedelta(seconds=monotonic() - started)


def _past_days(
    config: Any, engine: Any, store: Any, scenario: Any, schedule: dict[date, str], say: Say
) -> bool:
    """One sweep of the story keyword on each simulated day, the storefront showing that day's image.

    The simulated Ads API reports the same days with the CTR each image had, so ``ismon impact`` has
    weeks of history to measure.
    """
    asin, keyword = STORY
    ok = True
    counts: dict[str, int] = {}
    started = monotonic()
    options = SweepOptions(trigger="demo", keywords=frozenset({keyword}), politeness=False)
    for day, variant in sorted(schedule.items()):
        store.set_scenario(replace(scenario, ad_images={**scenario.ad_images, (asin, keyword): variant}))
        summary = run_sweep(sweep_settings(config), engine, clock=_at(_morning(day, config)), options=options)
        ok &= summary.status == "ok"
        counts[variant] = counts.get(variant, 0) + 1
    shown = ", ".join(f"{variant} {n} days" for variant, n in counts.items())
    say(
        f"past days   {len(schedule)} simulated days of the {asin} ad for {keyword!r} ({shown}; "
        f"CTR against MAIN: {', '.join(f'{v} x{effect(v):g}' for v in counts if v != 'MAIN')}), "
        f"{monotonic() - started:.1f} s"
    )
    return ok


def _swap(scenario: Any) -> tuple[str, str, str]:
    """An (asin, keyword) whose ad shows MAIN, and a gallery variant ImageSmith switches it to."""
    own = {p.asin: p for p in scenario.products}
    for keyword, asins in sorted(scenario.sponsored.items()):
        for asin in asins:
            if asin in own and scenario.ad_images.get((asin, keyword), "MAIN") == "MAIN":
                product = own[asin]
                variant = next(v for v in product.variants if v not in ("MAIN", "PT01"))
                return asin, keyword, variant
    raise RuntimeError("the demo scenario has no ad that shows MAIN")


def _line(name: str, summary: Any) -> str:
    shown = ", ".join(f"{k} {v}" for k, v in sorted(summary.verdicts.items())) or "none"
    return (
        f"{name:<11} {summary.pages} pages, {summary.sightings} own ads ({shown}), "
        f"{summary.events} events, {summary.failures} failures, {summary.seconds:.1f} s"
    )
