"""SQLModel tables: what ismon remembers between runs.

The store (``store/queries.py``) writes these rows; the Alembic migrations under ``migrations/`` create
them, and a test proves the two agree. Times are timezone-aware UTC on every backend.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

# Named constraints: Alembic's batch mode on SQLite needs names to alter them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp that is stored as UTC and always read back timezone-aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: ismon stores timezone-aware UTC only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Marketplace(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=16)
    base_url: str
    postal_code: str = ""


class Product(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("marketplace_id", "asin"),)

    id: int | None = Field(default=None, primary_key=True)
    marketplace_id: int = Field(foreign_key="marketplace.id", index=True)
    asin: str = Field(max_length=10, index=True)
    name: str = ""
    active: bool = True


class Keyword(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("product_id", "text"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    text: str
    active: bool = True


class GalleryImage(SQLModel, table=True):
    """One slot of a listing's gallery as imported at ``fetched_at``; ``retired_at`` ends its validity."""

    __tablename__ = "gallery_image"

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    variant: str = Field(max_length=8)
    slot: int  # order in the gallery, 0-based
    image_ids: str  # space-separated: hiRes id first, then the large id
    url: str | None = None
    sha256: str | None = None  # of the image bytes; the file lives under data_dir/images
    fingerprint: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    fetched_at: datetime = Field(sa_type=UTCDateTime)
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


class SweepRun(SQLModel, table=True):
    __tablename__ = "sweep_run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(sa_type=UTCDateTime, index=True)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    trigger: str = "manual"  # manual | cron | daemon | demo
    status: str = "running"  # running | ok | failed | interrupted
    pages: int = 0
    failures: int = 0
    sightings: int = 0
    events: int = 0
    note: str = ""


class PageVisit(SQLModel, table=True):
    __tablename__ = "page_visit"
    __table_args__ = (sa.Index("ix_page_visit_keyword_seen", "keyword", "seen_at"),)

    id: int | None = Field(default=None, primary_key=True)
    sweep_id: int | None = Field(default=None, foreign_key="sweep_run.id", index=True)
    marketplace: str = Field(max_length=16)
    keyword: str
    page: int = 1
    url: str
    seen_at: datetime = Field(sa_type=UTCDateTime, index=True)
    status: str  # page kind (search, captcha, no_results, unknown, product) or "error"
    error: str = ""
    duration_ms: int = 0
    bytes: int = 0
    ads: int = 0
    own_ads: int = 0
    organic: int = 0
    attempts: int = 1


