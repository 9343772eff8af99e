"""Image ids from every form of Amazon image URL seen in ten years of saved pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitor.imaging.ids import (
    canonical_image_id,
    cdn_image_url,
    image_id_forms,
    image_id_from_url,
    image_ids_from_url,
    is_image_id,
    shows_image,
    strip_modifiers,
    with_size,
)

CDN = "https://m.media-amazon.com/images/I/"
COMPOSITE = (
    CDN + "B1pppR4gVKL._CLa%7C2140%2C2000%7C41Mz1KZ6XrL.png"
    "%7C0%2C0%2C2140%2C2000%2B0.0%2C0.0%2C2140.0%2C2000.0_AC_SL1500_.png"
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # current CDN, every kind of modifier block (CDN = the current host)
        (CDN + "81VblA9U2IL._AC_UL320_.jpg", "81VblA9U2IL"),
        (CDN + "51HqvytLPBL._AC_UL480_FMwebp_QL65_.jpg", "51HqvytLPBL"),
        (CDN + "41i5Lir3E6L._AC_SR250,250_QL65_.jpg", "41i5Lir3E6L"),
        (
            CDN + "61Ok5kv1-EL._AC_SR322,134_CB1169409_QL70_.jpg",
            "61Ok5kv1-EL",
        ),
        (
            CDN + "41e3I4phaAL._SY291_BO1,204,203,200_QL40_FMwebp_.jpg",
            "41e3I4phaAL",
        ),
        (CDN + "41Z2qXLp+lL._AC_SR38,50_.jpg", "41Z2qXLp+lL"),
        (CDN + "61qaRrmO6hL._SL1500_.jpg", "61qaRrmO6hL"),
        (
            CDN + "71abcdefghL._AC_UX679_PIbundle-2,TopRight,0,0_SX679SY500SH20_.jpg",
            "71abcdefghL",
        ),
        (
            CDN + "51abcdefghL._CR0,0,400,400_SX130_SY60_QL70_.jpg",
            "51abcdefghL",
        ),
        (CDN + "31abcdefghL._PKdp-play-icon-overlay__.jpg", "31abcdefghL"),
        (CDN + "51abcdefghL._AC_UC154,154_CACC,154,154_.jpg", "51abcdefghL"),
        # no modifier block: the original upload
        (CDN + "31EjXLrAgGL.jpg", "31EjXLrAgGL"),
        (CDN + "41THu6Zy3RL._AC_.jpg", "41THu6Zy3RL"),
        # older hosts
        ("https://images-na.ssl-images-amazon.com/images/I/51nk+aSvOFL._AC_US218_.jpg", "51nk+aSvOFL"),
        ("https://images-eu.ssl-images-amazon.com/images/I/61Is66ApMzL._AC_UL320_.jpg", "61Is66ApMzL"),
        ("https://images-fe.ssl-images-amazon.com/images/I/71SBbmUpLQL._AC_UL320_.jpg", "71SBbmUpLQL"),
        ("http://ecx.images-amazon.com/images/I/41abcdefgxL._SL500_AA300_.jpg", "41abcdefgxL"),
        ("//m.media-amazon.com/images/I/61Y-Zb0WVtL._AC_SL1500_.jpg", "61Y-Zb0WVtL"),
        # %2B and double encoding normalise to +
        ("https://images-na.ssl-images-amazon.com/images/I/71TIUw%2BkmxL._SL1000_.jpg", "71TIUw+kmxL"),
        ("https://images-na.ssl-images-amazon.com/images/I/51nk%252BaSvOFL._SS40_.jpg", "51nk+aSvOFL"),
        (CDN + "71FXHAM%2bjWL._AC_UL320_.jpg", "71FXHAM+jWL"),
        # query strings and the 2023 "images/W" wrapper
        (CDN + "81uNUFJN8lL._AC_UL640_QL65_.jpg?x=1#y", "81uNUFJN8lL"),
        (
            "https://m.media-amazon.com/images/W/MEDIAX_792452-T2/images/I/81gC7frRJyL._AC_UY218_.jpg",
            "81gC7frRJyL",
        ),
        # a srcset candidate with its descriptor
        (CDN + "51HqvytLPBL._AC_UL480_FMwebp_QL65_.jpg 1.5x", "51HqvytLPBL"),
        (CDN + "61Ok5kv1-EL._AC_SX644_CB1169409_QL70_.jpg 644w", "61Ok5kv1-EL"),
        # composite Merch image: the base id
        (COMPOSITE, "B1pppR4gVKL"),
        # browser-saved pages
        ("./Amazon.com_ kindle paperwhite_files/51nk+aSvOFL._AC_US218_.jpg", "51nk+aSvOFL"),
        ("./Amazon.com _ laptop_files/71F1MSa4gXL._AC_UY218_.jpg", "71F1MSa4gXL"),
        ("Amazon.com%20_%20laptop_files/71F1MSa4gXL._AC_UY218_.jpg", "71F1MSa4gXL"),
        ("C:\\Users\\x\\page_files\\61lE0+4cPwL._AC_UL320_.jpg", "61lE0+4cPwL"),
        ("file:///home/x/page_files/61lE0+4cPwL._AC_UL320_.jpg", "61lE0+4cPwL"),
        # CDN path tolerates 10 and 12 characters
        (CDN + "61lE0+4cPw._AC_UL320_.jpg", "61lE0+4cPw"),
        (CDN + "61lE0+4cPwLL._AC_UL320_.jpg", "61lE0+4cPwLL"),
    ],
)
def test_product_image_urls_give_their_id(url: str, expected: str) -> None:
    assert image_id_from_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7",
        "https://images-na.ssl-images-amazon.com/images/G/01/x-locale/common/grey-pixel.gif",
        "https://m.media-amazon.com/images/S/al-na-9d5791cf-3faf/65253d17-bc71-4a52-ad57-21afa0897a2b"
        "._AC_SX175_SY100_QL70_.png",
        "https://m.media-amazon.com/images/G/01/Lagoon/AlexaLogo.png",
        # JS/CSS bundles, videos and PDFs share the /images/I/ path
        CDN + "21uTUbpo7%2BL.js?AUIClients/DetailPageOffersDebugAssets",
        CDN + "012X502WN4L._RC|01W2YcruV0L.css,41AjssVzjoL.css_.css",
        CDN + "D1Bp3kOHuRS.mp4",
        CDN + "B1LSXLGAnwS.pdf",
        # tracking pixels and other sites
        "https://aax-us-east-retail-direct.amazon.com/e/is/D8A8F2B64B75DAA625F6833085AA5FF3/impb?b=JCHz",
        "https://example.com/51nk+aSvOFL._AC_US218_.jpg",
        # local files that are not Amazon product images
        "./page_files/grey-pixel.gif",
        "./page_files/nav-sprite-global-1x-reorg-privacy._CB587940754_.png",
        "./page_files/01ZVoNyZCqL.css",
        "./page_files/AlexaLogo.png",
    ],
)
def test_other_urls_give_no_id(url: str) -> None:
    assert image_id_from_url(url) is None
    assert image_ids_from_url(url) == []


def test_composite_merch_image_gives_base_and_layer_ids() -> None:
    assert image_ids_from_url(COMPOSITE) == ["B1pppR4gVKL", "41Mz1KZ6XrL"]
    decoded = CDN + "B1pppR4gVKL._CLa|2140,2000|41Mz1KZ6XrL.png|0,0,2140,2000_SL1500_.png"
    assert image_ids_from_url(decoded) == ["B1pppR4gVKL", "41Mz1KZ6XrL"]
    assert image_ids_from_url(CDN + "81VblA9U2IL._AC_UL320_.jpg") == ["81VblA9U2IL"]


def test_strip_modifiers_gives_the_original_upload() -> None:
    assert strip_modifiers(CDN + "51HqvytLPBL._AC_UL480_FMwebp_QL65_.jpg") == CDN + "51HqvytLPBL.jpg"
    assert (
        strip_modifiers("https://images-na.ssl-images-amazon.com/images/I/71TIUw%2BkmxL._SL1000_.jpg")
        == "https://images-na.ssl-images-amazon.com/images/I/71TIUw+kmxL.jpg"
    )
    assert strip_modifiers("//m.media-amazon.com/images/I/61lE0+4cPwL._AC_UL320_.png") == (
        CDN + "61lE0+4cPwL.png"
    )
    assert strip_modifiers(COMPOSITE) == CDN + "B1pppR4gVKL.png"
    # not an Amazon product image: unchanged
    assert strip_modifiers("https://example.com/a.jpg") == "https://example.com/a.jpg"
    assert strip_modifiers("./x_files/51nk+aSvOFL._AC_US218_.jpg") == "./x_files/51nk+aSvOFL._AC_US218_.jpg"


def test_with_size_asks_the_cdn_for_another_size_of_the_same_id() -> None:
    url = with_size(CDN + "81VblA9U2IL._AC_UL320_.jpg", 1500)
    assert url == CDN + "81VblA9U2IL._SL1500_.jpg"
    assert image_id_from_url(url) == "81VblA9U2IL"


def test_cdn_image_url_maps_saved_copies_back_to_the_cdn() -> None:
    local = "./Amazon.com_ kindle paperwhite_files/51nk+aSvOFL._AC_US218_.jpg"
    assert cdn_image_url(local) == CDN + "51nk+aSvOFL._AC_US218_.jpg"
    cdn = "https://images-eu.ssl-images-amazon.com/images/I/61Is66ApMzL._AC_UL320_.jpg"
    assert cdn_image_url(cdn) == cdn
    assert cdn_image_url("//m.media-amazon.com/images/I/61Is66ApMzL.jpg") == (CDN + "61Is66ApMzL.jpg")
    assert cdn_image_url("https://images-na.ssl-images-amazon.com/images/G/01/x.gif") is None


def test_is_image_id() -> None:
    assert is_image_id("71FXHAM+jWL")
    assert is_image_id("61Y-Zb0WVtL")
    assert not is_image_id("71FXHAM%2BjWL")
    assert not is_image_id("")


_URL_IN_PAGE = re.compile(r"""(?:https?:)?//[a-z0-9.-]+/images/I/[^"'\s,)\\]+""")
_IMAGE_EXT = re.compile(r"\.(?:jpe?g|png|gif|webp)$", re.I)


