"""Simulated Amazon storefront and Ads API for tests, benches and `ismon demo`.

Where it sits: outside ismon's data flow, standing in for the marketplace. A ``Storefront`` serves
search, product and image pages on 127.0.0.1 from a ``Scenario`` (which of the seller's ASINs are
advertised for which keyword, and which gallery image each ad shows), so the whole pipeline
(browser -> pages -> imaging -> store -> changes -> alerts) runs without the internet. It ranks above
the product stages (it may import pages, imaging, impact, store, ads, ...); only the entry points
(``demo``, ``cli``), the tests and the benches import it.

    with Storefront(demo_scenario()) as store:
        base_url = store.base_url            # http://127.0.0.1:PORT
        store.set_scenario(new_scenario)     # between sweeps
        store.requests                       # what the client fetched

Exports: ``Storefront`` (``routes``: which page answers which request), ``RequestRecord``
(``server``: ``LocalServer``, the HTTP plumbing and request log it shares with the Ads API),
``Scenario``, ``StoreProduct``, ``DEFAULT_VARIANTS``, ``demo_scenario`` (``scenario``) and ``main``
(``python -m monitor.storefront``). The other modules are imported directly:

- pictures: ``synthetic`` (``draw_gallery``, ``draw_variant``, ``draw_negative``; its pieces are in
  ``drawing/``), ``catalog`` (listings and image ids), ``images`` (the image CDN);
- pages: ``search`` (assembled from ``rows``, ``tiles``, ``carousel``, ``brand_unit``, ``footer``),
  ``product``, ``html`` (page shell and the small pages), ``assets`` (static payloads);
- the Ads API: ``adsapi`` (``SimulatedAdsApi``), ``adsdata`` (``AdsWorld``), ``adsreports``;
- the demo's and benches' history: ``effects``, ``history``.

Page markup follows the saved real pages described in ``shared/fixtures/amazon/STRUCTURE.md``.
"""

from __future__ import annotations

from monitor.storefront.routes import Storefront
from monitor.storefront.scenario import DEFAULT_VARIANTS, Scenario, StoreProduct, demo_scenario
from monitor.storefront.server import RequestRecord


def main(argv: list[str] | None = None) -> None:
    """``python -m monitor.storefront --port 8080``: serve the demo store until Ctrl-C."""
    from monitor.storefront.__main__ import run

    run(argv)


__all__ = [
    "DEFAULT_VARIANTS",
    "RequestRecord",
    "Scenario",
    "StoreProduct",
    "Storefront",
    "demo_scenario",
    "main",
]
