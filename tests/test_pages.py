"""What ismon sees on real saved Amazon pages (2017-2026), and on hostile variants of them.

Expected values were read from the raw HTML of each page (grep of data-asin, data-csa-c-pos, the
``sr_1_N`` of the links, the base64 ``spc`` parameter of /sspa/click, ``widgetName=`` and the img
src/srcset), not copied from the parser's output.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import cast

import lxml.html
import pytest
from lxml.html import HtmlElement

from monitor.pages import (
    AdUnit,
    GalleryImage,
    ProductPage,
    SearchPage,
    page_kind,
    page_to_json,
    parse_page,
    parse_product,
    parse_search,
)

Loader = Callable[[str], bytes]


@cache
def _read(path: Path) -> bytes:
    return path.read_bytes()


@pytest.fixture(scope="session")
def serp(amazon_dir: Path) -> Loader:
    def load(name: str) -> bytes:
        return _read(amazon_dir / "serp" / f"{name}.html")

    return load


@pytest.fixture(scope="session")
def product(amazon_dir: Path) -> Loader:
    def load(name: str) -> bytes:
        return _read(amazon_dir / "product" / f"{name}.html")

    return load


@cache
def _search(data: bytes) -> SearchPage:
    page = parse_search(data)
    assert isinstance(page, SearchPage)
    return page


def _elements(root: HtmlElement, xpath: str) -> list[HtmlElement]:
    return cast(list[HtmlElement], root.xpath(xpath))


def _drop(element: HtmlElement) -> None:
    parent = element.getparent()
    assert parent is not None
    parent.remove(element)


def _grid(page: SearchPage) -> list[tuple[str, str | None, int | None, str | None]]:
    return [(a.asin, a.placement, a.position, a.image_id) for a in page.ads if a.unit == "grid"]


def _unit(page: SearchPage, unit: str) -> list[tuple[str, str | None, int | None, str | None]]:
    return [(a.asin, a.placement, a.position, a.image_id) for a in page.ads if a.unit == unit]


def _ad_key(ad: AdUnit) -> tuple[str, str, str | None, int | None, str | None]:
    return (ad.asin, ad.unit, ad.placement, ad.position, ad.image_id)


# --------------------------------------------------------------------------------------------------
# Search pages, newest first

US_2026_GRID = [
    ("B0C42HJRBF", "sp_atf", 1, "51HqvytLPBL"),
    ("B0D9HXBKFL", "sp_atf", 2, "617DZXUbNnL"),
    ("B0DYDHCX17", "sp_atf", 3, "813iZFVn8ML"),
    ("B0DDL69THF", "sp_atf", 4, "61xHLLDhLOL"),
    ("B0F1YM4K52", "sp_mtf", 11, "61-5N0BO81L"),
    ("B0BLJ5BMNQ", "sp_mtf", 12, "51JxTu1rwgL"),
    ("B0BK2QM7V3", "sp_mtf", 13, "61xmj9gWjYL"),
    ("B0BLJ2YSR6", "sp_mtf", 14, "61wvs326oXL"),
    ("B0DNFYM34C", "sp_mtf", 19, "71PwuqsfZJL"),
    ("B0GHPL5BWR", "sp_mtf", 20, "71crACddqLL"),
    ("B0FS81X18L", "sp_mtf", 21, "71zw4NsAZ-L"),
    ("B0FZPZSVRZ", "sp_mtf", 22, "71Ae2TiscAL"),
]
US_2026_CAROUSELS = [
    ("B0C42HJRBF", "sp_search_thematic", 1, "51HqvytLPBL"),
    ("B0FS81X18L", "sp_search_thematic", 2, "71zw4NsAZ-L"),
    ("B0DYSR56G3", "sp_search_thematic", 3, "61bUvdBVtBL"),
    ("B09ZQGT4SZ", "sp_search_thematic", 4, "71iLJ+8RhKL"),
    ("B01M7W1MIU", "sp_search_thematic", 5, "71dVOVH7CtL"),
    ("B0C42HJRBF", "sp_search_thematic_btf", 1, "51HqvytLPBL"),
    ("B0F1YM4K52", "sp_search_thematic_btf", 2, "61-5N0BO81L"),
    ("B0BBL83HCS", "sp_search_thematic_btf", 3, "61sE9A3O8KL"),
    ("B0BFXNQ5B1", "sp_search_thematic_btf", 4, "61pmQoCmnpL"),
    ("B0DNFYM34C", "sp_search_thematic_btf", 5, "71PwuqsfZJL"),
]


def test_2026_us_every_ad_unit(serp: Loader) -> None:
    page = _search(serp("serp_2026_us_vegan-cosmetics"))
    assert page.kind == "search"
    assert _grid(page) == US_2026_GRID
    assert _unit(page, "carousel") == US_2026_CAROUSELS
    # SB video: the top-slot product collection (tile image) and the inline single-product video,
    # whose ASIN is only on data-csa-c-asin; the same product shows a different id in each.
    assert _unit(page, "video") == [
        ("B01N5QC1CL", "loom-desktop-top-slot", 1, "41i5Lir3E6L"),
        ("B01N5QC1CL", "loom-desktop-inline-slot", 1, "81uNUFJN8lL"),
    ]
    # SB themed collection: its cel_widget_id only appears inside a script of the row.
    assert _unit(page, "brand") == [
        ("B0CKTXXL6M", "loom-desktop-inline-slot", 1, "61Ok5kv1-EL"),
        ("B0CKTXDSDC", "loom-desktop-inline-slot", 2, "61K4wTtjxGL"),
        ("B0CKTXCXGD", "loom-desktop-inline-slot", 3, "51dLmI5RhuL"),
    ]
    # SOURCES.tsv: 12 SP grid, 15 other sponsored cards, 48 organic.
    assert len(page.ads) == 12 + 15
    assert len(page.organic) == 48
    assert page.result_count == 60
    # The brand footer carries brand creatives (/images/S/) only: no product ad from it.
    assert not [a for a in page.ads if a.placement and "footer" in a.placement]


def test_2026_us_same_asin_in_several_units_is_kept_apart(serp: Loader) -> None:
    page = _search(serp("serp_2026_us_vegan-cosmetics"))
    units = [(a.unit, a.placement) for a in page.ads if a.asin == "B0C42HJRBF"]
    assert units == [
        ("grid", "sp_atf"),
        ("carousel", "sp_search_thematic"),
        ("carousel", "sp_search_thematic_btf"),
    ]
    keys = [(a.asin, a.unit, a.placement, a.position) for a in page.ads]
    assert len(keys) == len(set(keys))


def test_2026_us_organic_results(serp: Loader) -> None:
    page = _search(serp("serp_2026_us_vegan-cosmetics"))
    organic = {r.asin: (r.position, r.image_id) for r in page.organic}
    assert organic["B0CMYR1CNK"] == (5, "519zemKb6NL")
    assert organic["B0C7SH4S4Z"] == (58, "61qaRrmO6hL")
    assert organic["B01N5QC1CL"] == (59, "81uNUFJN8lL")
    assert organic["B0DPB7MX7D"] == (60, "719EcuRfC0L")
    # Ranks count sponsored and organic together, 1..60 without gaps (data-index does not).
    ranks = sorted([p for _a, _pl, p, _i in US_2026_GRID] + [r.position or 0 for r in page.organic])
    assert ranks == list(range(1, 61))
    first = page.ads[1]
    assert first.image_url == "https://m.media-amazon.com/images/I/51HqvytLPBL._AC_UL320_.jpg"


def test_2026_jp_localized_labels(serp: Loader) -> None:
    data = serp("serp_2026_jp_pokemon-card-box")
    assert "スポンサー".encode() in data and b">Sponsored<" not in data
    page = _search(data)
    assert page.kind == "search"
    assert _grid(page) == [
        ("B0GSQYD46D", "sp_atf", 1, "71DyE09pBML"),
        ("B0G1J6Y1TD", "sp_atf", 2, "81dDTkh-nbL"),
        ("B0GQNHJ954", "sp_atf", 3, "81O-g6UjuhL"),
        ("B0GFWVBF31", "sp_mtf", 13, "81-9ryvMfjL"),
        ("B09H3VYYWP", "sp_mtf", 14, "61ieKr8nA2L"),
        ("B0F9B2TCJD", "sp_mtf", 15, "81AanaqyaJL"),
        ("B0CTVMCYLT", "sp_mtf", 25, "7135KdttFRL"),
        ("B0BS226SYW", "sp_mtf", 26, "71SBbmUpLQL"),
        ("B0GJDB83F7", "sp_mtf", 27, "618-CXN6T6L"),
    ]
    # One card carries a "climate pledge" badge that also has class s-image: not the product image.
    assert _unit(page, "carousel") == [
        ("B0GHPFZXRN", "sp_search_thematic_btf", 1, "41vyS5oZ7hL"),
        ("B0BZ45RY5Q", "sp_search_thematic_btf", 2, "71+sZdS7UZL"),
        ("B0BS226SYW", "sp_search_thematic_btf", 3, "71SBbmUpLQL"),
        ("B0BR49GYTL", "sp_search_thematic_btf", 4, "61lE0+4cPwL"),
        ("B0G24HB87C", "sp_search_thematic_btf", 5, "61GT93m56DL"),
    ]
    assert len(page.ads) == 9 + 5
    assert len(page.organic) == 24
    assert page.organic[0].asin == "B0GP9QHQ3Y" and page.organic[0].position == 4


def test_2024_us_browser_saved_page_uses_cdn_urls(serp: Loader) -> None:
    data = serp("serp_2024_us_laptop")
    assert b'src="./Amazon.com _ laptop_files/71F1MSa4gXL._AC_UY218_.jpg"' in data
    page = _search(data)
    assert page.kind == "search"
    assert _grid(page) == [
        ("B0CKXRLPVR", "sp_atf", 1, "71F1MSa4gXL"),
        ("B0C8MYQRGB", "sp_atf", 2, "71ScMF02zpL"),
        ("B0B38ZMVVV", "sp_mtf", 7, "81rKC+wlFjL"),
        ("B0B38CVCX8", "sp_mtf", 12, "71Uj0yrcImL"),
        ("B0BG7QCR57", "sp_mtf", 17, "71afp73vXjL"),
        ("B0CMT29W9J", "sp_btf", 22, "61wNQjBxbPL"),
    ]
    assert page.ads[0].image_url == "https://m.media-amazon.com/images/I/71F1MSa4gXL._AC_UY218_.jpg"
    assert all(a.image_url and a.image_url.startswith("https://") for a in page.ads)
    assert all(r.image_id for r in page.organic)
    assert len(page.organic) == 16
    # The same ASIN is advertised at rank 2 and ranks organically at 4.
    assert [(r.asin, r.position) for r in page.organic if r.asin == "B0C8MYQRGB"] == [("B0C8MYQRGB", 4)]


def test_2023_us_sponsored_brands_only(serp: Loader) -> None:
    page = _search(serp("serp_2023_us_ipad-pro"))
    assert page.kind == "search"
    assert _grid(page) == []
    assert _unit(page, "brand") == [
        ("B0BJLFC67L", "loom-desktop-top-slot", 1, "81c+9BOQNWL"),
        ("B0BJLBRK35", "loom-desktop-top-slot", 2, "81S05k6p0xL"),
        ("B07K1WWBJK", "loom-desktop-top-slot", 3, "21SPDoiRuGL"),
    ]
    assert len(page.organic) == 16
    assert [r.position for r in page.organic] == list(range(1, 17))
    # "Customers also ask Alexa" repeats ASINs: not results, not ads.
    assert "B07QT8RTV2" not in {r.asin for r in page.organic} | {a.asin for a in page.ads}


def test_2021_uk_picasso_redirect_layout(serp: Loader) -> None:
    page = _search(serp("serp_2021_uk_ean-3608439412813"))
    assert page.kind == "search"
    assert _grid(page) == [
        ("B08J7JLNPY", "sp_atf", 1, "81VblA9U2IL"),
        ("B06WLPCPCP", "sp_mtf", 3, "61gd6Jqls1L"),
        ("B015OG9AP0", "sp_mtf", 4, "71MzOoQ2OGL"),
        ("B077YQHXJM", "sp_mtf", 5, "61sn1iVeq0L"),
        ("B07CYXS4J4", "sp_mtf", 6, "51UX+jW+AML"),
        ("B075K4C9FR", "sp_btf", 7, "61uk--ivUcL"),
        ("B00TSMRPVS", "sp_btf", 8, "71+-3701VdL"),
        ("B0825RGLTG", "sp_btf", 9, "51mRKxCW0uL"),
        ("B07N1G7FCS", "sp_btf", 10, "81tbl8VFS2L"),
        ("B00S9MPOXO", "sp_btf", 11, "711XvWYpAPL"),
        ("B0827D5WNT", "sp_btf", 12, "61vIl8gqnNL"),
        ("B07MHHLW42", "sp_btf", 13, "61+cnMXA1AL"),
    ]
    assert [(r.asin, r.position, r.image_id) for r in page.organic] == [("B07N7G2Y2P", 2, "61Is66ApMzL")]


def test_2017_us_layout_a_without_commented_next_page(serp: Loader) -> None:
    data = serp("serp_2017_us_kindle-paperwhite")
    # The next page's results (result_16 … result_27) are inside an HTML comment.
    assert b'id="result_27" data-asin="B00NTXZY88"' in data
    page = _search(data)
    assert page.kind == "search"
    assert page.ads == ()
    assert len(page.organic) == 16
    assert [r.position for r in page.organic] == list(range(1, 17))
    assert "B00NTXZY88" not in {r.asin for r in page.organic}
    first = page.organic[0]
    assert (first.asin, first.image_id) == ("B00OQVZDJM", "51nk+aSvOFL")
    # src is a local "_files/" copy; the CDN URL comes from srcset.
    assert page.organic[0].image_url == (
        "https://images-na.ssl-images-amazon.com/images/I/51nk+aSvOFL._AC_US218_.jpg"
    )


def test_captcha_page(serp: Loader) -> None:
    data = serp("captcha_uk")
    page = parse_page(data)
    assert isinstance(page, SearchPage)
    assert page.kind == "captcha"
    assert page.ads == () and page.organic == ()
    assert parse_product(data).kind == "captcha"
    assert page_kind(data) == "captcha"


BR_CAPTCHA = """<!doctype html><html lang="pt-br"><head><meta charset="utf-8">
<title dir="ltr">Amazon.com.br</title></head><body>
<!-- To discuss automated access to Amazon data please contact api-services-support@amazon.com. -->
<div class="a-container"><div class="a-box a-alert a-alert-info"><h4>Clique no botão abaixo para continuar
comprando</h4></div>
<form method="get" action="/errors/validateCaptcha" name="">
<input type=hidden name="amzn" value="u1BWJ7yZlZ2Ew=="><input type=hidden name="amzn-r" value="/s?k=fone">
<input type=hidden name="field-keywords" value="ABCDEF">
<span class="a-button a-button-primary"><button type="submit" class="a-button-text">Continuar comprando
</button></span></form></div></body></html>"""


def test_continue_shopping_captcha_variant() -> None:
    page = parse_page(BR_CAPTCHA, url="https://www.amazon.com.br/s?k=fone")
    assert page.kind == "captcha"
    assert parse_search(BR_CAPTCHA.encode()).kind == "captcha"
    assert parse_product(BR_CAPTCHA, url="https://www.amazon.com.br/dp/B0C1234567").kind == "captcha"


# --------------------------------------------------------------------------------------------------
# Product pages


def _gallery(page: ProductPage) -> list[tuple[str, tuple[str, ...]]]:
    return [(g.variant, g.image_ids) for g in page.gallery]


def test_product_2017_left_before_main(product: Loader) -> None:
    page = parse_page(product("product_2017_us_kindle-paperwhite-device"))
    assert isinstance(page, ProductPage)
    assert page.kind == "product"
    assert page.asin == "B00OQVZDJM"
    assert _gallery(page) == [
        ("LEFT", ("71TIUw+kmxL", "51kIvG4qHqL")),
        ("MAIN", ("616y1qzHetL", "51nk+aSvOFL")),
        ("PT01", ("710SxZi5QjL", "61XUOSd5q4L")),
        ("PT02", ("71qVoGNiLcL", "5149wY8vlwL")),
        ("PT03", ("719LcDqD0aL", "51oh0MecrgL")),
        ("PT04", ("61Ho1QPL1aL", "511tPT1g0wL")),
        ("PT05", ("51amzx2rvjL", "31vZiSoJzaL")),
    ]
    assert (
        page.gallery[0].url == "https://images-na.ssl-images-amazon.com/images/I/71TIUw%2BkmxL._SL1000_.jpg"
    )
    assert page.children == {}


def test_product_2022_children_by_colour(product: Loader) -> None:
    page = parse_product(product("product_2022_us_razer-basilisk-v3"))
    assert page.kind == "product"
    assert page.asin == "B09C13PZX7"  # input#ASIN; the second name="ASIN" input is the parent
    assert _gallery(page)[:2] == [
        ("MAIN", ("61JKqNxaZkL", "41THu6Zy3RL")),
        ("PT01", ("71ogW8jLA+L", "51XpciVLsRL")),
    ]
    assert [v for v, _ in _gallery(page)] == ["MAIN", "PT01", "PT02", "PT03", "PT04", "PT05"]
    assert set(page.children) == {"B09C13PZX7", "B09KTCB6PG", "B09KT386GL", "B09KT7DGQM"}
    assert all(len(g) == 6 for g in page.children.values())
    grip_tape = page.children["B09KTCB6PG"]
    assert grip_tape[0] == GalleryImage(
        "MAIN",
        ("51xXaumJcAL", "41nnFGZnGpL"),
        "https://m.media-amazon.com/images/I/51xXaumJcAL._AC_SL1001_.jpg",
    )


def test_product_2023_twenty_children(product: Loader) -> None:
    page = parse_product(product("product_2023_us_ipad-pro"))
    assert page.asin == "B0BJLF3RR3"
    assert _gallery(page)[0] == ("MAIN", ("8124D1qS2UL", "41Z2qXLp+lL"))
    assert len(page.gallery) == 7
    assert len(page.children) == 20
    assert all(len(g) == 7 for g in page.children.values())
    assert page.children["B0BJLBKMV8"][0].image_ids == ("81gC7frRJyL", "414zn58PVUL")  # Space Gray


def test_product_2026_size_twister_and_null_hires(product: Loader) -> None:
    page = parse_product(product("product_2026_us_elf-skin"))
    assert page.asin == "B0C7SH4S4Z"
    assert _gallery(page) == [
        ("MAIN", ("61qaRrmO6hL", "31EjXLrAgGL")),
        ("PT01", ("51Enm5Zt5tL", "31O6JCTr8vL")),
        ("PT02", ("81BzKWj4A4L", "41xZugKCngL")),
        ("PT03", ("51BJaSSoFzL",)),
        ("PT04", ("61B2xl2eZ+L",)),
        ("PT05", ("614+oDBqXvL", "41j2qLUIEpL")),
    ]
    assert page.gallery[3].url == "https://m.media-amazon.com/images/I/51BJaSSoFzL.jpg"
    # Each size lists a single slot; the landing ASIN keeps its full gallery.
    assert page.children["B0GHCJ89VZ"] == (
        GalleryImage(
            "MAIN",
            ("7147JGvSZrL", "41rKZhBeqcL"),
            "https://m.media-amazon.com/images/I/7147JGvSZrL._SL1500_.jpg",
        ),
    )
    assert page.children["B0C7SH4S4Z"] == page.gallery


def test_product_2025_book_gallery_from_landing_image(product: Loader) -> None:
    data = product("product_2025_us_book-elon-musk")
    assert b"colorImages" not in data
    page = parse_product(data)
    assert page.kind == "product"
    assert page.asin == "1982181281"  # from the canonical link
    assert _gallery(page) == [("MAIN", ("41e3I4phaAL",))]


def test_product_asin_from_url_first(product: Loader) -> None:
    page = parse_product(product("product_2026_us_elf-skin"), url="https://www.amazon.com/dp/B0GHCJ89VZ?th=1")
    assert page.asin == "B0GHCJ89VZ"


def test_serp_tiles_use_ids_of_the_gallery(serp: Loader, product: Loader) -> None:
    """What the matcher relies on: a result's image id is one of the ids of a gallery slot."""
    kindle = parse_product(product("product_2017_us_kindle-paperwhite-device"))
    tile = _search(serp("serp_2017_us_kindle-paperwhite")).organic[0]
    assert tile.image_id in kindle.gallery[1].image_ids  # MAIN's large id
    ipad = parse_product(product("product_2023_us_ipad-pro"))
    child = next(r for r in _search(serp("serp_2023_us_ipad-pro")).organic if r.asin == "B0BJLFV2VS")
    assert child.image_id in ipad.children["B0BJLFV2VS"][0].image_ids  # the child's MAIN hiRes id
    elf = parse_product(product("product_2026_us_elf-skin"))
    tile = next(r for r in _search(serp("serp_2026_us_vegan-cosmetics")).organic if r.asin == "B0C7SH4S4Z")
    assert tile.image_id in elf.gallery[0].image_ids


