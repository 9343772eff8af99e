"""What the simulated storefront shows: products, ads per keyword, and the faults it plays.

Where it sits: test and demo input, outside the sweep's data flow. A test builds a ``Scenario``, hands
it to ``Storefront`` (or swaps it in with ``Storefront.set_scenario`` between sweeps), and the server
renders every page from it. ``demo_scenario()`` is the store ``ismon demo`` and
``python -m monitor.storefront`` serve.

Keywords are matched case- and whitespace-insensitively (``"Camping  Chair"`` == ``"camping chair"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_VARIANTS: tuple[str, ...] = ("MAIN", "PT01", "PT02", "PT03", "PT04", "PT05", "PT06")


def norm_keyword(keyword: str) -> str:
    """The form keywords are compared in: lower case, single spaces, no outer blanks."""
    return " ".join(keyword.lower().split())


@dataclass
class StoreProduct:
    """A listing of the store: its ASIN, texts, the seed its pictures are drawn from, its gallery."""

    asin: str
    title: str
    brand: str
    seed: int
    variants: tuple[str, ...] = DEFAULT_VARIANTS


@dataclass
class Scenario:
    """Everything the store shows. Tests change it between sweeps through ``set_scenario``.

    ``ad_images[(asin, keyword)]`` is the variant the ad of that ASIN shows for that keyword
    (ImageSmith); MAIN when absent. A variant that is not in the product's gallery is drawn anyway:
    a slot code (``"PT07"``) gives that slot's picture without publishing it in the gallery (a stale
    gallery); ``"new_scene"`` or ``"unseen_angle"`` (optionally ``"new_scene:2"``) gives a picture of
    the product that no gallery slot has (an AI-made creative).

    ``main_override[asin]`` replaces the listing's own MAIN: an integer string is the seed of the new
    picture, any other string is hashed into one. The MAIN image ids change with it.
    """

    products: list[StoreProduct] = field(default_factory=list)
    sponsored: dict[str, list[str]] = field(default_factory=dict)
    ad_images: dict[tuple[str, str], str] = field(default_factory=dict)
    carousel: dict[str, list[str]] = field(default_factory=dict)
    brand: dict[str, list[str]] = field(default_factory=dict)
    # keyword -> ASINs of a Sponsored Brands footer "Brands related to your search": one card per ASIN
    # (each its brand's), products named only in the cards' links, picture ids with "+" as %2B in srcset
    brand_footer: dict[str, list[str]] = field(default_factory=dict)
    organic_count: int = 16
    captcha: bool = False
    captcha_keywords: set[str] = field(default_factory=set)
    # The first N search pages served (since the scenario was set) are a character captcha, then the
    # store answers again; the next M show the button-only "continue shopping" wall instead.
    captcha_first: int = 0
    continue_wall_first: int = 0
    broken_keywords: set[str] = field(default_factory=set)
    slow_keywords: dict[str, float] = field(default_factory=dict)
    cookie_banner: bool = False
    main_override: dict[str, str] = field(default_factory=dict)
    # Beyond the agreed API: other sellers' listings that appear in the ad units (``products`` are the
    # seller's own; an ASIN in an ad unit that is in neither list gets a made-up listing), keywords
    # that answer "No results for ...", and how many result pages a keyword has.
    advertisers: list[StoreProduct] = field(default_factory=list)
    no_results_keywords: set[str] = field(default_factory=set)
    pages: int = 7
    # keyword -> ASINs whose tile carries an "Amazon's Choice" badge on that search: a tile that
    # looks different from one keyword to the next although it shows the same picture
    choice: dict[str, list[str]] = field(default_factory=dict)

    def product(self, asin: str) -> StoreProduct | None:
        """The scenario's product (own or another advertiser's) with this ASIN, if any."""
        for p in [*self.products, *self.advertisers]:
            if p.asin == asin:
                return p
        return None

    def ad_variant(self, asin: str, keyword: str) -> str:
        """The variant the ad of ``asin`` shows for ``keyword``: ``ad_images`` or MAIN."""
        kw = norm_keyword(keyword)
        for (a, k), variant in self.ad_images.items():
            if a == asin and norm_keyword(k) == kw:
                return variant
        return "MAIN"

    def keywords(self) -> list[str]:
        """Every keyword the scenario mentions, normalised, in first-seen order."""
        seen: dict[str, None] = {}
        for mapping in (self.sponsored, self.carousel, self.brand, self.brand_footer):
            for k in mapping:
                seen.setdefault(norm_keyword(k), None)
        for _, k in self.ad_images:
            seen.setdefault(norm_keyword(k), None)
        return list(seen)


def _lookup(mapping: dict[str, list[str]], keyword: str) -> list[str]:
    kw = norm_keyword(keyword)
    for k, v in mapping.items():
        if norm_keyword(k) == kw:
            return list(v)
    return []


def sponsored_for(s: Scenario, keyword: str) -> list[str]:
    """ASINs of the Sponsored Products grid ads for ``keyword``, in order."""
    return _lookup(s.sponsored, keyword)


def carousel_for(s: Scenario, keyword: str) -> list[str]:
    """ASINs of the sponsored carousel for ``keyword``."""
    return _lookup(s.carousel, keyword)


def brand_for(s: Scenario, keyword: str) -> list[str]:
    """ASINs of the Sponsored Brands top-slot unit for ``keyword``."""
    return _lookup(s.brand, keyword)


def brand_footer_for(s: Scenario, keyword: str) -> list[str]:
    """ASINs of the Sponsored Brands footer for ``keyword``, one card each."""
    return _lookup(s.brand_footer, keyword)


def choice_for(s: Scenario, keyword: str) -> list[str]:
    """ASINs badged "Amazon's Choice" on the search for ``keyword``."""
    return _lookup(s.choice, keyword)


def in_set(keywords: set[str], keyword: str) -> bool:
    """``keyword`` is one of ``keywords`` (normalised comparison)."""
    kw = norm_keyword(keyword)
    return any(norm_keyword(k) == kw for k in keywords)


def delay_for(s: Scenario, keyword: str) -> float:
    """Seconds to wait before answering a search for ``keyword``."""
    kw = norm_keyword(keyword)
    for k, v in s.slow_keywords.items():
        if norm_keyword(k) == kw:
            return float(v)
    return 0.0


# --------------------------------------------------------------------------------------------
# The demo store
# --------------------------------------------------------------------------------------------

DEMO_BRAND = "Trailhaven"
# Seeds chosen for their drawn shape (monitor.storefront.synthetic families): a chair, a lamp, a backpack.
DEMO_CHAIR = "B0TRLHVN01"
DEMO_LANTERN = "B0TRLHVN02"
DEMO_PACK = "B0TRLHVN03"


def demo_scenario() -> Scenario:
    """A made-up camping brand (three listings) among rival advertisers: seven keywords, grid ads,
    carousels and Sponsored Brands units, five ads where ImageSmith shows a non-MAIN image."""
    own = [
        StoreProduct(
            DEMO_CHAIR,
            "Trailhaven Ultralight Folding Camping Chair, Portable Backpacking Chair with Carry Bag, "
            "Supports 300 lbs, Compact Lawn Chair for Hiking, Beach and Festivals",
            DEMO_BRAND,
            3,
        ),
        StoreProduct(
            DEMO_LANTERN,
            "Trailhaven Rechargeable LED Camping Lantern, 1000 Lumen Collapsible Tent Light with "
            "Power Bank, 4 Light Modes, IPX4 Waterproof for Hurricanes and Emergencies",
            DEMO_BRAND,
            2,
        ),
        StoreProduct(
            DEMO_PACK,
            "Trailhaven 45L Hiking Backpack, Lightweight Water Resistant Daypack with Rain Cover "
            "and Hydration Sleeve for Camping, Trekking and Travel",
            DEMO_BRAND,
            22,
        ),
    ]
    rivals = [
        StoreProduct("B0SMTPK201", "Summitpeak Heavy Duty Camp Chair with Cooler Pocket", "Summitpeak", 6),
        StoreProduct("B0NRTHWD02", "Northwood Outdoor Folding Chair, Padded Arm Rests", "Northwood", 9),
        StoreProduct("B0KMPFLR03", "Kampflare LED Lantern 2-Pack, Battery Powered", "Kampflare", 8),
        StoreProduct("B0KMPFLR04", "Kampflare Solar Camping Lantern with USB Charging", "Kampflare", 15),
        StoreProduct("B0SMTPK205", "Summitpeak 40L Daypack with Rain Cover", "Summitpeak", 26),
    ]
    return Scenario(
        products=own,
        advertisers=rivals,
        sponsored={
            "camping chair": [DEMO_CHAIR, "B0SMTPK201", "B0NRTHWD02"],
            "folding camping chair": ["B0NRTHWD02", DEMO_CHAIR],
            "backpacking chair": [DEMO_CHAIR],
            "camping lantern": ["B0KMPFLR03", DEMO_LANTERN, "B0KMPFLR04"],
            "rechargeable lantern": [DEMO_LANTERN],
            "hiking backpack": ["B0SMTPK205", DEMO_PACK],
            "camping gear": [DEMO_LANTERN, "B0SMTPK201"],
        },
        ad_images={
            (DEMO_CHAIR, "camping chair"): "PT02",
            (DEMO_CHAIR, "backpacking chair"): "PT01",
            (DEMO_LANTERN, "camping lantern"): "PT03",
            (DEMO_PACK, "hiking backpack"): "PT05",
            (DEMO_LANTERN, "camping gear"): "PT02",
        },
        carousel={
            "camping gear": [DEMO_CHAIR, "B0KMPFLR03", DEMO_PACK, "B0NRTHWD02"],
            "camping lantern": ["B0KMPFLR04", DEMO_LANTERN],
        },
        brand={
            "camping gear": [DEMO_CHAIR, DEMO_LANTERN, DEMO_PACK],
            "camping chair": [DEMO_CHAIR, DEMO_PACK],
        },
    )
