"""Alert emails end to end: rendered, delivered to a real SMTP server (aiosmtpd), opened in Chromium.

What a seller checks: the email arrives once, tells the story in its subject, shows the MAIN image next
to what the ad showed and the ad in its page, survives a mail server that is down, says clearly when the
password is wrong, and never lets a product name run script.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope
from aiosmtpd.smtp import Session as SMTPSession
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.alerts.mailer import backoff, flush_outbox, list_outbox, preview_latest
from monitor.alerts.message import build_message, fit
from monitor.alerts.render import AlertItem, Picture, clean_line, render_html, subject_for
from monitor.config import Config, Email
from monitor.demo import free_port
from monitor.errors import AuthenticationError, MonitorError
from monitor.run.settings import alert_settings
from monitor.store.files import BlobStore
from monitor.store.models import Outbox
from tests.test_changes import ASIN, KW, KW2, OTHER, T0, Ad, Page, World, make_config, png

# --- a real SMTP server -----------------------------------------------------------------------------------


@dataclass
class Inbox:
    """What the test SMTP server accepted."""

    messages: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTPServer, session: SMTPSession, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        self.raw.append(data)
        parsed = message_from_bytes(data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 OK"


@dataclass
class Server:
    port: int
    inbox: Inbox
    controllers: list[Controller] = field(default_factory=list)

    def start(self, **kwargs: Any) -> None:
        controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **kwargs)
        controller.start()
        self.controllers.append(controller)

    def stop(self) -> None:
        while self.controllers:
            self.controllers.pop().stop()


@pytest.fixture
def server() -> Iterator[Server]:
    """A real SMTP server on a free port of 127.0.0.1; not started until the test says so."""
    srv = Server(port=free_port(), inbox=Inbox())
    yield srv
    srv.stop()


@pytest.fixture
def smtp(server: Server) -> Server:
    server.start()
    return server


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "data")


def email_for(server: Server, **changes: Any) -> Email:
    return Email(
        smtp_host="127.0.0.1",
        smtp_port=server.port,
        security="none",
        sender="ismon@seller.example",
        recipients=["seller@seller.example", "ads@agency.example"],
        timeout_seconds=5,
    ).model_copy(update=changes)


def replaced_world(engine: Engine, blobs: BlobStore, config: Config | None = None) -> World:
    """MAIN seen, then PT03: one main_replaced waiting in the outbox."""
    world = World(engine, config or make_config(), blobs)
    world.sweep("MAIN")
    world.sweep("PT03")
    return world


def flush(
    world: World, server: Server, blobs: BlobStore, *, after: timedelta = timedelta(0), **kw: Any
) -> Any:
    return flush_outbox(world.engine, email_for(server), "", blobs, world.now + after, **kw)


def rows(engine: Engine) -> list[Outbox]:
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(select(Outbox).order_by(Outbox.id)).all())  # type: ignore[arg-type]


def html_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def text_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def inline_images(msg: EmailMessage) -> dict[str, bytes]:
    """Content-ID (without brackets) -> bytes of every inline image."""
    found: dict[str, bytes] = {}
    for part in msg.walk():
        if part.get_content_maintype() == "image":
            cid = str(part["Content-ID"]).strip("<>")
            payload = part.get_content()
            assert isinstance(payload, bytes)
            found[cid] = payload
    return found


# --- delivery ---------------------------------------------------------------------------------------------


def test_an_alert_is_delivered_with_its_story_images_and_opt_out_request(
    engine: Engine, blobs: BlobStore, smtp: Server
) -> None:
    world = replaced_world(engine, blobs)
    result = flush(world, smtp, blobs)
    assert (result.sent, result.failed, result.pending, result.errors) == (1, 0, 0, [])

    (msg,) = smtp.inbox.messages
    assert msg["Subject"] == f'[ismon] {ASIN}: main image replaced by PT03 for "{KW}"'
    assert msg["From"] == "ismon@seller.example"
    assert smtp.inbox.envelopes[0][1] == ["seller@seller.example", "ads@agency.example"]
    (row,) = rows(engine)
    assert msg["Message-ID"] == row.message_id
    assert row.status == "sent" and row.sent_at == world.now and row.attempts == 1

    assert msg.get_content_type() == "multipart/alternative"
    related = [p for p in msg.walk() if p.get_content_type() == "multipart/related"]
    assert len(related) == 1
    html = html_of(msg)
    images = inline_images(msg)
    assert len(images) == 3  # MAIN, the ad image, the screenshot
    for cid in images:
        assert f"cid:{cid}" in html
    assert images.keys() == set(re.findall(r'src="cid:([^"]+)"', html))
    assert blobs.get("images", world.images["MAIN"]) in images.values()
    assert blobs.get("images", world.images["PT03"]) in images.values()

    # what the seller reads
    for needle in ("Folding camping chair", ASIN, KW, "grid (sp_atf)", "#1 on page 1", "First seen"):
        assert needle in html
    assert "MAIN image (listing)" in html and "Shown in the ad: PT03" in html
    assert "in the last 14 days" in html
    assert 'style="' in html and "<table" in html  # CSS inlined, table layout
    assert 'width="640"' in html
    text = text_of(msg)
    assert "main image replaced by PT03" in text
    assert "Request to opt out of automated image selection" in text
    assert re.search(r"MAIN\s+1x \(50%\)", text) and re.search(r"PT03\s+1x \(50%\)", text)
    assert f"- {ASIN} (Folding camping chair), marketplace us" in text
    assert f'search term "{KW}" (the ad showed PT03 since' in text
    assert "Request to opt out" in html


def test_the_server_down_then_up_delivers_everything_exactly_once(
    engine: Engine, blobs: BlobStore, server: Server
) -> None:
    world = replaced_world(engine, blobs, make_config(mode="immediate"))
    world.sweep(Page(keyword=KW2, ads=[Ad("MAIN", keyword=KW2)]))
    world.sweep(Page(keyword=KW2, ads=[Ad("PT05", keyword=KW2)]))
    assert len(rows(engine)) == 2

    down = flush(world, server, blobs)  # nothing listens on the port
    assert (down.sent, down.pending) == (0, 2)
    assert "connection refused" in down.errors[0]
    for row in rows(engine):
        assert row.status == "pending" and row.attempts == 1
        assert "cannot reach SMTP server" in row.last_error
        assert row.next_attempt_at == world.now + backoff(1)
        assert row.message is not None  # rendered once, the same bytes on every attempt

    early = flush(world, server, blobs, after=timedelta(seconds=30))  # backoff: not due yet
    assert (early.sent, early.pending, early.errors) == (0, 2, [])
    assert {r.attempts for r in rows(engine)} == {1}

    server.start()
    up = flush(world, server, blobs, after=timedelta(minutes=2))
    assert (up.sent, up.pending) == (2, 0)
    again = flush(world, server, blobs, after=timedelta(hours=1))
    assert (again.sent, again.pending) == (0, 0)
    ids = [m["Message-ID"] for m in server.inbox.messages]
    assert sorted(ids) == sorted(r.message_id for r in rows(engine))
    assert len(set(ids)) == 2
    assert {r.status for r in rows(engine)} == {"sent"}


def test_a_manual_flush_sends_what_waits_for_its_retry_but_not_what_another_flush_is_sending(
    engine: Engine, blobs: BlobStore, server: Server
) -> None:
    world = replaced_world(engine, blobs)
    assert flush(world, server, blobs).pending == 1  # nothing listens: the next try is in a minute
    server.start()
    assert flush(world, server, blobs, after=timedelta(seconds=30)).sent == 0  # scheduled: waits

    with Session(engine) as session:  # another flush has claimed the row and is sending it
        row = session.exec(select(Outbox)).one()
        row.claimed_until = world.now + timedelta(minutes=10)
        session.add(row)
        session.commit()
    assert flush(world, server, blobs, after=timedelta(seconds=30), ignore_backoff=True).sent == 0
    with Session(engine) as session:  # that flush died: its claim runs out
        row = session.exec(select(Outbox)).one()
        row.claimed_until = world.now
        session.add(row)
        session.commit()

    now = flush(world, server, blobs, after=timedelta(seconds=30), ignore_backoff=True)
    assert (now.sent, now.pending) == (1, 0)
    assert len(server.inbox.messages) == 1
    (row,) = rows(engine)
    assert row.status == "sent" and row.attempts == 2 and row.claimed_until is None


def test_backoff_grows_and_gives_up_after_max_attempts(
    engine: Engine, blobs: BlobStore, server: Server
) -> None:
    assert [backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert backoff(40) == timedelta(hours=6)
    world = replaced_world(engine, blobs)
    later = timedelta(0)
    for _ in range(3):
        result = flush(world, server, blobs, after=later, max_attempts=3)
        later += timedelta(hours=7)
    assert (result.failed, result.pending) == (1, 0)
    (row,) = rows(engine)
    assert row.status == "failed" and row.attempts == 3


def test_a_rejected_login_raises_a_clear_error_and_keeps_the_alerts(
    engine: Engine, blobs: BlobStore, server: Server
) -> None:
    logins: list[str] = []

    def reject(server_: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        logins.append(mechanism)
        return AuthResult(success=False, handled=False)

    server.start(auth_require_tls=False, authenticator=reject)
    world = replaced_world(engine, blobs)
    (before,) = rows(engine)
    email = email_for(server, username="seller", password_env="ISMON_TEST_SMTP")
    with pytest.raises(AuthenticationError) as caught:
        flush_outbox(engine, email, "wrong-password", blobs, world.now)
    message = str(caught.value)
    assert "rejected the login of 'seller'" in message and "535" in message
    assert "$ISMON_TEST_SMTP" in message and "stay in the outbox" in message
    assert logins and server.inbox.messages == []
    (after,) = rows(engine)
    assert after.status == "pending" and after.attempts == 0
    assert after.message_id == before.message_id
    assert "rejected the login" in after.last_error


def test_a_crash_between_sending_and_marking_resends_with_the_same_message_id(
    engine: Engine, blobs: BlobStore, smtp: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = replaced_world(engine, blobs)

    def power_cut(*args: Any) -> None:
        raise KeyboardInterrupt("power cut")

    with monkeypatch.context() as patch:
        patch.setattr("monitor.alerts.mailer._mark_sent", power_cut)
        with pytest.raises(KeyboardInterrupt):
            flush(world, smtp, blobs)
    assert len(smtp.inbox.messages) == 1
    (row,) = rows(engine)
    assert row.status == "pending"
    # a concurrent flush right now leaves the claimed row alone; after the lease it is sent again
    assert flush(world, smtp, blobs, after=timedelta(minutes=1)).sent == 0
    assert flush(world, smtp, blobs, after=timedelta(minutes=11)).sent == 1
    first, second = smtp.inbox.messages
    assert first["Message-ID"] == second["Message-ID"] == row.message_id
    assert smtp.inbox.raw[0] == smtp.inbox.raw[1]
    assert flush(world, smtp, blobs, after=timedelta(hours=1)).sent == 0


def test_a_digest_groups_a_sweep_by_product_in_one_email(
    engine: Engine, blobs: BlobStore, smtp: Server
) -> None:
    config = make_config(products=[(ASIN, "Folding camping chair", [KW, KW2]), (OTHER, "Camp stool", [KW])])
    world = World(engine, config, blobs)
    world.sweep(
        Page(ads=[Ad("MAIN"), Ad("MAIN", asin=OTHER)]), Page(keyword=KW2, ads=[Ad("MAIN", keyword=KW2)])
    )
    world.sweep(
        Page(ads=[Ad("PT03"), Ad("unknown", asin=OTHER)]), Page(keyword=KW2, ads=[Ad("PT02", keyword=KW2)])
    )
    assert flush(world, smtp, blobs).sent == 1
    (msg,) = smtp.inbox.messages
    assert msg["Subject"] == f'[ismon] 3 changes: {ASIN} main image replaced by PT03 for "{KW}" and 2 more'
    html = html_of(msg)
    assert html.index("Folding camping chair") < html.index("Camp stool")
    assert html.count("MAIN replaced") == 2 and "Image not in gallery" in html
    text = text_of(msg)
    assert f"- {ASIN} (Folding camping chair), marketplace us" in text
    assert f'search term "{KW2}" (the ad showed PT02' in text
    assert f"- {OTHER} (Camp stool), marketplace us" in text


def test_hostile_product_names_and_page_text_are_escaped_and_subject_safe(
    engine: Engine, blobs: BlobStore, smtp: Server
) -> None:
    name = '<script>alert("pwned")</script> "Deluxe" Chair & Co\'s <img src=x onerror=alert(1)>'
    keyword = 'chair" <script>x</script>'
    config = make_config(products=[(ASIN, name, [keyword])])
    world = World(engine, config, blobs)
    world.sweep(
        Page(keyword=keyword, ads=[Ad("MAIN", keyword=keyword, placement='"><script>bad()</script>')])
    )
    world.sweep(
        Page(keyword=keyword, ads=[Ad("PT03", keyword=keyword, placement='"><script>bad()</script>')])
    )
    assert flush(world, smtp, blobs).sent == 1
    (msg,) = smtp.inbox.messages
    assert msg["Subject"] == f'[ismon] {ASIN}: main image replaced by PT03 for "{keyword}"'
    html = html_of(msg)
    assert "<script" not in html.lower()
    assert "onerror" not in re.sub(r"&lt;img src=x onerror=alert\(1\)&gt;", "", html)
    assert "&lt;script&gt;alert(" in html
    assert "Deluxe" in html and ("Co&#39;s" in html or "Co's" in html)


def test_a_subject_never_carries_a_line_break() -> None:
    item = AlertItem(
        kind="main_replaced",
        created_at=T0,
        marketplace="us",
        asin=ASIN,
        keyword="chair\r\nBcc: victim@example.com",
        variant="PT03",
    )
    subject = subject_for([item])
    assert "\n" not in subject and "\r" not in subject
    msg = build_message([item], message_id="<x@y>", sender="a@b.example", recipients=["c@d.example"], date=T0)
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert parsed["Bcc"] is None
    assert (
        parsed["Subject"]
        == f'[ismon] {ASIN}: main image replaced by PT03 for "chair Bcc: victim@example.com"'
    )
    assert clean_line("a\x00b\u2028c\td") == "a b c d"


def test_missing_image_files_degrade_to_a_note(engine: Engine, blobs: BlobStore, smtp: Server) -> None:
    world = replaced_world(engine, blobs)
    shot = blobs.path("screenshots", world.screenshot or "")
    assert shot is not None
    shot.unlink()
    main = blobs.path("images", world.images["MAIN"])
    assert main is not None
    main.unlink()
    assert flush(world, smtp, blobs).sent == 1
    (msg,) = smtp.inbox.messages
    html = html_of(msg)
    assert len(inline_images(msg)) == 1  # only the ad image is left
    assert "The file of the ad&#39;s screenshot is gone from the data folder" in html or (
        "The file of the ad's screenshot is gone from the data folder" in html
    )
    assert "The file of the listing" in html
    assert "gone from the data folder" in text_of(msg)


def test_not_seen_blocked_and_listing_change_emails_render(
    engine: Engine, blobs: BlobStore, smtp: Server
) -> None:
    from monitor.alerts.outbox import record_gallery_change

    world = World(engine, make_config(not_seen_after=1, blocked_after=1, mode="immediate"), blobs)
    world.sweep("MAIN")
    world.sweep("absent", "captcha")
    with Session(engine) as session:
        record_gallery_change(session, world.product_id(), ["a"], ["b"], world.now)
        session.commit()
    assert flush(world, smtp, blobs).sent == 3
    subjects = sorted(str(m["Subject"]) for m in smtp.inbox.messages)
    assert subjects == [
        f'[ismon] {ASIN}: ad not seen for "{KW}"',
        f"[ismon] {ASIN}: the listing's MAIN image changed (us)",
        "[ismon] us: blocked by captcha pages",
    ]
    by_subject = {str(m["Subject"]): m for m in smtp.inbox.messages}
    blocked = html_of(by_subject["[ismon] us: blocked by captcha pages"])
    assert "Monitoring of us" in blocked and "Request to opt out" not in blocked
    assert "Last seen" in html_of(by_subject[f'[ismon] {ASIN}: ad not seen for "{KW}"'])


# --- in a browser -----------------------------------------------------------------------------------------


def _images_in_chromium(chromium_path: str, url: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, headless=True)
        try:
            page = browser.new_page(viewport={"width": 800, "height": 1200})
            page.goto(url)
            page.wait_for_load_state("load")
            found: dict[str, Any] = page.evaluate(
                """() => ({
                    images: [...document.images].map(i => ({
                        src: i.getAttribute('src').slice(0, 40), w: i.naturalWidth, shown: i.clientWidth})),
                    scripts: document.querySelectorAll('script').length,
                    width: document.querySelector('table table').getBoundingClientRect().width,
                    text: document.body.innerText,
                })"""
            )
            return found
        finally:
            browser.close()


@pytest.mark.browser
def test_the_received_email_displays_its_images_in_chromium(
    engine: Engine, blobs: BlobStore, smtp: Server, chromium_path: str, tmp_path: Path
) -> None:
    name = 'Chair <script>document.title="owned"</script>'
    world = World(engine, make_config(products=[(ASIN, name, [KW])]), blobs)
    world.sweep("MAIN")
    world.sweep("PT03")
    assert flush(world, smtp, blobs).sent == 1
    (msg,) = smtp.inbox.messages
    html = html_of(msg)
    # a mail client resolves cid: links to the related parts; a file per part does the same here
    folder = tmp_path / "mail"
    folder.mkdir()
    for number, (cid, data) in enumerate(inline_images(msg).items()):
        path = folder / f"part{number}.png"
        path.write_bytes(data)
        html = html.replace(f"cid:{cid}", path.as_uri())
    assert "cid:" not in html
    page = folder / "email.html"
    page.write_text(html, encoding="utf-8")
    seen = _images_in_chromium(chromium_path, page.as_uri())
    assert len(seen["images"]) == 3
    assert all(img["w"] > 0 and img["shown"] > 0 for img in seen["images"]), seen["images"]
    assert seen["scripts"] == 0
    assert '<script>document.title="owned"</script>' in seen["text"]
    assert seen["width"] <= 640


@pytest.mark.browser
def test_the_preview_file_embeds_its_images(
    engine: Engine, blobs: BlobStore, chromium_path: str, tmp_path: Path
) -> None:
    world = replaced_world(engine, blobs)
    config = make_config()
    target = preview_latest(engine, alert_settings(config), blobs, tmp_path, world.now)
    assert target == tmp_path / "ismon-alert-preview.html"
    html = target.read_text(encoding="utf-8")
    assert "cid:" not in html and html.count('src="data:image/png;base64,') == 3
    seen = _images_in_chromium(chromium_path, target.as_uri())
    assert len(seen["images"]) == 3 and all(img["w"] > 0 for img in seen["images"])
    # the preview does not send anything
    assert {e.status for e in _entries(engine)} == {"pending"}


def test_preview_without_alerts_says_so(engine: Engine, blobs: BlobStore, tmp_path: Path) -> None:
    with pytest.raises(MonitorError, match="no alerts yet"):
        preview_latest(engine, alert_settings(make_config()), blobs, tmp_path / "p.html", T0)


def test_render_html_embeds_pictures_by_cid_or_data() -> None:
    picture = Picture(label="main", data=png((1, 2, 3)))
    item = AlertItem(
        kind="main_replaced", created_at=T0, marketplace="us", asin=ASIN, keyword=KW, main=picture
    )
    assert f'src="cid:{picture.cid}"' in render_html([item], subject="s", embed="cid")
    assert 'src="data:image/png;base64,' in render_html([item], subject="s", embed="data")
    small = fit([item], budget=10)
    assert small[0].main is not None and not small[0].main.usable
    assert "Left out to keep this email small" in small[0].main.missing_note
    broken = Picture(label="x", data=b"not an image")
    assert not broken.usable and "not an image" in broken.missing_note


def _entries(engine: Engine) -> list[Any]:
    with Session(engine) as session:
        return list(list_outbox(session))