def test_kinds_across_parsers(serp: Loader, product: Loader) -> None:
    search_bytes = serp("serp_2024_us_laptop")
    product_bytes = product("product_2023_us_ipad-pro")
    assert page_kind(search_bytes) == "search"
    assert page_kind(product_bytes) == "product"
    assert parse_product(search_bytes).kind == "search"
    wrong = parse_search(product_bytes)
    assert wrong.kind == "product" and wrong.ads == () and wrong.notes
    assert isinstance(parse_page(product_bytes), ProductPage)
    assert isinstance(parse_page(search_bytes), SearchPage)


def test_str_and_bytes_give_the_same_result(serp: Loader) -> None:
    data = serp("serp_2026_jp_pokemon-card-box")
    assert parse_search(data.decode("utf-8")) == _search(data)


# --------------------------------------------------------------------------------------------------
# page_to_json: the `ismon inspect --json` contract


def test_page_to_json_search(serp: Loader) -> None:
    obj = page_to_json(_search(serp("serp_2024_us_laptop")))
    assert set(obj) == {"kind", "ads", "organic", "asin", "gallery"}
    assert obj["kind"] == "search" and obj["asin"] is None and obj["gallery"] == []
    ads = obj["ads"]
    assert isinstance(ads, list)
    assert ads[0] == {
        "asin": "B0CKXRLPVR",
        "unit": "grid",
        "placement": "sp_atf",
        "position": 1,
        "image_url": "https://m.media-amazon.com/images/I/71F1MSa4gXL._AC_UY218_.jpg",
        "image_id": "71F1MSa4gXL",
    }
    organic = obj["organic"]
    assert isinstance(organic, list)
    assert set(organic[0]) == {"asin", "position", "image_id"}
    json.dumps(obj)


