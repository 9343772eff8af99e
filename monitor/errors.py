"""The one error hierarchy of ismon.

Every failure that ismon expects (bad config, a page that will not load, a mail server that refuses)
is a ``MonitorError``. The CLI turns them into a message and an exit code; anything else is a bug.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error ismon raises on purpose."""

    exit_code = 1


class ConfigError(MonitorError):
    """The config file is missing, unreadable or invalid. Exit code 2."""

    exit_code = 2


class UsageError(MonitorError):
    """A command was called with arguments that cannot work. Exit code 2."""

    exit_code = 2


class PageError(MonitorError):
    """A page could not be parsed at all (not HTML, empty)."""


class ImageError(MonitorError):
    """An image could not be decoded or is unsafe to decode."""


class BrowserError(MonitorError):
    """No browser could be found or launched, or a page load failed."""


class BrowserNotFoundError(BrowserError):
    """No Chromium was found; the message says how to install one."""


class PageLoadTimeoutError(BrowserError):
    """A page did not load in time."""


class StoreError(MonitorError):
    """The database could not be opened or migrated."""


class DeliveryError(MonitorError):
    """An SMTP server could not be reached or refused a message."""


class AuthenticationError(DeliveryError):
    """The SMTP server rejected the credentials: retrying will not help."""


class LockedError(MonitorError):
    """Another sweep holds the lock."""


class AdsApiError(MonitorError):
    """The Amazon Ads API (or its Login with Amazon token endpoint) failed, after the retries that make
    sense; the message says what to do. Nothing of the failed pull was stored."""


class AdsAuthError(AdsApiError):
    """Login with Amazon refused the client id, secret or refresh token: retrying will not help."""


class ReportFileError(MonitorError):
    """An advertising-console report file cannot be loaded (wrong kind, missing column, bad value,
    damaged, unknown marketplace); the message names the file and the column or reason. Exit code 2."""

    exit_code = 2