def test_every_image_url_in_the_saved_pages_gives_an_eleven_character_id(amazon_dir: Path) -> None:
    """The corpus check: ids are 11 characters of [0-9A-Za-z+-], whatever the host or modifiers."""
    checked = 0
    for page in sorted(amazon_dir.glob("*/*.htm*")):
        text = page.read_text("utf-8", "replace")
        for url in set(_URL_IN_PAGE.findall(text)):
            url = url.replace("&amp;", "&").split("&quot;")[0]
            if "|" in url or not _IMAGE_EXT.search(url.split("?")[0]):
                continue  # bundles and truncated composites
            ident = image_id_from_url(url)
            assert ident is not None, url
            assert re.fullmatch(r"[0-9A-Za-z+\-]{11}", ident), url
            assert url.split("/images/I/")[1].replace("%2B", "+").startswith(ident), url
            checked += 1
    assert checked > 1000


def test_an_id_with_a_plus_is_one_id_however_it_is_written() -> None:
    assert canonical_image_id("71iLJ%2B8RhKL") == canonical_image_id("71iLJ%252B8RhKL") == "71iLJ+8RhKL"
    assert image_id_forms("71iLJ%2B8RhKL") == ["71iLJ+8RhKL", "71iLJ%2B8RhKL", "71iLJ%2b8RhKL"]
    assert image_id_forms("61K4wTtjxGL") == ["61K4wTtjxGL"]
    assert shows_image(CDN + "71iLJ%2B8RhKL._AC_SR139,139_QL70_.jpg", "71iLJ+8RhKL")
    assert shows_image(CDN + "71iLJ+8RhKL._AC_UL320_.jpg", "71iLJ%2B8RhKL")
    # a substring is not the same picture: another id that contains this one's characters
    assert not shows_image(CDN + "171iLJ+8RhK._AC_UL320_.jpg", "71iLJ+8RhK")
    assert not shows_image(CDN + "61K4wTtjxGL._AC_UL320_.jpg", "71iLJ+8RhKL")


def test_a_gallery_finds_its_picture_by_an_id_written_with_2b() -> None:
    from PIL import Image

    from monitor.imaging import GalleryEntry, GalleryIndex, fingerprint_gallery_image

    picture = fingerprint_gallery_image(Image.new("RGB", (64, 64), "red"))
    index = GalleryIndex(
        [GalleryEntry("MAIN", ("71iLJ+8RhKL",), picture), GalleryEntry("PT01", ("x",), picture)]
    )
    assert index.entries_for_id("71iLJ%2B8RhKL") == index.entries_for_id("71iLJ+8RhKL") == [0]
