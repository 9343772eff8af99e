"""``python -m monitor.storefront``: serve the demo storefront on this machine until Ctrl-C.

Where it sits: a developer's entry point beside the CLI, for looking at the simulated marketplace in
a browser (``ismon demo`` starts the same store in-process).
"""

from __future__ import annotations

import argparse
import logging
import threading

from monitor.storefront.scenario import demo_scenario
from monitor.storefront.server import Storefront


def run(argv: list[str] | None = None) -> None:
    """Parse ``--host``/``--port`` and serve ``demo_scenario()`` until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m monitor.storefront", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 = any free)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    scenario = demo_scenario()
    store = Storefront(scenario, host=args.host, port=args.port)
    url = store.start()
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


if __name__ == "__main__":
    run()