def test_page_to_json_product(product: Loader) -> None:
    obj = page_to_json(parse_page(product("product_2025_us_book-elon-musk")))
    assert obj == {
        "kind": "product",
        "ads": [],
        "organic": [],
        "asin": "1982181281",
        "gallery": [
            {
                "variant": "MAIN",
                "image_ids": ["41e3I4phaAL"],
                "url": "https://m.media-amazon.com/images/I/41e3I4phaAL._SY291_BO1,204,203,200_QL40_FMwebp_.jpg",
            }
        ],
    }
    json.dumps(obj)


# --------------------------------------------------------------------------------------------------
# Hostile inputs: a correct result or a clear kind, never a crash


def _swap_class_prefixes(data: bytes) -> bytes:
    def swap(match: re.Match[bytes]) -> bytes:
        tokens = []
        for token in match.group(2).split():
            if token.startswith(b"s-"):
                token = b"puis-" + token[2:]
            elif token.startswith(b"puis-"):
                token = b"s-" + token[5:]
            tokens.append(token)
        return match.group(1) + b" ".join(tokens) + b'"'

    return re.sub(rb'(\sclass=")([^"]*)"', swap, data)


def test_class_prefixes_swapped_s_and_puis(serp: Loader) -> None:
    for name in ("serp_2026_us_vegan-cosmetics", "serp_2021_uk_ean-3608439412813"):
        original = _search(serp(name))
        swapped = _swap_class_prefixes(serp(name))
        assert b'class="puis-image"' in swapped or b'"puis-image ' in swapped or b" puis-image" in swapped
        page = parse_search(swapped)
        assert [_ad_key(a) for a in page.ads] == [_ad_key(a) for a in original.ads]
        assert page.organic == original.organic


