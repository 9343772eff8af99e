"""Amazon Ads data: the seller's daily ad performance, from console report files or the Ads API.

Where it sits: beside the sweep, feeding ``monitor.impact``. Report files (CSV, XLSX) and Reporting v3
downloads become ads days (``monitor.store.models.AdsDay``: impressions, clicks, cost, orders and sales per
marketplace-local day, search term or targeted keyword, campaign and ad group) and advertised-product
days (``AdsAdvertised``), stored so that a day loaded again replaces the old one.

Modules (import them directly; this package re-exports nothing):

- ``rows`` (``Report``, ``TermDay``, ``AdvertisedDay``) and ``keywords`` (``normalise_keyword``): the
  vocabulary, pure, shared with ``monitor.impact``;
- ``columns``, ``values``, ``files``: console report files -> ``Report`` (``read_report_file``);
- ``api``, ``reporting``, ``jobs``, ``pull``: the Ads API -> ``Report`` (``pull_configured``);
- ``store``: ``store_report`` (a re-imported day replaces) and ``query_ads_days`` (each click once);
  ``days``: the same rules in memory, for files without a database;
- ``impact_rows``: sightings and ads days read back and joined -> ``DayRow`` -> estimates.
"""
