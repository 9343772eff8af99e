"""report: the static history site, written from the database the sweeps filled (HTML pages and CSV).

Where it sits: the last step of the data flow (config -> sweep -> store -> alerts; history (+ impact)
-> report). It reads the history with SQL (monitor.store's tables and history rows, the ads days of
monitor.store.impact), never opens a browser or the network, and writes a folder that works from
``file://``. ``ismon report`` and ``ismon demo`` call it with the ``ReportSettings`` that
``monitor.run.settings.report_settings(config)`` builds; nothing here sees the whole Config.

What it offers, and where:

* ``site``: ``build_report(engine, settings, blobs, out_dir, now) -> ReportSummary`` and
  ``ReportSettings`` (the configured products, ``recent_days``, ``optout_grace_hours``, the ads
  reporting zones); the Jinja2 environment and the order of the steps.
* ``views``: the values the templates render: ``ReportSummary``, ``ProductView``, ``KeywordView``,
  ``Shot``.
* ``load``: the database reads: ``load_products``, ``aggregate`` (per-day counts per variant),
  ``latest_per_unit``, ``load_events``, ``load_blocked``, ``load_galleries``, ``gallery_image_at``.
* ``charts``: the per-day share chart (``build_chart``, ``render_chart``), ``variant_colour`` and
  ``category`` (pure).
* ``impact``: per keyword the CTR chart and tracking table (``views_for``, ``chart_markup``), the
  opt-out marks of the timeline, and ``write_ads_csv`` (``ads_days.csv``).
* ``files``: ``SiteImages`` (blobs copied once into ``img/``), ``write_atomic`` and ``write_csv``
  (``sightings.csv``).

Nothing is re-exported here: import from the module (``from monitor.report.site import build_report``).
"""
