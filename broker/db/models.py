"""Tables of the broker. The jobs table is the queue of every kind of work; the ledger is
insert-only and keyed by job."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(at: datetime) -> datetime:
    """A stored time as an aware UTC one (SQLite hands back naive UTC, PostgreSQL aware)."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (CheckConstraint("balance >= 0", name="ck_accounts_balance_nonneg"),)

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    # Cached sum of the ledger, kept in the same transaction as each ledger row so that a
    # conditional UPDATE ... WHERE balance >= cost can refuse an overdraft atomically.
    balance: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(32), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(500), default="*")
    # A vendor key's plan (a Refinery key's starter|pro|enterprise): its size and quota limits.
    tier: Mapped[str | None] = mapped_column(String(32))
    # Signs the webhooks of the jobs this key submits (HMAC-SHA256); kept, not hashed.
    webhook_secret: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    account: Mapped[Account] = relationship()


class CreditEntry(Base):
    """One ledger row. A job's credits are reserved when it is accepted, then settled once:
    charged when it succeeds, refunded when it fails. The two unique indexes make
    "exactly once" a database fact, whatever retries or races happen."""

    __tablename__ = "credit_ledger"
    __table_args__ = (
        UniqueConstraint("job_id", "kind", name="uq_ledger_job_kind"),
        Index(
            "uq_ledger_job_settled",
            "job_id",
            unique=True,
            sqlite_where=text("kind IN ('charge', 'refund')"),
            postgresql_where=text("kind IN ('charge', 'refund')"),
        ),
        CheckConstraint(
            "kind IN ('grant', 'signup', 'reserve', 'charge', 'refund')", name="ck_ledger_kind"
        ),
        CheckConstraint(
            "(job_id IS NULL) = (kind IN ('grant', 'signup'))", name="ck_ledger_job_kinds"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    delta: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Model(Base):
    __tablename__ = "models"
    # One live model per file and account: concurrent uploads of one file cannot both insert
    # (the loser answers as a duplicate). Deleted models are outside it, archived ones inside.
    __table_args__ = (
        Index(
            "uq_models_account_sha",
            "account_id",
            "sha256",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(500))
    sku: Mapped[str | None] = mapped_column(String(200))
    file_size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    file_format: Mapped[str] = mapped_column(String(8))
    storage_key: Mapped[str] = mapped_column(String(300))
    # The file as uploaded (``storage_key`` itself unless it was converted to GLB); NULL
    # for an OBJ scan converted before migration 0007, whose upload was not kept.
    source_key: Mapped[str | None] = mapped_column(String(300))
    source_format: Mapped[str | None] = mapped_column(String(16))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # Reachable by anyone through the Thrixel API (migration 0011); its owner's choice.
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    tags: Mapped[list[ModelTag]] = relationship(
        cascade="all, delete-orphan", order_by="ModelTag.position", lazy="selectin"
    )


class ModelTag(Base):
    """One row per tag so that the OR filter of GET /v1/models is an indexed IN query."""

    __tablename__ = "model_tags"

    model_id: Mapped[str] = mapped_column(ForeignKey("models.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Job(Base):
    """One unit of work of any kind: the queue, the state machine and the billing key.

    ``spec`` is the typed job spec (workers.specs) as JSON; ``state`` moves only through
    broker.jobs.machine (a compare-and-set on ``version``, with a ``job_events`` row);
    ``phase`` is the kind's progress inside ``running``, ``fraction`` the share of its
    frames drawn (0–1) where the kind reports one. The lease fences stale workers.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_state_lease", "state", "lease_expires_at"),
        Index("ix_jobs_account_state", "account_id", "state"),
        CheckConstraint(
            "state IN ('queued', 'running', 'succeeded', 'failed', 'dismissed', 'cancelled')",
            name="ck_jobs_state",
        ),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    phase: Mapped[str | None] = mapped_column(String(32))
    fraction: Mapped[float | None] = mapped_column(Float)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    credits: Mapped[int] = mapped_column(Integer, default=0)
    error_message: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class JobTransition(Base):
    """The history of a job: who moved it from which state to which, when, and why."""

    __tablename__ = "job_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    by: Mapped[str] = mapped_column(String(100))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    phase: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(Text)


class Render(Base):
    """The outputs of a render or dataset job (its state is the job's)."""

    __tablename__ = "renders"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), unique=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    is_system_preview: Mapped[bool] = mapped_column(Boolean, default=False)
    batch_id: Mapped[str | None] = mapped_column(String(16), index=True)
    file_size: Mapped[int | None] = mapped_column(Integer)
    has_web_variant: Mapped[bool] = mapped_column(Boolean, default=False)
    # Object-store keys of the finished outputs, by asset name (video, web, thumb, poster...).
    assets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    job: Mapped[Job] = relationship(lazy="joined", innerjoin=True)


class FleetFlag(Base):
    """Fleet-wide switches the dispatcher reads every round (e.g. ``draining``)."""

    __tablename__ = "fleet_flags"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Overlay(Base):
    """A reusable background/foreground image; ``published`` ones are system overlays
    that every account can use (an admin publishes them with ``meshfarm admin``)."""

    __tablename__ = "overlays"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    layer: Mapped[str] = mapped_column(String(16))
    alignment: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500))
    image_format: Mapped[str] = mapped_column(String(8))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    file_size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(300))
    published: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Conversion(Base):
    """One uploaded file and what its convert job made of it (its state is the job's).

    ``assets`` holds the object-store keys of the outputs by name (``asset``, ``report``,
    ``report_pdf``); ``report`` is the health report itself, kept for status and listing;
    ``token_id`` is the key that submitted it (a vendor key's quota counts its conversions).
    """

    __tablename__ = "conversions"
    __table_args__ = (Index("ix_conversions_token_created", "token_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_id: Mapped[str | None] = mapped_column(ForeignKey("api_tokens.id"))
    filename: Mapped[str] = mapped_column(String(255))
    source_key: Mapped[str] = mapped_column(String(300))
    source_format: Mapped[str] = mapped_column(String(16))
    source_size: Mapped[int] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(16))
    webhook_url: Mapped[str | None] = mapped_column(String(2048))
    assets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    health_score: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The conversion cache's key of this input, target, options and converter version
    # (broker.services.format_cache); NULL for rows written before migration 0009.
    cache_key: Mapped[str | None] = mapped_column(String(64), index=True)

    job: Mapped[Job] = relationship(lazy="joined", innerjoin=True)


class ConvertedFile(Base):
    """The conversion cache: one row per key, naming the conversion whose outputs are the
    key's file. The primary key makes "one conversion per key" the database's: of callers
    racing for a key one inserts, the others read its row. A failed conversion's row is
    pointed at a new one by a compare-and-set on ``conversion_id`` (a retry)."""

    __tablename__ = "converted_files"

    cache_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversion_id: Mapped[str] = mapped_column(ForeignKey("conversions.id"), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ModelView(Base):
    """A model file's rendered views (broker.services.model_views): one row per key (the
    file's SHA-256 and the views version), naming the views job that renders them and,
    once it succeeded, the PNGs' keys by name (``assets``). The primary key makes "one
    views job per file" the database's; a failed job's row is pointed at a new job by a
    compare-and-set on ``job_id`` (a retry)."""

    __tablename__ = "model_views"

    views_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)
    assets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    job: Mapped[Job] = relationship(lazy="joined", innerjoin=True)


class WebhookDelivery(Base):
    """A webhook still to deliver (an outbox row, written with the job's final move): a
    crash loses none, and the delivery loop retries it with backoff until ``max`` tries."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhooks_due", "delivered_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # One row per job: two brokers that both find a finished job cannot both enqueue it.
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True, unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    body: Mapped[str] = mapped_column(Text)
    secret: Mapped[str | None] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    given_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SimReadyAsset(Base):
    """A simulation-ready job as a client sees it: a 3D file (or a generated model) made
    into a SimReady USD and an MJCF package, or a simulation of one (``source_id`` its
    parent). Its state, phase and credits are its job's; here are what the client sent,
    what the pipeline measured and the files it made."""

    __tablename__ = "simready_assets"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_id: Mapped[str | None] = mapped_column(ForeignKey("api_tokens.id"))
    job_type: Mapped[str] = mapped_column(String(32), index=True)
    filename: Mapped[str] = mapped_column(String(500))
    """The upload's name, or a text prompt verbatim."""
    source_key: Mapped[str | None] = mapped_column(String(300))
    source_format: Mapped[str | None] = mapped_column(String(16))
    source_size: Mapped[int | None] = mapped_column(Integer)
    source_id: Mapped[str | None] = mapped_column(ForeignKey("simready_assets.id"), index=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    input_meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """What a ZIP upload held: its primary file, textures and file tree."""
    assets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    input_stats: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    preprocess_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    preprocess_completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    job: Mapped[Job] = relationship(lazy="joined", innerjoin=True)


class IdempotencyKey(Base):
    """A POST sent with an ``Idempotency-Key`` (broker.api.idempotency): one row per
    account and key, claimed before the request runs (the primary key makes "runs once"
    the database's) and completed with the first answer, which a repeat within 24 h gets
    back. ``fingerprint`` is the request's (method, path, body) hash; a row without a
    ``status_code`` is a request still running."""

    __tablename__ = "idempotency_keys"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    headers: Mapped[list[list[str]] | None] = mapped_column(JSON)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
