"""``python -m monitor.storefront [--ads-port N]``: serve the demo storefront (and the simulated Ads API)
on this machine until Ctrl-C.

Where it sits: a developer's entry point beside the CLI, for looking at the simulated marketplace in
a browser (``ismon demo`` starts the same store in-process).
"""

from __future__ import annotations

import argparse
import logging
import threading

from monitor.storefront.adsapi import SimulatedAdsApi
from monitor.storefront.adsdata import AdsWorld
from monitor.storefront.routes import Storefront
from monitor.storefront.scenario import demo_scenario


def run(argv: list[str] | None = None) -> None:
    """Parse ``--host``/``--port`` and serve ``demo_scenario()`` until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m monitor.storefront", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 = any free)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    parser.add_argument(
        "--ads-port",
        type=int,
        default=None,
        help="also serve the simulated Amazon Ads API on this port (0 = any)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    scenario = demo_scenario()
    store = Storefront(scenario, host=args.host, port=args.port)
    url = store.start()
    ads = None
    if args.ads_port is not None:
        ads = SimulatedAdsApi(
            AdsWorld(scenario), profiles={"1234567890": "us"}, host=args.host, port=args.ads_port
        )
        ads_url = ads.start()
        print(f"Simulated Amazon Ads API at {ads_url} (profile 1234567890), for the config:")
        print(f'  [ads] client_id = "{ads.client_id}", api_url = "{ads_url}", token_url = "{ads.token_url}"')
        print(
            f"  secret {ads.client_secret!r}, refresh token {ads.refresh_token!r}"
            " (demo values, into the variables [ads] names)"
        )
    print(f"Simulated storefront at {url}")
    for kw in scenario.keywords():
        print(f"  {url}/s?k={kw.replace(' ', '+')}")
    for p in scenario.products[:3]:
        print(f"  {url}/dp/{p.asin}")
    print("Ctrl-C to stop.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        store.stop()
        if ads is not None:
            ads.stop()


if __name__ == "__main__":
    run()