def test_component_type_renamed_to_puis(serp: Loader) -> None:
    data = serp("serp_2024_us_laptop").replace(b'"s-search-result"', b'"puis-search-result"')
    page = parse_search(data)
    assert _grid(page) == _grid(_search(serp("serp_2024_us_laptop")))
    assert len(page.organic) == 16


def test_sponsored_label_translated(serp: Loader) -> None:
    data = serp("serp_2026_us_vegan-cosmetics")
    translated = (
        data.replace(b">Sponsored<", b">Gesponsert<")
        .replace(b"Sponsored Ad - ", "Gesponserte Anzeige – ".encode())
        .replace(b"View Sponsored information or leave ad feedback", b"Info zu Anzeigen")
    )
    assert b">Sponsored<" not in translated
    page = parse_search(translated)
    assert [_ad_key(a) for a in page.ads] == [_ad_key(a) for a in _search(data).ads]


def test_ad_images_moved_to_data_src(serp: Loader) -> None:
    data = serp("serp_2026_us_vegan-cosmetics")
    root = lxml.html.document_fromstring(data)
    grey = "https://images-na.ssl-images-amazon.com/images/G/01/x-locale/common/grey-pixel.gif"
    moved = 0
    for img in root.iter("img"):
        src = img.get("src") or ""
        if "/images/I/" in src:
            img.set("data-src", src)
            img.set("src", grey)
            if "srcset" in img.attrib:
                del img.attrib["srcset"]
            moved += 1
    assert moved > 70
    page = parse_search(lxml.html.tostring(root, encoding="utf-8"))
    original = _search(data)
    assert [_ad_key(a) for a in page.ads] == [_ad_key(a) for a in original.ads]
    assert [a.image_url for a in page.ads] == [a.image_url for a in original.ads]


