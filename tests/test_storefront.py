"""The simulated storefront: pages shaped like Amazon's, images resized by modifier, faults on demand.

Everything runs against a real ``Storefront`` on 127.0.0.1 (httpx, and one test with real Chromium).
Markup is checked with lxml against the markers of STRUCTURE.md, not with ismon's own parser, so a
parser bug cannot hide a storefront bug.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import lxml.html
import pytest
from PIL import Image

from monitor.storefront import Scenario, Storefront, StoreProduct, demo_scenario
from monitor.storefront.catalog import image_id
from monitor.storefront.images import parse_modifiers, target_size

CHAIR = "B0TRLHVN01"
LANTERN = "B0TRLHVN02"
ID_RE = re.compile(r"/images/I/([0-9A-Za-z+\-]{11})\.")


@pytest.fixture(scope="module")
def store() -> Iterator[Storefront]:
    with Storefront(demo_scenario()) as s:
        yield s


@pytest.fixture()
def client(store: Storefront) -> Iterator[httpx.Client]:
    store.set_scenario(demo_scenario())  # each test starts from the demo store
    with httpx.Client(base_url=store.base_url, timeout=10) as c:
        yield c


def _doc(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(html)


def _image_id(url: str) -> str:
    m = ID_RE.search(unquote(url))
    assert m, url
    return m.group(1)


def _grid_results(doc: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    rows: list[lxml.html.HtmlElement] = doc.xpath(
        "//div[contains(@class,'s-main-slot')]/div[@data-component-type='s-search-result'][@data-asin!='']"
    )
    return rows


def _is_ad(row: lxml.html.HtmlElement) -> bool:
    return "AdHolder" in row.get("class", "").split()


def _gallery_slots(html: str) -> list[dict[str, object]]:
    m = re.search(r"'colorImages'\s*:\s*\{\s*'initial'\s*:\s*", html)
    assert m, "no ImageBlockATF colorImages"
    slots, _ = json.JSONDecoder().raw_decode(html, m.end())
    assert isinstance(slots, list)
    return slots


def test_search_page_carries_the_scenarios_sponsored_rows(store: Storefront, client: httpx.Client) -> None:
    scenario = store.scenario
    r = client.get("/s", params={"k": "camping chair"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    doc = _doc(r.text)
    assert doc.xpath("//div[contains(@class,'s-main-slot s-result-list s-search-results')]")
    results = _grid_results(doc)
    ads = [row for row in results if _is_ad(row)]
    assert [row.get("data-asin") for row in ads] == scenario.sponsored["camping chair"]
    assert len(results) - len(ads) == scenario.organic_count

    # Rank over sponsored and organic together; data-index over every row (headers included).
    assert [int(row.xpath(".//@data-csa-c-pos")[0]) for row in results] == list(range(1, len(results) + 1))
    indexes = [int(i) for i in doc.xpath("//div[contains(@class,'s-main-slot')]/div/@data-index")]
    assert indexes == list(range(len(indexes)))
    assert doc.xpath("//*[starts-with(@cel_widget_id,'MAIN-MESSAGING')]")
    assert doc.xpath("//*[starts-with(@cel_widget_id,'MAIN-PAGINATION')]")

    for row in results:
        asin = row.get("data-asin")
        assert row.get("role") == "listitem" and row.get("data-uuid")
        assert row.get("data-cel-widget") == f"search_result_{row.get('data-index')}"
        assert row.xpath(".//@data-csa-c-item-id")[0] == f"amzn1.asin.1.{asin}"
        img = row.xpath(
            ".//span[@data-component-type='s-product-image']/a/div[contains(@class,'s-image-square-aspect')]"
            "/img[contains(@class,'s-image')]"
        )[0]
        assert "._AC_UL320_.jpg" in img.get("src")
        densities = [part.split()[-1] for part in img.get("srcset").split(", ")]
        assert densities == ["1x", "1.5x", "2x", "2.5x", "3x"]
        assert {_image_id(u) for u in img.get("srcset").split(", ")} == {_image_id(img.get("src"))}
        if not _is_ad(row):
            assert not row.xpath(".//*[contains(@class,'sponsored-label')]")
            assert "/sspa/click" not in lxml.html.tostring(row, encoding="unicode")
            continue
        assert img.get("alt").startswith("Sponsored Ad - ")
        label = row.xpath(
            ".//a[contains(@class,'puis-label-popover') and contains(@class,'puis-sponsored-label-text')]"
            "/span[@class='puis-label-popover-default']/span[@class='a-color-secondary']"
        )
        assert label and label[0].text == "Sponsored"
        assert row.xpath(".//span[contains(@class,'puis-sponsored-label-info-icon')]")
        href = row.xpath(".//span[@data-component-type='s-product-image']/a/@href")[0]
        query = parse_qs(urlsplit(href).query)
        spc = base64.b64decode(query["spc"][0] + "==").decode()
        assert re.fullmatch(r"1:\d{16}:\d{10}:sp_atf:\d{15}::0::", spc)
        assert f"/dp/{asin}/ref=sr_1_" in query["url"][0] and "_sspa" in query["url"][0]
        props = json.loads(
            row.xpath(".//div[@data-component-type='s-impression-logger']/@data-component-props")[0]
        )
        assert "widgetName=sp_atf" in props["url"]
        assert _image_id(img.get("src")) == store.ad_image_id(asin, "camping chair")


def test_carousel_and_brand_units(client: httpx.Client) -> None:
    doc = _doc(client.get("/s", params={"k": "Camping  GEAR"}).text)  # keywords compare normalised
    carousel = doc.xpath("//div[starts-with(@cel_widget_id,'MAIN-FEATURED_ASINS_LIST')]")
    assert len(carousel) == 1
    assert carousel[0].xpath(".//a[contains(@class,'s-widget-sponsored-label-text')]/text()") == ["Sponsored"]
    cards = carousel[0].xpath(
        ".//li[contains(@class,'a-carousel-card')]/div[contains(@class,'s-result-item')]"
    )
    assert [c.get("data-asin") for c in cards] == demo_scenario().carousel["camping gear"]
    for card in cards:
        assert card.xpath(".//img[contains(@class,'s-image')]")
        href = card.xpath(".//a/@href")[0]
        assert "sp_search_thematic" in unquote(href)
    brand_row = doc.xpath(
        "//div[contains(@class,'s-main-slot')]/div[contains(@class,'AdHolder')][@data-asin='']"
    )
    assert len(brand_row) == 1 and brand_row[0].get("data-index") == "0"
    tiles = brand_row[0].xpath(".//div[@data-asin]")
    assert [t.get("data-asin") for t in tiles] == demo_scenario().brand["camping gear"]
    assert all("_AC_SR160,134_QL70_" in t.xpath(".//img/@src")[0] for t in tiles)
    # Page 2 is organic only.
    doc2 = _doc(client.get("/s", params={"k": "camping gear", "page": "2"}).text)
    assert not [row for row in _grid_results(doc2) if _is_ad(row)]


def test_ad_image_follows_the_scenario_and_organic_shows_main(
    store: Storefront, client: httpx.Client
) -> None:
    gallery = {v: (h, lg) for v, h, lg in store.gallery(CHAIR)}

    def chair_ids(keyword: str) -> tuple[str, str | None]:
        rows = _grid_results(_doc(client.get("/s", params={"k": keyword}).text))
        ad = organic = None
        for row in rows:
            if row.get("data-asin") == CHAIR:
                src = row.xpath(".//img[contains(@class,'s-image')]/@src")[0]
                if _is_ad(row):
                    ad = _image_id(src)
                else:
                    organic = _image_id(src)
        assert ad is not None
        return ad, organic

    ad, organic = chair_ids("camping chair")
    assert ad in gallery["PT02"]  # demo: ImageSmith shows PT02 for "camping chair"
    assert organic in gallery["MAIN"]
    assert chair_ids("folding camping chair")[0] in gallery["MAIN"]  # no ad_images entry: MAIN

    scenario = demo_scenario()
    scenario.ad_images[(CHAIR, "camping chair")] = "PT05"
    store.set_scenario(scenario)
    scenario.ad_images[(CHAIR, "camping chair")] = "PT01"  # a copy was taken: no effect
    assert chair_ids("camping chair")[0] in gallery["PT05"]

    # A picture that is in no gallery slot (an AI-made creative) gets ids of its own.
    scenario.ad_images[(CHAIR, "camping chair")] = "new_scene"
    store.set_scenario(scenario)
    ai = chair_ids("camping chair")[0]
    assert ai not in {i for ids in gallery.values() for i in ids}
    assert client.get(f"/images/I/{ai}._AC_UL320_.jpg").status_code == 200


@pytest.mark.parametrize(
    ("block", "ext", "size", "mime"),
    [
        ("_AC_UL320_", "jpg", (320, 320), "image/jpeg"),
        ("_AC_UY218_", "jpg", (218, 218), "image/jpeg"),
        ("_AC_SR160,134_QL70_", "jpg", (160, 134), "image/jpeg"),
        ("_AC_UL480_FMwebp_QL65_", "jpg", (480, 480), "image/webp"),
        ("_SS40_", "jpg", (40, 40), "image/jpeg"),
        ("_SX425_", "jpg", (425, 425), "image/jpeg"),
        ("_SL1500_", "jpg", (1000, 1000), "image/jpeg"),  # never enlarged beyond the original
        ("", "jpg", (1000, 1000), "image/jpeg"),
        ("_AC_SX180_SY120_", "png", (120, 120), "image/png"),
        ("_CR0,0,400,200_", "jpg", (400, 200), "image/jpeg"),
    ],
)
def test_images_resize_by_modifier(
    store: Storefront, client: httpx.Client, block: str, ext: str, size: tuple[int, int], mime: str
) -> None:
    hires = store.gallery(CHAIR)[0][1]
    name = f"{hires}.{block}.{ext}" if block else f"{hires}.{ext}"
    r = client.get(f"/images/I/{name}")
    assert r.status_code == 200
    assert r.headers["content-type"] == mime
    img = Image.open(io.BytesIO(r.content))
    assert img.size == size
    assert img.format == mime.split("/")[1].upper().replace("JPEG", "JPEG")


def test_image_ids_large_uploads_and_unknown_ids(store: Storefront, client: httpx.Client) -> None:
    ids = [i for _, h, lg in store.gallery(CHAIR) for i in (h, lg)]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[0-9A-Za-z+\-]{10}L", i) for i in ids)
    large = store.gallery(CHAIR)[0][2]
    assert Image.open(io.BytesIO(client.get(f"/images/I/{large}.jpg").content)).size == (500, 500)
    assert client.get("/images/I/AAAAAAAAAAL._AC_UL320_.jpg").status_code == 404
    assert client.get("/images/I/not-an-image").status_code == 404
    # "+" in an id may arrive percent-encoded.
    plus = next(i for i in store.catalog.image_ids() if "+" in i)
    quoted = plus.replace("+", "%2B")
    assert client.get(f"/images/I/{quoted}._AC_UL320_.jpg").status_code == 200
    # Ids are a pure function of (asin, variant, version, seed, kind).
    assert image_id(CHAIR, "MAIN", "0", 3, "hires") == store.gallery(CHAIR)[0][1]
    assert target_size(1000, 500, parse_modifiers("_AC_UY218_")) == (436, 218)


def test_product_page_gallery_script_and_served_ids(store: Storefront, client: httpx.Client) -> None:
    r = client.get(f"/Some-Slug/dp/{CHAIR}/ref=sr_1_1?keywords=x")
    assert r.status_code == 200
    html = r.text
    assert "P.when('A').register(\"ImageBlockATF\", function(A){" in html
    slots = _gallery_slots(html)
    product = store.scenario.product(CHAIR)
    assert product is not None
    assert [s["variant"] for s in slots] == list(product.variants)
    doc = _doc(html)
    thumbs = doc.xpath("//div[@id='altImages']//li[contains(@class,'item')]//img/@src")
    for slot, thumb in zip(slots, thumbs, strict=True):
        hires, large = _image_id(str(slot["hiRes"])), _image_id(str(slot["large"]))
        assert hires != large
        assert _image_id(thumb) == large == _image_id(str(slot["thumb"]))
        main = slot["main"]
        assert isinstance(main, dict) and all(_image_id(u) == hires for u in main)
        for url in (slot["hiRes"], slot["large"], thumb):
            got = client.get(str(url))
            assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    landing = doc.xpath("//img[@id='landingImage']")[0]
    assert _image_id(landing.get("data-old-hires")) == _image_id(str(slots[0]["hiRes"]))
    assert doc.xpath("//input[@id='ASIN']/@value") == [CHAIR]
    assert doc.xpath("//link[@rel='canonical']/@href")[0].endswith(f"/dp/{CHAIR}")
    assert client.get("/dp/B0NOSUCH00").status_code == 404


def test_main_override_changes_the_listings_main(store: Storefront, client: httpx.Client) -> None:
    before = store.gallery(CHAIR)
    old_main = client.get(f"/images/I/{before[0][1]}._AC_UL320_.jpg").content
    scenario = demo_scenario()
    scenario.main_override[CHAIR] = "4242"
    store.set_scenario(scenario)
    after = store.gallery(CHAIR)
    assert after[0][1:] != before[0][1:] and after[1:] == before[1:]
    slots = _gallery_slots(client.get(f"/dp/{CHAIR}").text)
    assert _image_id(str(slots[0]["hiRes"])) == after[0][1]
    assert client.get(f"/images/I/{after[0][1]}._AC_UL320_.jpg").content != old_main
    assert client.get(f"/images/I/{before[0][1]}._AC_UL320_.jpg").status_code == 404


def test_captcha_everywhere_or_per_keyword(store: Storefront, client: httpx.Client) -> None:
    def is_captcha(html: str) -> bool:
        doc = _doc(html)
        return (
            bool(doc.xpath("//form[@action='/errors/validateCaptcha']"))
            and bool(doc.xpath("//input[@name='amzn']"))
            and bool(doc.xpath("//input[@name='amzn-r']"))
            and doc.xpath("//h4/text()")[0] == "Enter the characters you see below"
            and "/captcha/" in doc.xpath("//img/@src")[0]
            and doc.xpath("//title/text()") == ["Amazon.com"]
            and not doc.xpath("//div[contains(@class,'s-main-slot')]")
        )

    scenario = demo_scenario()
    scenario.captcha_keywords = {"camping chair"}
    store.set_scenario(scenario)
    assert is_captcha(client.get("/s", params={"k": "camping chair"}).text)
    assert not is_captcha(client.get("/s", params={"k": "camping lantern"}).text)

    scenario.captcha = True
    store.set_scenario(scenario)
    page = client.get("/s", params={"k": "camping lantern", "page": "2"})
    assert is_captcha(page.text)
    img = _doc(page.text).xpath("//img/@src")[0]
    assert client.get(img).headers["content-type"] == "image/jpeg"
    assert client.get(f"/dp/{CHAIR}").status_code == 200  # only searches are blocked
    assert store.counters.get("captcha", 0) >= 3


def test_broken_no_results_and_slow_keywords(store: Storefront, client: httpx.Client) -> None:
    scenario = demo_scenario()
    scenario.broken_keywords = {"camping chair"}
    scenario.no_results_keywords = {"qwzx"}
    scenario.slow_keywords = {"camping lantern": 0.6}
    store.set_scenario(scenario)
    broken = client.get("/s", params={"k": "camping chair"})
    assert broken.status_code == 200
    doc = _doc(broken.text)
    assert not doc.xpath(
        "//div[contains(@class,'s-main-slot')] | //*[@data-asin] | //form[@action='/errors/validateCaptcha']"
    )
    none = _doc(client.get("/s", params={"k": "qwzx"}).text)
    assert none.xpath("//*[starts-with(@cel_widget_id,'MAIN-TOP_BANNER_MESSAGE')]")
    assert "No results for" in none.text_content()
    with pytest.raises(httpx.ReadTimeout):
        client.get("/s", params={"k": "camping lantern"}, timeout=0.2)
    t0 = time.perf_counter()
    assert client.get("/s", params={"k": "camping lantern"}).status_code == 200
    assert time.perf_counter() - t0 >= 0.55


def test_location_cookie_banner_and_request_log(store: Storefront) -> None:
    scenario = demo_scenario()
    scenario.cookie_banner = True
    store.set_scenario(scenario)
    store.clear_requests()
    with httpx.Client(base_url=store.base_url, headers={"User-Agent": "ismon-test/1"}) as c:
        first = _doc(c.get("/s", params={"k": "camping chair"}).text)
        assert first.xpath("//form[@id='sp-cc']//input[@id='sp-cc-accept']")
        assert "Ashburn 20147" in first.xpath("//*[@id='glow-ingress-line1']/text()")[0]
        modal = first.xpath("//input[@id='GLUXZipUpdateInput']")
        assert modal and first.xpath("//span[@id='GLUXZipUpdate']//input[@type='submit']")

        bad = c.post("/portal-migration/hz/glow/address-change?actionSource=glow", json={"zipCode": "!"})
        assert bad.json()["isValidAddress"] == 0
        ok = c.post("/portal-migration/hz/glow/address-change?actionSource=glow", json={"zipCode": "10001"})
        assert ok.json()["isValidAddress"] == 1 and ok.json()["address"]["city"] == "New York"
        accepted = c.post("/cookieprefs?ref_=portal_banner_all", data={"accept": "all"})
        assert accepted.status_code == 302

        again = _doc(c.get("/s", params={"k": "camping chair"}).text)
        assert "New York 10001" in again.xpath("//*[@id='glow-ingress-line1']/text()")[0]
        assert not again.xpath("//form[@id='sp-cc']")

    log = store.requests
    last = log[-1]
    assert last.path.startswith("/s?k=camping") and last.status == 200 and last.kind == "search"
    assert last.user_agent == "ismon-test/1"
    assert last.cookies["glow-zip"] == "10001" and last.cookies["sp-cc"] == "accepted"
    assert "session-id" in last.cookies
    assert last.bytes_sent > 10_000 and last.time <= time.time() and last.duration >= 0
    assert store.counters["search"] == 2 and store.bytes_sent >= sum(r.bytes_sent for r in log[:-1])
    assert dataclasses.is_dataclass(last)


def test_static_trackers_and_misc_routes(client: httpx.Client) -> None:
    doc = _doc(client.get("/s", params={"k": "camping gear"}).text)
    html = lxml.html.tostring(doc, encoding="unicode")
    assert "/fonts/AmazonEmber_Rg.woff2" in html and "/tracker/pixel.gif" in html
    video = doc.xpath("//video/@src")[0]
    assert client.get(video).headers["content-type"] == "video/mp4"
    assert client.get("/fonts/AmazonEmber_Rg.woff2").content[:4] == b"\x00\x01\x00\x00"
    assert client.get("/tracker/pixel.gif").content.startswith(b"GIF89a")
    assert client.get("/robots.txt").text.startswith("User-agent: *")
    assert client.get("/").status_code == 200
    assert client.get("/no/such/page").status_code == 404
    r = client.get("/sspa/click", params={"spc": "x", "url": f"/x/dp/{CHAIR}/ref=sr_1_1_sspa"})
    assert r.status_code == 302 and r.headers["location"].endswith("ref=sr_1_1_sspa")


def test_stop_frees_the_port_even_with_open_connections() -> None:
    s = Storefront(Scenario(products=[StoreProduct("B0TESTTEST", "Test product", "Test", 5)]))
    url = s.start()
    port = int(url.rsplit(":", 1)[1])
    idle = socket.create_connection(("127.0.0.1", port))  # an idle keep-alive client
    try:
        with httpx.Client(base_url=url) as c:
            assert c.get("/dp/B0TESTTEST").status_code == 200
        t0 = time.perf_counter()
        s.stop()
        assert time.perf_counter() - t0 < 2
        s.stop()  # twice is fine
    finally:
        idle.close()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
    with pytest.raises(httpx.ConnectError), httpx.Client() as c:
        c.get(url + "/")


def test_module_entry_point_serves_the_demo(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.storefront", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.split(" at ", 1)[1].strip()
        with httpx.Client(base_url=url) as c:
            assert c.get("/s", params={"k": "camping chair"}).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == 0


def _chromium() -> str:
    for path in ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium"):
        if Path(path).exists():
            return path
    pytest.skip("no Chromium at /usr/bin/chromium-headless-shell or /usr/bin/chromium")


@pytest.mark.browser
def test_chromium_renders_sponsored_images_and_sets_the_zip(store: Storefront) -> None:
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    scenario = demo_scenario()
    scenario.cookie_banner = True
    store.set_scenario(scenario)
    store.clear_requests()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{store.base_url}/s?k=camping+chair", wait_until="load")
            widths = page.eval_on_selector_all(
                "div[data-component-type='s-search-result'].AdHolder img.s-image",
                "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)",
            )
            assert len(widths) == len(scenario.sponsored["camping chair"])
            assert all(w >= 320 for w in widths), widths

            page.click("#sp-cc-accept")
            page.wait_for_selector("#sp-cc", state="detached")
            page.click("#nav-global-location-popover-link")
            page.fill("#GLUXZipUpdateInput", "94103")
            page.click("#GLUXZipUpdate input[type=submit]")
            page.wait_for_function(
                "document.getElementById('glow-ingress-line1').textContent.includes('94103')"
            )
            page.goto(f"{store.base_url}/s?k=camping+chair", wait_until="load")
            assert "San Francisco 94103" in page.inner_text("#glow-ingress-line1")
            assert page.query_selector("#sp-cc") is None
            assert errors == []
        finally:
            browser.close()
    log = store.requests
    assert any(r.path.startswith("/portal-migration/hz/glow/address-change") for r in log)
    searches = [r for r in log if r.kind == "search"]
    assert searches[-1].cookies.get("glow-zip") == "94103"
    assert "HeadlessChrome" in searches[-1].user_agent or "Chrome" in searches[-1].user_agent
    kinds = store.counters
    assert kinds.get("font", 0) >= 1 and kinds.get("tracker", 0) >= 1 and kinds.get("image", 0) >= 16
