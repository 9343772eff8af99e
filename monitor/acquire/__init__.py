"""Acquire: the Playwright edge. Headless Chromium loads search pages like a shopper and brings back
what a page showed: its HTML as served, the ad images the browser received, screenshots of ad tiles.

Where it sits: between the sweep (``monitor.sweep``), which decides which pages to ask for and opens one
shopper session at a time per worker, and the stages that read what comes back: the pages stage parses
the HTML, imaging identifies the ad pictures, the store keeps the screenshots as evidence. It receives
``ShopperSettings`` (built by the sweep from the config), never ``Config``; it writes no database.

What it exports, and from which module (import them from there: this ``__init__`` re-exports nothing,
so that importing the package does not start Playwright):

- ``monitor.acquire.launch``: ``find_chromium`` (the configured Chromium, Playwright's own, or Debian's
  chromium / chromium-headless-shell), ``launch``, ``desktop_user_agent``, ``proxy_settings``.
- ``monitor.acquire.shopper``: ``Shopper`` (one browser context: ``open``, ``visit``,
  ``set_delivery_location``, ``close``) and ``ShopperSettings``.
- ``monitor.acquire.visit``: ``Visit`` (one page load: ``html``, ``load_images``, ``wait_for_images``,
  ``image_bytes``, ``find_tiles``, ``screenshot_tiles``), ``Tile``, ``CAPTCHA_URL_RE``.
- ``monitor.acquire.stored_state``: ``storage_state_path``, ``stored_postal_code``,
  ``remember_postal_code`` (the browser state kept per marketplace between sweeps).
- ``monitor.acquire.sessions``: ``Session``, ``Lane``, ``Health``, ``HealthLimits``, ``no_answer``
  (shopper sessions and marketplace health during a sweep; pure, no browser).

Inside the Shopper: ``tabs`` (its one tab at a time and the tab's CDP events), ``blocking`` (what a
tab does not load), ``walls`` (cookie banner, continue-shopping wall), ``location`` (the delivery
postal code), ``capture`` (frames drawn on demand, bands captured and cut into tiles).
"""
