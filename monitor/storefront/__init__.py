"""Simulated Amazon storefront for tests and `ismon demo`.

Where it sits: outside ismon's data flow, standing in for the marketplace. A ``Storefront`` serves
search, product and image pages on 127.0.0.1 from a ``Scenario`` (which of the seller's ASINs are
advertised for which keyword, and which gallery image each ad shows), so the whole pipeline
(browser -> pages -> imaging -> store -> changes -> alerts) runs without the internet.

    with Storefront(demo_scenario()) as store:
        base_url = store.base_url            # http://127.0.0.1:PORT
        store.set_scenario(new_scenario)     # between sweeps
        store.requests                       # what the client fetched

Pictures come from ``monitor.storefront.synthetic``; page markup follows the saved real pages described in
``shared/fixtures/amazon/STRUCTURE.md``.
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
