"""Tables of sign-in (the gateway's database, migration 0003): accounts, refresh tokens,
signing keys, machine clients, per-regency OIDC providers, pending OIDC sign-ins,
failed sign-in counters and the append-only audit log."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ekinerja_shared.db import AwareDateTime, BigIntPK
from ekinerja_shared.timeutil import utcnow

from ..adapters.orm import Base


class Account(Base):
    """A person's sign-in: ``realm`` is the tenant id (``*`` for platform operators),
    ``login`` the NIP (the operator's name). Roles HR grants live here; the others follow
    from the directory. ``password_hash`` is None for SSO-only accounts."""

    __tablename__ = "auth_accounts"
    realm: Mapped[str] = mapped_column(String(64), primary_key=True)
    login: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str | None] = mapped_column(Text, nullable=True)
    must_change: Mapped[bool] = mapped_column(default=False)
    demo: Mapped[bool] = mapped_column(default=False)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, nullable=True)
    password_set_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, nullable=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class RefreshToken(Base):
    """A server-side refresh token (only its SHA-256 is stored). Each use rotates it: the
    used one gets ``used_at`` and its successor joins the same ``family_id``; a used token
    presented again revokes the whole family (reuse detection)."""

    __tablename__ = "auth_refresh_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    realm: Mapped[str] = mapped_column(String(64))
    login: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(16), default="password")  # password | oidc
    issued_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(AwareDateTime)
    family_expires_at: Mapped[dt.datetime] = mapped_column(AwareDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (Index("ix_auth_refresh_account", "realm", "login"),)


class SigningKey(Base):
    """An ES256 key pair of the gateway. The newest key whose ``activates_at`` has come
    signs; JWKS publishes keys from creation (ahead of use) until ``retired_at`` plus the
    longest token lifetime. ``private_jwk`` is a JWE (``encrypted``) or plain JSON."""

    __tablename__ = "auth_signing_keys"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    private_jwk: Mapped[str] = mapped_column(Text)
    encrypted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    activates_at: Mapped[dt.datetime] = mapped_column(AwareDateTime)
    retired_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, nullable=True)


class Client(Base):
    """A regency's machine client (SIMPEG, payroll): client credentials with scopes.
    The secret is random (256 bits): its SHA-256 is stored."""

    __tablename__ = "auth_clients"
    client_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, nullable=True)


class OidcProvider(Base):
    """A regency's own identity provider (Keycloak, SIASN SSO...): OIDC authorization
    code + PKCE; ``nip_claim`` names the ID-token claim holding the NIP."""

    __tablename__ = "auth_oidc_providers"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret: Mapped[str] = mapped_column(Text)
    secret_encrypted: Mapped[bool] = mapped_column(default=False)
    nip_claim: Mapped[str] = mapped_column(String(100), default="nip")
    scopes: Mapped[str] = mapped_column(String(300), default="openid profile")
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)


class OidcLogin(Base):
    """A sign-in sent to the provider and not back yet: the PKCE verifier and the nonce,
    under the SHA-256 of ``state``; used once."""

    __tablename__ = "auth_oidc_logins"
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    nonce: Mapped[str] = mapped_column(String(128))
    next_path: Mapped[str] = mapped_column(String(500), default="/")
    expires_at: Mapped[dt.datetime] = mapped_column(AwareDateTime, index=True)


class ThrottleCounter(Base):
    """Failed sign-ins of one key (``account:<realm>:<login>`` or ``ip:<address>``)."""

    __tablename__ = "auth_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(AwareDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(AwareDateTime, nullable=True)


class AuditEntry(Base):
    """Append-only (the database refuses UPDATE and DELETE): who did what, when, from
    where. ``tenant_id`` is the regency concerned (None for platform events). The
    gateway's sign-in events are written here directly (``service`` None); the other
    services' records arrive as ``AuditRecorded`` events (migration 0005:
    ``event_id``, unique, and the fields the contract adds)."""

    __tablename__ = "auth_audit"
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(AwareDateTime, default=utcnow)
    tenant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str | None] = mapped_column(String(200), nullable=True)
    source_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(300), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    service: Mapped[str | None] = mapped_column(String(32), nullable=True)
    actor_nip: Mapped[str | None] = mapped_column(String(32), nullable=True)
    actor_roles: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    forwarded_for: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (Index("ix_auth_audit_tenant", "tenant_id", "id"),
                      Index("ux_auth_audit_event", "event_id", unique=True))