def test_truncated_html(serp: Loader) -> None:
    data = serp("serp_2026_us_vegan-cosmetics")
    half = data[: len(data) // 2]  # may cut a UTF-8 sequence and a tag in two
    page = parse_search(half)
    assert page.kind == "search"
    assert any("truncated" in note for note in page.notes)
    full = {_ad_key(a) for a in _search(data).ads}
    keys = [_ad_key(a) for a in page.ads]
    assert keys and set(keys) <= full
    assert _grid(page)[:4] == US_2026_GRID[:4]
    assert not _search(data).notes


@pytest.mark.parametrize("html", ["", b"", "   \n\t", b"\xef\xbb\xbf"])
def test_empty_document(html: str | bytes) -> None:
    page = parse_page(html)
    assert isinstance(page, SearchPage)
    assert page.kind == "unknown"
    assert page.notes
    assert parse_product(html).kind == "unknown"
    assert parse_search(html).kind == "unknown"


def test_binary_garbage() -> None:
    rng = random.Random(7)
    samples = [
        rng.randbytes(200_000),
        b"\x89PNG\r\n\x1a\n" + rng.randbytes(5000),
        b"<" + rng.randbytes(50_000).replace(b"\x00", b"<"),
        bytes(range(256)) * 100,
    ]
    for sample in samples:
        page = parse_page(sample)
        assert page.kind == "unknown"
        assert parse_search(sample).kind == "unknown"
        assert parse_product(sample).kind == "unknown"


def test_html_that_is_not_amazon() -> None:
    page = parse_page("<html><body><h1>Hello</h1><img src='/images/I/51nk+aSvOFL.jpg'></body></html>")
    assert page.kind == "unknown"
    assert isinstance(page, SearchPage) and page.ads == ()


def test_search_layout_with_nothing_recognisable_is_unknown_with_a_note(serp: Loader) -> None:
    root = lxml.html.document_fromstring(serp("serp_2024_us_laptop"))
    for element in _elements(
        root, "//*[@data-component-type='s-search-result' or contains(@class,'AdHolder')]"
    ):
        _drop(element)
    page = parse_search(lxml.html.tostring(root))
    assert page.kind == "unknown"
    assert page.notes


def test_no_results_page(serp: Loader) -> None:
    root = lxml.html.document_fromstring(serp("serp_2024_us_laptop"))
    for element in _elements(
        root, "//*[@data-component-type='s-search-result' or contains(@class,'AdHolder')]"
    ):
        _drop(element)
    banner = _elements(root, "//*[@cel_widget_id='MAIN-TOP_BANNER_MESSAGE-1']")[0]
    for child in list(banner):
        banner.remove(child)
    banner.text = 'No results for "qwxzv laptop". Try checking your spelling or use more general terms'
    page = parse_search(lxml.html.tostring(root))
    assert page.kind == "no_results"
    assert page.ads == () and page.organic == ()


def test_twenty_megabyte_page(serp: Loader) -> None:
    data = serp("serp_2026_us_vegan-cosmetics")
    start = data.rfind(b"<div", 0, data.find(b'data-index="25"'))
    end = data.rfind(b"<div", 0, data.find(b'data-index="34"'))
    block = data[start:end]
    assert b"AdHolder" in block  # the block holds sponsored and organic rows
    big = data[:end] + block * (20_000_000 // len(block) + 1) + data[end:]
    assert len(big) > 20_000_000
    started = time.perf_counter()
    page = parse_search(big)
    elapsed = time.perf_counter() - started
    original = _search(data)
    # Repeated rows are the same ads at the same ranks: deduplicated, not counted many times.
    assert [_ad_key(a) for a in page.ads] == [_ad_key(a) for a in original.ads]
    assert page.organic == original.organic
    assert elapsed < 30


def test_video_unit_with_asin_only_in_the_redirect(serp: Loader) -> None:
    """2025 ES: the SB video row has no data-asin and no data-csa-c-asin, only /dp/ASIN in the link."""
    root = lxml.html.document_fromstring(serp("serp_2026_us_vegan-cosmetics"))
    row = _elements(root, "//*[@cel_widget_id='MAIN-VIDEO_SINGLE_PRODUCT-22']")[0]
    for element in row.iter():
        for attr in ("data-csa-c-asin", "data-asin", "data-csa-c-item-id"):
            if attr in element.attrib:
                del element.attrib[attr]
        if element.tag == "a" and "/x/c/" in (element.get("href") or ""):
            element.set(
                "href",
                "https://aax-eu.amazon.es/x/c/RExxx/https://www.amazon.es/dp/B01N5QC1CL?pd_rd_plhdr=t&ref=sbv",
            )
    page = parse_search(lxml.html.tostring(root))
    videos = _unit(page, "video")
    assert ("B01N5QC1CL", "loom-desktop-inline-slot", 1, "81uNUFJN8lL") in videos


LAYOUT_A_SPONSORED = """<html><head><meta charset="utf-8"></head><body>
<div id="atfResults"><ul id="s-results-list-atf" class="s-result-list">
<li id="result_0" data-asin="B00SPONSOR" class="s-result-item celwidget AdHolder">
 <h5 class="a-spacing-none a-color-tertiary s-sponsored-list-header s-sponsored-header">Sponsored</h5>
 <a href="/gp/slredirect/picassoRedirect.html/ref=pa_sp_atf_aps_sr_pg1_1?ie=UTF8&amp;adId=A1&amp;url=%2FX\
%2Fdp%2FB00SPONSOR%2Fref%3Dsr_1_1_sspa%3Fie%3DUTF8%26qid%3D1%26sr%3D8-1-spons&amp;qualifier=1&amp;id=2&amp;\
widgetName=sp_atf">
 <img src="https://images-na.ssl-images-amazon.com/images/I/51AbCdEfGhL._AC_US218_.jpg"
   class="s-access-image cfMarker"></a>
 <h2><span class="a-offscreen">[Sponsored]</span>Thing</h2></li>
<li id="result_1" data-asin="B00ORGANIC" class="s-result-item celwidget">
 <a href="https://www.amazon.com/X/dp/B00ORGANIC/ref=sr_1_2?ie=UTF8&amp;qid=1&amp;sr=8-2">
 <img src="https://images-na.ssl-images-amazon.com/images/I/41ZyXwVuTsL._AC_US218_.jpg"
   class="s-access-image"></a></li>
</ul></div></body></html>"""


def test_layout_a_sponsored_result() -> None:
    page = parse_search(LAYOUT_A_SPONSORED)
    assert page.kind == "search"
    assert [(a.asin, a.unit, a.placement, a.position, a.image_id) for a in page.ads] == [
        ("B00SPONSOR", "grid", "sp_atf", 1, "51AbCdEfGhL")
    ]
    assert [(r.asin, r.position, r.image_id) for r in page.organic] == [("B00ORGANIC", 2, "41ZyXwVuTsL")]


HSA_2020 = """<html><head><meta charset="utf-8"></head><body><div class="s-main-slot s-result-list">
<div class="s-result-item s-widget AdHolder" data-asin="" data-index="0">
 <div cel_widget_id="MAIN-SAFE_FRAME-0"
   class="celwidget slot=MAIN template=SAFE_FRAME widget=loom-desktop-top-slot_hsa-id">
  <span>Advertisement</span>
  <div class="_abc_tile"><a href="https://aax-us-iad.amazon.com/x/c/Qx/https://www.amazon.com/stores/page/1">
   <img src="https://m.media-amazon.com/images/I/41HsaTile1L._AC_SX180_SY120_QL70_.jpg"></a>
   <div data-asin="B07HSA0001"><span>Title one</span></div></div>
  <div class="_abc_tile"><a href="https://aax-us-iad.amazon.com/x/c/Qy/https://www.amazon.com/stores/page/1">
   <img src="https://m.media-amazon.com/images/I/51HsaTile2L._AC_SX180_SY120_QL70_.jpg"></a>
   <div data-asin="B07HSA0002"><span>Title two</span></div></div>
 </div></div>
<div data-asin="B07ORGANIC" data-index="1" data-component-type="s-search-result" class="s-result-item s-asin">
 <div data-csa-c-pos="1"><img class="s-image" src="https://m.media-amazon.com/images/I/61Organic1L._AC_UL320_.jpg"></div></div>
</div></body></html>"""


def test_2020_headline_ad_with_image_beside_the_asin_holder() -> None:
    page = parse_search(HSA_2020)
    assert _unit(page, "brand") == [
        ("B07HSA0001", "loom-desktop-top-slot", 1, "41HsaTile1L"),
        ("B07HSA0002", "loom-desktop-top-slot", 2, "51HsaTile2L"),
    ]
    assert [(r.asin, r.position) for r in page.organic] == [("B07ORGANIC", 1)]


# Written the way Amazon writes it: the twister data is JSON inside a single-quoted JS string, so an
# apostrophe is \' , an escaped quote is \\" and an escaped slash is \\/ .
TWISTER = r"""<!doctype html><html><head><meta charset="utf-8">
<link rel="canonical" href="https://www.amazon.com/Pan/dp/B0PARENT01"></head><body><div id="dp-container">
<input type="hidden" id="ASIN" name="ASIN" value="B0CHILD001"></div>
<script>P.when('A').register("ImageBlockATF", function(A){ var data = {
 'colorImages': { 'initial': [
  {"hiRes":"https://m.media-amazon.com/images/I/71aaaaaaaaL._AC_SL1500_.jpg",
   "large":"https://m.media-amazon.com/images/I/41aaaaaaaaL._AC_.jpg","variant":"MAIN"},
  {"hiRes":null,"large":"https://m.media-amazon.com/images/I/51cccccccc+._AC_.jpg","variant":"PT01"}]},
 'colorToAsin': {'initial': {}}}; });</script>
<script>P.when('jQuery').register('ImageBlockBTF', function(jQuery){ var obj = jQuery.parseJSON('{
"title":"12\\" Men\'s pan","landingAsinColor":"Men\'s Black",
"colorImages":{"Men\'s Red":[{"alt":"12\\" pan",
 "large":"https:\\/\\/m.media-amazon.com\\/images\\/I\\/41bbbbbbbbL._AC_.jpg",
 "hiRes":"https:\\/\\/m.media-amazon.com\\/images\\/I\\/71bbbbbbbbL._AC_SL1500_.jpg","variant":"MAIN"}]},
"colorToAsin":{"Men\'s Red":{"asin":"B0CHILD002"}}}'); });</script>
</body></html>"""


def test_product_twister_data_escaped_for_javascript() -> None:
    page = parse_page(TWISTER)
    assert isinstance(page, ProductPage)
    assert page.kind == "product"
    assert page.asin == "B0CHILD001"  # input#ASIN before the canonical (parent) link
    assert _gallery(page) == [("MAIN", ("71aaaaaaaaL", "41aaaaaaaaL")), ("PT01", ("51cccccccc+",))]
    assert page.children == {
        "B0CHILD002": (
            GalleryImage(
                "MAIN",
                ("71bbbbbbbbL", "41bbbbbbbbL"),
                "https://m.media-amazon.com/images/I/71bbbbbbbbL._AC_SL1500_.jpg",
            ),
        )
    }


RIGHT_COLUMN_SP = """<html><head><meta charset="utf-8"></head><body>
<div id="atfResults"><ul id="s-results-list-atf" class="s-result-list">
<li id="result_0" data-asin="B00ORGANIC" class="s-result-item celwidget">
 <a href="https://www.amazon.com/X/dp/B00ORGANIC/ref=sr_1_1?ie=UTF8&amp;qid=1&amp;sr=8-1">
 <img src="https://images-na.ssl-images-amazon.com/images/I/41ZyXwVuTsL._AC_US218_.jpg"
   class="s-access-image"></a></li></ul></div>
<div id="paRightContainer"><h3>Sponsored Products related to this search</h3>
 <div class="pa-ad"><a href="/gp/slredirect/picassoRedirect.html/ref=pa_sp_btf_search_sr_pg1_1?ie=UTF8&amp;\\
adId=A9&amp;url=https%3A%2F%2Fwww.amazon.com%2FW%2Fdp%2FB0RIGHT001%2Fref%3Dsr_1_1&amp;widgetName=sp_btf">
 <img src="https://images-na.ssl-images-amazon.com/images/I/51RightOneL._AC_SR160,160_.jpg"></a>
 <a href="/gp/slredirect/picassoRedirect.html/ref=pa_sp_btf_search_sr_pg1_1?ie=UTF8&amp;\\
adId=A9&amp;url=https%3A%2F%2Fwww.amazon.com%2FW%2Fdp%2FB0RIGHT001%2Fref%3Dsr_1_1&amp;widgetName=sp_btf">Widget</a>
 </div>
 <div class="pa-ad"><a href="/gp/slredirect/picassoRedirect.html/ref=pa_sp_btf_search_sr_pg1_2?ie=UTF8&amp;\\
adId=A8&amp;url=https%3A%2F%2Fwww.amazon.com%2FV%2Fdp%2FB0RIGHT002%2Fref%3Dsr_1_2&amp;widgetName=sp_btf">
 <img src="https://images-na.ssl-images-amazon.com/images/I/51RightTwoL._AC_SR160,160_.jpg"></a></div>
</div></body></html>"""


def test_sponsored_widget_outside_the_result_list() -> None:
    """Before 2020, sp_mtf/sp_btf could sit in a side column, outside the result list."""
    page = parse_search(RIGHT_COLUMN_SP)
    assert [(a.asin, a.unit, a.placement, a.position, a.image_id) for a in page.ads] == [
        ("B0RIGHT001", "carousel", "sp_btf", 1, "51RightOneL"),
        ("B0RIGHT002", "carousel", "sp_btf", 2, "51RightTwoL"),
    ]
    assert [r.asin for r in page.organic] == ["B00ORGANIC"]


# --- every tile gets its own picture -----------------------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures"


def _pictures_by_unit(ads: tuple[AdUnit, ...]) -> dict[tuple[str, str | None], dict[str, str | None]]:
    units: dict[tuple[str, str | None], dict[str, str | None]] = {}
    for ad in ads:
        units.setdefault((ad.unit, ad.placement), {})[ad.asin] = ad.image_id
    return units


def test_each_brand_of_a_multi_brand_footer_gets_the_picture_of_its_own_card() -> None:
    page = parse_search((FIXTURES / "sb_brand_footer_two_brands.html").read_bytes())
    assert [(a.asin, a.unit, a.placement, a.position, a.image_id) for a in page.ads] == [
        ("B0LUMERA01", "brand", "loom-desktop-brand-footer-slot", 1, "71iLJ+8RhKL"),
        ("B0VERDANA2", "brand", "loom-desktop-brand-footer-slot", 2, "61K4wTtjxGL"),
    ]


def test_a_unit_naming_products_only_in_links_gives_none_rather_than_a_neighbours_picture() -> None:
    html = (FIXTURES / "sb_brand_footer_two_brands.html").read_text()
    # the second card loses its product shot: it must not borrow the first card's
    start = html.index('<img alt="Sponsored ad from Verdana Beauty"')
    html = html[:start] + html[html.index("</a>", start) :]
    page = parse_search(html)
    assert [(a.asin, a.image_id) for a in page.ads] == [("B0LUMERA01", "71iLJ+8RhKL"), ("B0VERDANA2", None)]


def test_the_real_2026_page_pairs_each_asin_with_its_own_picture(amazon_dir: Path) -> None:
    page = parse_search((amazon_dir / "serp" / "serp_2026_us_vegan-cosmetics.html").read_bytes())
    pairs = {(a.asin, a.unit, a.image_id) for a in page.ads}
    # read off the saved page: each id sits inside the tile that holds the ASIN (one with a "+")
    assert {
        ("B0CKTXXL6M", "brand", "61Ok5kv1-EL"),
        ("B0CKTXDSDC", "brand", "61K4wTtjxGL"),
        ("B0CKTXCXGD", "brand", "51dLmI5RhuL"),
        ("B09ZQGT4SZ", "carousel", "71iLJ+8RhKL"),
        ("B01N5QC1CL", "video", "41i5Lir3E6L"),
        ("B01N5QC1CL", "video", "81uNUFJN8lL"),
    } <= pairs
    for (unit, placement), pictures in _pictures_by_unit(page.ads).items():
        shown = [i for i in pictures.values() if i]
        assert len(shown) == len(set(shown)), f"{unit} {placement}: two products with one picture"
    root = lxml.html.fromstring((amazon_dir / "serp" / "serp_2026_us_vegan-cosmetics.html").read_bytes())
    for ad in page.ads:
        assert ad.image_id is not None
        holders = cast(
            list[HtmlElement], root.xpath(f"//*[@data-asin='{ad.asin}' or @data-csa-c-asin='{ad.asin}']")
        )
        assert any(
            ad.image_id in (img.get("src") or "") + (img.get("srcset") or "")
            for holder in holders
            for img in holder.iter("img")
        ), f"{ad.asin}: {ad.image_id} is not inside its own tile"


@pytest.mark.parametrize("digit", ["²", "٣", "７"])
@pytest.mark.parametrize(
    ("name", "mark"),
    [
        ("serp_2024_us_laptop", r'data-csa-c-pos="\d+"'),
        ("serp_2017_us_kindle-paperwhite", r'id="result_\d+"'),
    ],
)
def test_a_position_in_other_digits_leaves_the_ads_as_they_were(
    serp: Loader, name: str, mark: str, digit: str
) -> None:
    html = serp(name).decode("utf-8", "replace")
    odd = re.sub(mark, lambda m: re.sub(r"\d+", digit, m.group(0)), html)
    assert odd != html
    before, after = parse_search(html), parse_search(odd)  # str.isdigit("²") is True, int("²") raises
    assert after.kind == "search"
    assert [(a.asin, a.unit) for a in after.ads] == [(a.asin, a.unit) for a in before.ads]
