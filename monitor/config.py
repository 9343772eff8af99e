"""Configuration: the TOML file of DESIGN.md, validated by pydantic.

First step of the data flow: ``load_config(path)`` reads the file once and returns a frozen ``Config``
that every other part receives as a value. Unknown keys are rejected and every mistake becomes one
``ConfigError`` naming the file, the key and the reason.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor.errors import ConfigError
from monitor.marketplaces import (
    ADS_API_URLS,
    ADS_TOKEN_URLS,
    MARKETPLACE_LOCALES,
    reporting_zone,
)

ASIN_RE = re.compile(r"^[A-Z0-9]{10}$")
MARKETPLACE_KEY_RE = re.compile(r"^[a-z][a-z0-9_-]{0,15}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def validate_cron(expression: str) -> str:
    """Raise ValueError unless ``expression`` is a 5-field crontab expression APScheduler accepts."""
    from apscheduler.triggers.cron import CronTrigger

    if len(expression.split()) != 5:
        raise ValueError(f"{expression!r} is not a cron expression (5 fields: min hour day month dow)")
    try:
        CronTrigger.from_crontab(expression, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"{expression!r} is not a valid cron expression: {exc}") from None
    return expression


CronExpression = Annotated[str, AfterValidator(validate_cron)]


class Marketplace(_Model):
    base_url: str
    postal_code: str = ""
    language: str = ""  # e.g. "en-GB"; empty: derived from the marketplace key
    timezone: str = ""  # IANA zone of the ads reporting day; empty: the marketplace's usual zone
    ads_profile_id: str = ""  # Amazon Ads API profile of this marketplace; empty: no API pull

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"{value!r} is not an IANA time zone (like 'America/Los_Angeles')") from None
        return value

    @field_validator("ads_profile_id")
    @classmethod
    def _profile(cls, value: str) -> str:
        value = value.strip()
        if value and not value.isdigit():
            raise ValueError(f"{value!r} is not an Amazon Ads profile id (digits only)")
        return value

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/")


class Product(_Model):
    asin: str
    marketplace: str
    name: str = ""
    keywords: list[str] = Field(min_length=1)

    @field_validator("asin")
    @classmethod
    def _asin(cls, value: str) -> str:
        value = value.strip().upper()
        if not ASIN_RE.match(value):
            raise ValueError(f"{value!r} is not an ASIN (10 letters or digits)")
        return value

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str]) -> list[str]:
        cleaned = [" ".join(k.split()) for k in value]
        if any(not k for k in cleaned):
            raise ValueError("keywords must not be empty strings")
        return list(dict.fromkeys(cleaned))


class Sweep(_Model):
    schedule: list[CronExpression] = Field(default_factory=lambda: ["0 */4 * * *"])
    jitter_seconds: int = Field(default=0, ge=0, le=3600)
    pages: int = Field(default=1, ge=1, le=20)
    concurrency: int = Field(default=2, ge=1, le=8)
    delay_seconds: tuple[float, float] = (3.0, 8.0)
    timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    retries: int = Field(default=2, ge=0, le=10)
    # A marketplace whose page loads get no answer this many times in a row is given up for the rest
    # of the sweep: its remaining pages are recorded as skipped instead of each timing out again.
    give_up_after_timeouts: int = Field(default=3, ge=1, le=100)
    # A page that was challenged (captcha) is tried again in a fresh session after this pause, once the
    # rest of the marketplace's queue has had its turn.
    challenge_pause_seconds: float = Field(default=60.0, ge=0, le=3600)
    gallery_refresh: CronExpression = "30 3 * * *"  # daily, before the morning sweeps
    # A new evidence screenshot when an ad shows a new image, or its last one is this old; within a
    # sweep a tile that looks like one already photographed shares it (0: every ad, every page).
    screenshot_every_hours: float = Field(default=24.0, ge=0)

    @field_validator("delay_seconds")
    @classmethod
    def _delay(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if low < 0 or high < low:
            raise ValueError("must be [min, max] with 0 <= min <= max")
        return value


class Browser(_Model):
    executable: str = "auto"
    proxy: str | list[str] = ""
    headless: bool = True
    user_agent: str = ""  # empty: a current desktop Chrome user agent
    block_resources: bool = True
    render_on_demand: bool = True  # draw frames only to photograph ads (where Chromium allows)

    @property
    def proxies(self) -> list[str]:
        items = [self.proxy] if isinstance(self.proxy, str) else list(self.proxy)
        return [p for p in items if p]


class Email(_Model):
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str = ""
    password_env: str = "ISMON_SMTP_PASSWORD"
    sender: str = "ismon@example.com"
    recipients: list[str] = Field(default_factory=list)
    timeout_seconds: float = Field(default=30.0, gt=0)
    ca_file: Path | None = None  # a CA bundle to trust (a private relay); default: the system's

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError(f"{value!r} is not an email address")
        return value

    @field_validator("recipients")
    @classmethod
    def _recipients(cls, value: list[str]) -> list[str]:
        for item in value:
            if "@" not in item:
                raise ValueError(f"{item!r} is not an email address")
        return value


class Alerts(_Model):
    mode: Literal["digest", "immediate"] = "digest"
    confirm_after: int = Field(default=1, ge=1, le=20)
    cooldown_hours: float = Field(default=24.0, ge=0)
    not_seen_after: int = Field(default=6, ge=1)  # sweeps without our ad before `not_seen`
    blocked_after: int = Field(default=3, ge=1)  # captchas in a row before `blocked`
    recent_days: int = Field(default=14, ge=1)  # window of "how often each variant was shown"
    optout_grace_hours: float = Field(default=48.0, gt=0)  # an opt-out not in effect after this is overdue


class Ads(_Model):
    """Amazon Ads API access for `ismon ads pull`; the secrets come from the variables named here."""

    region: Literal["na", "eu", "fe"] = "na"
    client_id: str = ""
    client_secret_env: str = "ISMON_ADS_CLIENT_SECRET"
    refresh_token_env: str = "ISMON_ADS_REFRESH_TOKEN"
    schedule: CronExpression = "15 7 * * *"  # the daemon's daily pull
    lookback_days: int = Field(default=14, ge=0, le=60)  # days pulled again: Amazon restates them
    api_url: str = ""  # empty: the region's endpoint
    token_url: str = ""  # empty: the region's Login with Amazon endpoint

    @property
    def api_base(self) -> str:
        return (self.api_url or ADS_API_URLS[self.region]).rstrip("/")

    @property
    def token_endpoint(self) -> str:
        return self.token_url or ADS_TOKEN_URLS[self.region]


class Cluster(_Model):
    """Reserved for several machines sharing one PostgreSQL database (not built yet)."""

    enabled: bool = False


class Config(_Model):
    database_url: str = "sqlite:///ismon.db"
    data_dir: Path = Path("ismon-data")
    marketplaces: dict[str, Marketplace] = Field(default_factory=dict)
    products: list[Product] = Field(default_factory=list)
    sweep: Sweep = Sweep()
    browser: Browser = Browser()
    email: Email | None = None
    alerts: Alerts = Alerts()
    ads: Ads | None = None
    cluster: Cluster = Cluster()
    path: Annotated[Path | None, Field(exclude=True)] = None

    @field_validator("marketplaces")
    @classmethod
    def _keys(cls, value: dict[str, Marketplace]) -> dict[str, Marketplace]:
        for key in value:
            if not MARKETPLACE_KEY_RE.match(key):
                raise ValueError(f"{key!r} is not a marketplace name (lowercase, like 'us' or 'de')")
        return value

    @model_validator(mode="after")
    def _references(self) -> Config:
        for i, product in enumerate(self.products):
            if product.marketplace not in self.marketplaces:
                known = ", ".join(sorted(self.marketplaces)) or "none defined"
                raise _LocatedError(
                    ("products", i, "marketplace"),
                    f"unknown marketplace {product.marketplace!r} (defined: {known})",
                )
        seen: set[tuple[str, str]] = set()
        for i, product in enumerate(self.products):
            key = (product.marketplace, product.asin)
            if key in seen:
                raise _LocatedError(
                    ("products", i, "asin"),
                    f"{product.asin} is listed twice for {product.marketplace}",
                )
            seen.add(key)
        return self

    def locale(self, marketplace: str) -> str:
        configured = self.marketplaces[marketplace].language
        return configured or MARKETPLACE_LOCALES.get(marketplace, "en-US")

    def timezone(self, marketplace: str) -> ZoneInfo:
        """The zone whose calendar days Amazon Ads reports for ``marketplace``."""
        configured = self.marketplaces[marketplace].timezone if marketplace in self.marketplaces else ""
        return reporting_zone(marketplace, configured)


class _LocatedError(ValueError):
    """A cross-field error that knows which key it belongs to."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def _dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _format_validation(path: Path, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        ctx_error = (err.get("ctx") or {}).get("error")
        if isinstance(ctx_error, _LocatedError):
            lines.append(f"{path}: {_dotted(ctx_error.loc)}: {ctx_error.message}")
            continue
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; see `ismon init` for every key)"
        lines.append(f"{path}: {_dotted(loc)}: {message}")
    return "\n".join(lines)


