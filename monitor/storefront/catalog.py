"""The storefront's catalogue: every listing it can show, their galleries and their image ids.

Where it sits: inside the simulated storefront, between the ``Scenario`` and the page and image
renderers. A ``Catalog`` is built once per scenario (``Storefront.set_scenario``) and is immutable
afterwards, so request threads can share it without locks.

Image ids look like Amazon's (11 characters of ``[0-9A-Za-z+-]`` ending in ``L``) and are a pure
function of (ASIN, variant, picture version, seed, kind): the hiRes and the large upload of one slot
have different ids, and replacing a listing's MAIN (``main_override``) gives MAIN new ids.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from functools import lru_cache

from monitor.storefront.scenario import (
    Scenario,
    StoreProduct,
    brand_for,
    carousel_for,
    sponsored_for,
)

ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+-"
OWN_SOURCE_SIZE = 1000  # long side of a scenario product's hiRes original
FILLER_SOURCE_SIZE = 500  # filler listings are drawn small: nobody identifies them
LARGE_SIZE = 500  # long side of the "large" upload of a picture
NEGATIVE_KINDS = ("new_scene", "unseen_angle")


def stable_int(*parts: object) -> int:
    """A process-independent 64-bit hash of ``parts`` (Python's ``hash`` is salted per run)."""
    h = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(h[:8], "big")


def image_id(asin: str, variant: str, version: str, seed: int, kind: str) -> str:
    """The Amazon-like id of one upload: ``kind`` is ``"hires"`` or ``"large"``."""
    n = int.from_bytes(
        hashlib.sha256(f"ismon-storefront|{asin}|{variant}|{version}|{seed}|{kind}".encode()).digest(),
        "big",
    )
    # Amazon's first digit grows with the upload's size: 6-8 for 1500 px originals, 3-4 for 500 px.
    first = "678"[n % 3] if kind == "hires" else "34"[n % 2]
    n //= 3
    body = []
    for _ in range(9):
        n, r = divmod(n, 64)
        body.append(ID_ALPHABET[r])
    return first + "".join(body) + "L"


@dataclass(frozen=True)
class Picture:
    """How to draw one picture: ``draw`` is ``"variant"`` or a negative kind of storefront.synthetic."""

    seed: int
    variant: str
    size: int
    draw: str = "variant"
    index: int = 0


@dataclass(frozen=True)
class ImageRef:
    """What an image id stands for: a picture and which upload of it (hiRes or large)."""

    asin: str
    variant: str
    picture: Picture
    kind: str  # "hires" | "large"

    @property
    def original_size(self) -> int:
        """Long side of the upload when no size modifier is given."""
        return min(self.picture.size, LARGE_SIZE) if self.kind == "large" else self.picture.size


@dataclass(frozen=True)
class Slot:
    """One gallery slot of a listing, with both of its ids."""

    variant: str
    hires_id: str
    large_id: str


@dataclass(frozen=True)
class Listing:
    """A product the store can show: a scenario product, a filler or a synthesised advertiser."""

    product: StoreProduct
    filler: bool
    slots: tuple[Slot, ...]

    @property
    def asin(self) -> str:
        return self.product.asin

    def slot(self, variant: str) -> Slot | None:
        for s in self.slots:
            if s.variant == variant:
                return s
        return None

    @property
    def main(self) -> Slot:
        return self.slot("MAIN") or self.slots[0]


# --------------------------------------------------------------------------------------------
# Filler listings: the organic results around the scenario's products
# --------------------------------------------------------------------------------------------

_FILLER_BRANDS = (
    "Alpenrook", "Brisklane", "Cobaltine", "Dunmore", "Everpine", "Foxmere", "Glenhollow", "Hartwell",
    "Ironbark", "Junipra", "Kestrelco", "Larchfield", "Moorcrest", "Nettlebay", "Oakhurst", "Pinecove",
    "Quillon", "Rowanby", "Stonebrook", "Thistlewood", "Umbervale", "Vireo", "Wrenfield", "Yarrowby",
)  # fmt: skip
_FILLER_NOUNS = (
    "Portable Outdoor Set", "Compact Travel Kit", "Heavy Duty Organizer", "Lightweight Carry Pack",
    "Insulated Bottle", "Folding Stool", "Waterproof Dry Bag", "LED Headlamp", "Camping Cookware Set",
    "Microfiber Towel", "Hammock with Straps", "Sleeping Pad", "Trekking Poles", "Ceramic Mug",
    "Wireless Headphones", "Running Shoes", "Storage Box", "Desk Lamp", "Day Backpack", "Water Bottle",
)  # fmt: skip
_FILLER_FEATURES = (
    "Durable and Lightweight", "for Hiking, Travel and Everyday Use", "BPA Free", "Easy to Clean",
    "Water Resistant", "with Carry Bag", "Gift for Men and Women", "2-Year Warranty",
    "Eco Friendly Materials", "Non-Slip Grip", "Fits in Any Bag", "Quick Dry",
)  # fmt: skip
FILLER_POOL_SIZE = 240


def _asin_from(n: int) -> str:
    chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = []
    for _ in range(8):
        n, r = divmod(n, 36)
        out.append(chars[r])
    return "B0" + "".join(out)


@lru_cache(maxsize=1)
def filler_pool() -> tuple[StoreProduct, ...]:
    """The fixed pool of made-up organic listings (deterministic across runs and machines)."""
    rng = random.Random(20240611)
    out = []
    for i in range(FILLER_POOL_SIZE):
        brand = rng.choice(_FILLER_BRANDS)
        noun = rng.choice(_FILLER_NOUNS)
        feats = rng.sample(_FILLER_FEATURES, 2)
        title = f"{brand} {noun}, {feats[0]}, {feats[1]}"
        out.append(StoreProduct(_asin_from(stable_int("filler", i)), title, brand, 100_000 + i, ("MAIN",)))
    return tuple(out)


def synthesised_product(asin: str) -> StoreProduct:
    """A stand-in listing for an ASIN a scenario names in an ad unit but does not describe."""
    n = stable_int("advertiser", asin)
    brand = _FILLER_BRANDS[n % len(_FILLER_BRANDS)]
    noun = _FILLER_NOUNS[(n >> 8) % len(_FILLER_NOUNS)]
    return StoreProduct(asin, f"{brand} {noun}", brand, 200_000 + n % 100_000)


def price_of(asin: str) -> tuple[int, int]:
    """The listing's price as (dollars, cents), stable per ASIN."""
    n = stable_int("price", asin)
    return 9 + n % 90, (n >> 8) % 100


def rating_of(asin: str) -> tuple[float, int]:
    """The listing's star rating and number of ratings, stable per ASIN."""
    n = stable_int("rating", asin)
    return round(3.9 + (n % 11) / 10, 1), 40 + (n >> 8) % 25000


def override_seed(value: str) -> int:
    """The seed of a replacement MAIN picture from a ``main_override`` value."""
    v = value.strip()
    return int(v) if v.isdigit() else stable_int("main-override", v) % 10_000_000


def _picture_for(product: StoreProduct, variant: str, size: int, version: str) -> Picture:
    if variant == "MAIN" and version != "0":
        return Picture(override_seed(version), "MAIN", size)
    kind, _, index = variant.partition(":")
    if kind in NEGATIVE_KINDS:
        return Picture(product.seed, variant, size, draw=kind, index=int(index or 0))
    return Picture(product.seed, variant, size)


class Catalog:
    """Listings and image ids of one scenario. Immutable once built."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._listings: dict[str, Listing] = {}
        self._images: dict[str, ImageRef] = {}
        for p in [*scenario.products, *scenario.advertisers]:
            if p.asin not in self._listings:
                self._add(p, filler=False)
        for p in filler_pool():
            if p.asin not in self._listings:
                self._add(p, filler=True)
        # ASINs named in ad units without a product description still get a listing.
        for mapping in (scenario.sponsored, scenario.carousel, scenario.brand):
            for kw in mapping:
                for asin in mapping[kw]:
                    if asin not in self._listings:
                        self._add(synthesised_product(asin), filler=False)
        # Ad pictures that are not gallery slots (stale galleries, AI-made creatives).
        for (asin, _kw), variant in scenario.ad_images.items():
            listing = self._listings.get(asin)
            if listing is not None and listing.slot(variant) is None:
                self._register(listing.product, variant, OWN_SOURCE_SIZE, "0")

    def _version(self, asin: str, variant: str) -> str:
        if variant == "MAIN":
            return self.scenario.main_override.get(asin, "0") or "0"
        return "0"

    def _register(self, p: StoreProduct, variant: str, size: int, version: str) -> Slot:
        pic = _picture_for(p, variant, size, version)
        hires = image_id(p.asin, variant, version, pic.seed, "hires")
        large = image_id(p.asin, variant, version, pic.seed, "large")
        self._images[hires] = ImageRef(p.asin, variant, pic, "hires")
        self._images[large] = ImageRef(p.asin, variant, pic, "large")
        return Slot(variant, hires, large)

    def _add(self, p: StoreProduct, filler: bool) -> None:
        size = FILLER_SOURCE_SIZE if filler else OWN_SOURCE_SIZE
        slots = tuple(self._register(p, v, size, self._version(p.asin, v)) for v in (p.variants or ("MAIN",)))
        self._listings[p.asin] = Listing(p, filler, slots)

    # ---- queries -------------------------------------------------------------------------

    def listing(self, asin: str) -> Listing | None:
        """The listing of ``asin`` (scenario product, filler or advertiser), if the store has it."""
        return self._listings.get(asin)

    def image(self, image_id: str) -> ImageRef | None:
        """What an image id shows, or None for an id the store never issued."""
        return self._images.get(image_id)

    def image_ids(self) -> list[str]:
        """Every image id the store serves (for tests)."""
        return list(self._images)

    def ad_slot(self, asin: str, keyword: str) -> Slot:
        """The picture an ad of ``asin`` shows for ``keyword`` (ImageSmith's choice)."""
        listing = self._listings[asin]
        variant = self.scenario.ad_variant(asin, keyword)
        slot = listing.slot(variant)
        if slot is not None:
            return slot
        version = self._version(asin, variant)
        pic = _picture_for(listing.product, variant, OWN_SOURCE_SIZE, version)
        hires = image_id(asin, variant, version, pic.seed, "hires")
        if hires in self._images:
            return Slot(variant, hires, image_id(asin, variant, version, pic.seed, "large"))
        return listing.main  # a variant that appeared after the catalog was built: show MAIN

    def organic(self, keyword: str, page: int) -> list[Listing]:
        """The organic results of a result page: fillers, plus the keyword's advertised listings
        (page 1), at positions that depend only on (keyword, page)."""
        s = self.scenario
        rng = random.Random(stable_int("organic", keyword, page))
        advertised: list[str] = []
        if page == 1:
            for asin in sponsored_for(s, keyword) + carousel_for(s, keyword) + brand_for(s, keyword):
                if asin not in advertised and asin in self._listings:
                    advertised.append(asin)
        count = max(0, s.organic_count)
        if count == 0:
            return []
        shown = advertised[:count]
        pool = [p for p in filler_pool() if p.asin not in shown]
        picks = [self._listings[p.asin] for p in rng.sample(pool, min(count - len(shown), len(pool)))]
        for asin in shown:
            picks.insert(rng.randrange(len(picks) + 1), self._listings[asin])
        return picks
