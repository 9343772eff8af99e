"""sweep: the one place that wires acquire, pages, imaging, store and alerts together.

Where it sits: in the middle of the flow, below the entry points (``ismon sweep`` and ``ismon gallery
refresh`` in monitor/cli, the daemon's jobs in monitor/run/daemon.py, ``ismon demo``) and above every
stage it drives: shoppers load search and product pages (monitor.acquire), the pages are parsed
(monitor.pages), own ads are identified against the galleries (monitor.imaging), visits, sightings and
galleries are stored (monitor.store) and the events they cause go to the outbox (monitor.alerts). It
reads no Config: the entry points hand it a ``SweepSettings`` built by
``monitor.run.settings.sweep_settings(config)``.

What it offers, and where:

- ``settings``: ``SweepSettings`` (what a sweep reads of the configuration), ``Clock``, ``Progress``.
- ``runner``: ``run_sweep`` (one sweep now, returns its ``SweepSummary``) and ``SweepRunner`` (the
  workers: retries, challenges, back-offs, stopping).
- ``planning``: ``SweepOptions`` (keywords, ASINs, trigger, politeness), ``Task``, ``plan`` (the
  pages to visit, grouped by marketplace), ``search_url``.
- ``pipeline``: ``PagePipeline`` (one page: visit -> parse -> own ads -> capture -> identify ->
  sightings), ``Loaded``.
- ``evidence``: ``Evidence`` (gallery indexes, identification cache, screenshots shared between
  identical tiles, recent screenshots of earlier sweeps), ``Capture``.
- ``recording``: ``SweepSummary``, ``PageWrites`` (the store thread), ``SweepRecords`` (visits that
  yielded no page), ``start_sweep``, ``finish_sweep`` (the sweep row and its closing events).
- ``shoppers``: ``Shoppers`` (the sweep's browser, its shoppers and the marketplaces' health).
- ``gallery``: ``refresh_galleries`` (``ismon gallery refresh``), ``GalleryRefresh``,
  ``refresh_product``, ``load_index``, ``GalleryResult``.

Nothing is re-exported here: import from the module that holds the name.
"""
