"""What ismon knows of Amazon's marketplaces: languages, reporting time zones, Ads API endpoints.

Where it sits: at the base, beside the config. ``monitor.config`` fills a marketplace's defaults from
these tables; the alerts, the impact commands and the demo ask ``reporting_zone`` which calendar day a
moment belongs to in Amazon Ads' reports.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

# Language and Accept-Language per well-known marketplace; others default to en-US.
MARKETPLACE_LOCALES: dict[str, str] = {
    "us": "en-US",
    "ca": "en-CA",
    "uk": "en-GB",
    "gb": "en-GB",
    "ie": "en-IE",
    "au": "en-AU",
    "in": "en-IN",
    "de": "de-DE",
    "fr": "fr-FR",
    "it": "it-IT",
    "es": "es-ES",
    "nl": "nl-NL",
    "se": "sv-SE",
    "pl": "pl-PL",
    "be": "fr-BE",
    "jp": "ja-JP",
    "mx": "es-MX",
    "br": "pt-BR",
}

# The day Amazon Ads reports in, per well-known marketplace (the profile's time zone); others: UTC.
MARKETPLACE_TIMEZONES: dict[str, str] = {
    "us": "America/Los_Angeles",
    "ca": "America/Los_Angeles",
    "mx": "America/Los_Angeles",
    "br": "America/Sao_Paulo",
    "uk": "Europe/London",
    "gb": "Europe/London",
    "ie": "Europe/Dublin",
    "de": "Europe/Paris",
    "fr": "Europe/Paris",
    "it": "Europe/Paris",
    "es": "Europe/Paris",
    "nl": "Europe/Amsterdam",
    "se": "Europe/Stockholm",
    "pl": "Europe/Warsaw",
    "be": "Europe/Brussels",
    "tr": "Europe/Istanbul",
    "ae": "Asia/Dubai",
    "sa": "Asia/Riyadh",
    "eg": "Africa/Cairo",
    "in": "Asia/Kolkata",
    "jp": "Asia/Tokyo",
    "sg": "Asia/Singapore",
    "au": "Australia/Sydney",
}

# Amazon Ads API hosts and Login with Amazon token endpoints per advertising region.
ADS_API_URLS = {
    "na": "https://advertising-api.amazon.com",
    "eu": "https://advertising-api-eu.amazon.com",
    "fe": "https://advertising-api-fe.amazon.com",
}
ADS_TOKEN_URLS = {
    "na": "https://api.amazon.com/auth/o2/token",
    "eu": "https://api.amazon.co.uk/auth/o2/token",
    "fe": "https://api.amazon.co.jp/auth/o2/token",
}


def reporting_zone(marketplace: str, configured: str = "") -> ZoneInfo:
    """The zone whose calendar days Amazon Ads reports for ``marketplace``: the configured ``timezone``,
    else the marketplace's usual one (UTC for a marketplace ismon does not know)."""
    return ZoneInfo(configured or MARKETPLACE_TIMEZONES.get(marketplace, "UTC"))
