"""Amazon image ids from image URLs.

Where it sits: the page parser (``monitor.pages.search``) and the gallery refresh turn every image URL they
find into an image id here; imaging matching then compares the id of the image an ad displayed with
the ids of the listing's gallery slots before it falls back to perceptual hashes.

An Amazon product image lives at ``https://<host>/images/I/<ID>.<_MODIFIERS_>.<ext>``. ``<ID>`` is
the physical image (11 characters of ``[0-9A-Za-z+-]``); the modifier block only asks the CDN for
another size, crop or format of the same upload. Hosts changed over the years
(``m.media-amazon.com``, ``images-na/-eu/-fe.ssl-images-amazon.com``, ``ecx.images-amazon.com``),
``+`` is sometimes written ``%2B``, browser-saved pages rewrite the URL to a local
``./<title>_files/<ID>._AC_US218_.jpg`` path, and Merch-by-Amazon composites stack several ids in one
URL (``B1pppR4gVKL._CLa|2140,2000|41Mz1KZ6XrL.png|0,0,…_AC_SL1500_.png``).

Brand creatives (``/images/S/…``), site graphics (``/images/G/…``), JS/CSS bundles that also live
under ``/images/I/``, ``data:`` URIs and the grey lazy-load pixel are not product images: they give
``None``.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

__all__ = [
    "IMAGE_ID_RE",
    "canonical_image_id",
    "cdn_image_url",
    "image_id_forms",
    "image_id_from_url",
    "image_ids_from_url",
    "is_image_id",
    "shows_image",
    "strip_modifiers",
    "with_size",
]

#: One physical image id. Every id seen in ten years of saved pages has 11 characters; 10 and 12 are
#: tolerated on the CDN path where the ``/images/I/`` prefix already proves what the token is.
IMAGE_ID_RE = re.compile(r"[0-9A-Za-z+\-]{10,12}")

_IMAGE_EXTS = frozenset({"jpg", "jpeg", "png", "gif", "webp", "avif", "tif", "tiff", "bmp"})
_CDN_HOST = "https://m.media-amazon.com"

# "<id>" alone, or "<id>.<ext>", or "<id>.<modifiers>.<ext>" (modifiers may contain dots, commas, |).
_FILE_RE = re.compile(r"^(?P<id>[0-9A-Za-z+\-]{10,12})(?:\.(?P<mods>.*))?\.(?P<ext>[A-Za-z0-9]{2,5})$")
_BARE_ID_RE = re.compile(r"^[0-9A-Za-z+\-]{11}$")
# A layer inside a composite modifier block: "|41Mz1KZ6XrL.png|".
_LAYER_RE = re.compile(r"(?:^|[|,_])([0-9A-Za-z+\-]{11})\.(?:png|jpe?g|gif|webp)(?=$|[|,_])", re.I)
_IMAGES_I = "/images/I/"
# A srcset candidate's descriptor left on the URL: "….jpg 1.5x", "….jpg 644w".
_DESCRIPTOR_RE = re.compile(r"\s+\d+(?:\.\d+)?[xw]$")


def _decode(url: str) -> str:
    """Undo percent-encoding (``%2B`` -> ``+``, ``%7C`` -> ``|``), also when it was applied twice."""
    text = url.strip()
    for _ in range(2):
        if "%" not in text:
            break
        text = unquote(text)
    return text


def _split(url: str) -> tuple[str, str, str, str] | None:
    """``(prefix, id, modifiers, ext)`` of an Amazon product image URL or saved-page path, else None.

    ``prefix`` ends with ``/images/I/`` for CDN URLs and is ``""`` for local paths.
    """
    if not url or not isinstance(url, str):
        return None
    text = url.strip()
    if text[:5].lower() == "data:":
        return None
    text = _DESCRIPTOR_RE.sub("", _decode(text))
    # The query and fragment never carry the id ("?AUIClients/…" on bundles, "#…" on links).
    for sep in ("?", "#"):
        cut = text.find(sep)
        if cut >= 0:
            text = text[:cut]
    at = text.rfind(_IMAGES_I)
    if at >= 0:
        prefix = text[: at + len(_IMAGES_I)]
        name = text[at + len(_IMAGES_I) :]
        if "/" in name:
            return None
        strict = False
    else:
        if "/images/" in text:
            return None  # /images/S/ brand creatives, /images/G/ site graphics, …
        if "://" in text and not text.lower().startswith("file:"):
            return None  # another site's URL, not a saved copy of Amazon's
        # Browser-saved page: "./<title>_files/<file>" (also Windows paths).
        name = re.split(r"[/\\]", text)[-1]
        prefix = ""
        strict = True
    match = _FILE_RE.match(name)
    if match is None:
        if _BARE_ID_RE.match(name) and not strict:
            return prefix, name, "", ""
        return None
    ident, mods, ext = match.group("id"), match.group("mods") or "", match.group("ext")
    if ext.lower() not in _IMAGE_EXTS:
        return None  # JS/CSS bundles, videos, PDFs share the /images/I/ path
    if strict and (len(ident) != 11 or (mods and not mods.startswith("_"))):
        return None
    return prefix, ident, mods, ext


def is_image_id(text: str) -> bool:
    """True when ``text`` has the shape of an Amazon image id."""
    return bool(IMAGE_ID_RE.fullmatch(text or ""))


def image_id_from_url(url: str) -> str | None:
    """The image id of an Amazon product image URL (or browser-saved path), else None.

    >>> image_id_from_url("https://m.media-amazon.com/images/I/71FXHAM%2BjWL._AC_UL320_.jpg")
    '71FXHAM+jWL'
    """
    parts = _split(url)
    return parts[1] if parts else None


def canonical_image_id(text: str) -> str:
    """An image id as ismon keeps and compares it: ``%2B`` (also ``%252B``) written back as ``+``.

    >>> canonical_image_id("71iLJ%2B8RhKL")
    '71iLJ+8RhKL'
    """
    return _decode(text) if "%" in text else text.strip()


def image_id_forms(image_id: str) -> list[str]:
    """Every way an image id can be written in a page or URL: ``+`` as is or percent-encoded.

    What a substring search (a CSS ``[src*=…]`` selector, a URL pattern) must try to find it.

    >>> image_id_forms("71iLJ+8RhKL")
    ['71iLJ+8RhKL', '71iLJ%2B8RhKL', '71iLJ%2b8RhKL']
    """
    ident = canonical_image_id(image_id)
    if "+" not in ident:
        return [ident]
    return [ident, ident.replace("+", "%2B"), ident.replace("+", "%2b")]


def shows_image(url: str, image_id: str) -> bool:
    """True when ``url`` is a rendition of the picture ``image_id`` (however either writes a ``+``)."""
    return image_id_from_url(url) == canonical_image_id(image_id)


def image_ids_from_url(url: str) -> list[str]:
    """Every image id in the URL: the base id first, then the layers of a composite (Merch) image."""
    parts = _split(url)
    if parts is None:
        return []
    ids = [parts[1]]
    for layer in _LAYER_RE.findall(parts[2]):
        if layer not in ids:
            ids.append(layer)
    return ids


def strip_modifiers(url: str) -> str:
    """The original upload: ``…/I/<ID>.<_MODS_>.<ext>`` -> ``…/I/<ID>.<ext>``.

    URLs that are not Amazon product images come back unchanged. ``//host`` becomes ``https://host``.
    """
    return _rebuild(url, "")


def _rebuild(url: str, modifiers: str) -> str:
    """``url`` with its modifier block replaced by ``modifiers``; non-product URLs unchanged."""
    parts = _split(url)
    if parts is None or not parts[0]:
        return url
    prefix, ident, _mods, ext = parts
    if prefix.startswith("//"):
        prefix = "https:" + prefix
    return f"{prefix}{ident}{modifiers}.{ext or 'jpg'}"


def with_size(url: str, px: int) -> str:
    """The same image scaled so that its longest side is ``px`` (``._SL<px>_.``)."""
    return _rebuild(url, f"._SL{int(px)}_")


def cdn_image_url(url: str) -> str | None:
    """An absolute URL that can be fetched for this image, or None when it is not a product image.

    CDN URLs are kept as they are (``//host`` gets ``https:``); a browser-saved local copy
    (``./x_files/51nk+aSvOFL._AC_US218_.jpg``) is mapped back to the same file on the current CDN.
    """
    parts = _split(url)
    if parts is None:
        return None
    prefix, ident, mods, ext = parts
    text = url.strip()
    if prefix:
        if text.startswith("//"):
            return "https:" + text
        if text.lower().startswith(("http://", "https://")):
            return text
        if prefix.startswith("/"):
            return _CDN_HOST + text if text.startswith("/") else text
        return text
    name = f"{ident}.{mods}.{ext}" if mods else f"{ident}.{ext}"
    return f"{_CDN_HOST}{_IMAGES_I}{name}"
