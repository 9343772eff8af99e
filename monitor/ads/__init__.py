"""Amazon Ads data: the seller's daily ad performance, from console report files or the Ads API.

Where it sits: beside the sweep, feeding ``monitor.impact``. Report files (CSV, XLSX) and Reporting v3
downloads become ads days (``monitor.store.models.AdsDay``: impressions, clicks, cost, orders and sales per
marketplace-local day, search term or targeted keyword, campaign and ad group) and advertised-product
days (``AdsAdvertised``), stored so that a day loaded again replaces the old one.
"""