def _resolve_paths(data: dict[str, object], base: Path) -> dict[str, object]:
    url = data.get("database_url", "sqlite:///ismon.db")  # the default too is beside the config file
    if isinstance(url, str) and url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        db_path = Path(url.removeprefix("sqlite:///"))
        if not db_path.is_absolute():
            data["database_url"] = f"sqlite:///{(base / db_path).resolve()}"
    email = data.get("email")
    if isinstance(email, dict) and isinstance(email.get("ca_file"), str):
        ca_file = Path(email["ca_file"]).expanduser()
        email["ca_file"] = ca_file if ca_file.is_absolute() else (base / ca_file).resolve()
    data_dir = data.get("data_dir", "ismon-data")
    if isinstance(data_dir, str):
        candidate = Path(data_dir)
        data["data_dir"] = candidate if candidate.is_absolute() else (base / candidate).resolve()
    return data


def parse_config(text: str, path: Path) -> Config:
    """Validate TOML text as ismon's config; ``path`` anchors relative paths and error messages.

    Secrets are not read here: commands read them when they need them (``monitor.secrets``).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    data = _resolve_paths(data, path.resolve().parent)
    data["path"] = path
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation(path, exc)) from None
    return config


def load_config(path: Path) -> Config:
    """Read and validate the config file (no secret is needed for that)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such config file (create one with `ismon init`, or pass --config)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(text, path)