class Sighting(SQLModel, table=True):
    __table_args__ = (
        sa.Index("ix_sighting_asin_keyword_seen", "asin", "keyword", "seen_at"),
        sa.Index("ix_sighting_keyword_seen", "keyword", "seen_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="page_visit.id", index=True)
    product_id: int | None = Field(default=None, foreign_key="product.id")
    seen_at: datetime = Field(sa_type=UTCDateTime, index=True)
    marketplace: str = Field(max_length=16)
    keyword: str
    asin: str = Field(max_length=10)
    unit: str = Field(max_length=16)
    placement: str | None = None
    position: int | None = None
    page: int = 1
    image_url: str | None = None
    image_id: str | None = None
    image_sha256: str | None = None  # the ad image bytes, under data_dir/images
    screenshot_sha256: str | None = None  # element screenshot, under data_dir/screenshots
    verdict: str = Field(max_length=10)  # match | ambiguous | unknown
    variant: str | None = Field(default=None, max_length=8)
    method: str = Field(default="hash", max_length=10)  # image_id | hash
    distance: float | None = None
    runner_up: str | None = Field(default=None, max_length=8)
    runner_up_distance: float | None = None
    id_mismatch: bool = False


class Event(SQLModel, table=True):
    __table_args__ = (sa.Index("ix_event_asin_keyword_created", "asin", "keyword", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=24, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)
    marketplace: str = Field(max_length=16)
    asin: str | None = Field(default=None, max_length=10)
    keyword: str | None = None
    unit: str | None = Field(default=None, max_length=16)
    variant: str | None = Field(default=None, max_length=8)
    previous_variant: str | None = Field(default=None, max_length=8)
    sighting_id: int | None = Field(default=None, foreign_key="sighting.id")
    sweep_id: int | None = Field(default=None, foreign_key="sweep_run.id")
    detail: str = ""  # a sentence for people
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id", index=True)


class Outbox(SQLModel, table=True):
    """One email to deliver. It leaves (status ``sent``) only when an SMTP server accepted it."""

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)
    subject: str
    status: str = Field(default="pending", max_length=10, index=True)  # collecting | pending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the retry after a failure
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)  # a flush is sending it
    last_error: str = ""
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    message: bytes | None = Field(default=None, sa_type=sa.LargeBinary)  # the rendered MIME message


class Heartbeat(SQLModel, table=True):
    """What the daemon last said about itself, for `ismon check`."""

    name: str = Field(primary_key=True, max_length=32)
    pid: int
    started_at: datetime = Field(sa_type=UTCDateTime)
    beat_at: datetime = Field(sa_type=UTCDateTime)
    next_sweep_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    state: str = ""


# --- Amazon Ads data (monitor/ads) ---------------------------------------------------------------


class AdsDay(SQLModel, table=True):
    """One marketplace-local day of a search term (or targeted keyword) in an ad group.

    Rows of one (marketplace, report, day, campaign) are replaced as a whole when a report covering that
    day and campaign is loaded again, from a file or the API, so nothing is ever counted twice
    (``monitor.ads.store``).
    """

    __tablename__ = "ads_day"
    __table_args__ = (
        sa.UniqueConstraint(
            "marketplace",
            "report",
            "day",
            "campaign",
            "ad_group",
            "keyword",
            "match_type",
            name="uq_ads_day_row",
        ),
        sa.Index("ix_ads_day_asin_keyword_day", "asin", "keyword_norm", "day"),
        sa.Index("ix_ads_day_marketplace_day", "marketplace", "day"),
        sa.Index("ix_ads_day_ad_group", "marketplace", "campaign", "ad_group"),  # re-attribution
    )

    id: int | None = Field(default=None, primary_key=True)
    marketplace: str = Field(max_length=16)
    day: date  # the marketplace-local date Amazon reports
    report: str = Field(max_length=16)  # search_term | targeting
    keyword: str  # the customer search term, or the targeted keyword, as reported
    keyword_norm: str  # NFKC, case-folded, whitespace collapsed: what configured keywords are matched on
    match_type: str = Field(default="", max_length=32)
    campaign: str
    ad_group: str
    asin: str | None = Field(default=None, max_length=10)  # only when the ad group advertises one own ASIN
    asin_note: str = ""  # why asin is null
    impressions: int = 0
    clicks: int = 0
    cost: float = 0.0
    orders: int = 0
    sales: float = 0.0
    currency: str = Field(default="", max_length=3)
    source: str = Field(max_length=8)  # file | api
    loaded_at: datetime = Field(sa_type=UTCDateTime)


class AdsAdvertised(SQLModel, table=True):
    """One day of an advertised product in an ad group (the Advertised product report)."""

    __tablename__ = "ads_advertised"
    __table_args__ = (
        sa.UniqueConstraint(
            "marketplace", "day", "campaign", "ad_group", "asin", name="uq_ads_advertised_row"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    marketplace: str = Field(max_length=16)
    day: date
    campaign: str
    ad_group: str
    asin: str = Field(max_length=10, index=True)
    sku: str = ""
    impressions: int = 0
    clicks: int = 0
    cost: float = 0.0
    orders: int = 0
    sales: float = 0.0
    currency: str = Field(default="", max_length=3)
    source: str = Field(max_length=8)  # file | api
    loaded_at: datetime = Field(sa_type=UTCDateTime)


class AdsReportJob(SQLModel, table=True):
    """A report asked of the Amazon Ads API, kept so that a restarted daemon collects it, not asks again."""

    __tablename__ = "ads_report_job"

    id: int | None = Field(default=None, primary_key=True)
    marketplace: str = Field(max_length=16)
    profile_id: str = Field(max_length=32)
    report_type: str = Field(max_length=32)  # spSearchTerm | spTargeting | spAdvertisedProduct
    start_day: date
    end_day: date
    report_id: str = Field(unique=True)
    status: str = Field(default="pending", max_length=10, index=True)  # pending | stored | failed
    requested_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    error: str = ""


# --- opt-out requests (monitor/alerts/optouts.py) -------------------------------------------------------


class OptOutRequest(SQLModel, table=True):
    """The seller asked Seller Support to stop ImageSmith for an ASIN (some of its keywords, or all).

    ``effective_at`` is filled when later sightings show MAIN again; ``overdue_event_id`` once the
    ``optout_overdue`` event was made, so it is told once.
    """

    __tablename__ = "optout_request"

    id: int | None = Field(default=None, primary_key=True)
    marketplace: str = Field(max_length=16)
    asin: str = Field(max_length=10, index=True)
    keywords: str = ""  # JSON list of keywords; empty list: every keyword of the ASIN
    case_id: str = ""
    requested_at: datetime = Field(sa_type=UTCDateTime)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    effective_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    overdue_event_id: int | None = Field(default=None, foreign_key="event.id")
