"""Who is calling: the signed-in person (or machine client) behind a request, and the
authorization decisions every route makes about them.

A service never trusts an identity sent in a request body. The caller comes from the
request's credentials through the service's ``Authenticator`` (JWT verified against the
gateway's JWKS once identity is configured); routes ask for it with ``CallerDep`` and decide
with ``Caller.require``. No framework import here beyond typing: the dependency that reads
the request lives in ``ekinerja_shared.http``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Literal, Protocol

from .errors import DomainError, Forbidden, NotFound


class Role(enum.StrEnum):
    """Roles within one regency (tenant); ``OPERATOR`` is the platform's, across regencies."""

    EMPLOYEE = "employee"      # own entries, own days, own score
    SUPERVISOR = "supervisor"  # decides subordinates' entries, sees the team
    VERIFIER = "verifier"      # may revoke an approval
    HR = "hr"                  # BKPSDM: roster, devices, schedules, rules, policy, close
    LEADER = "leader"          # leadership / inspectorate: read-only over the regency
    OPERATOR = "operator"      # platform operator: creates regencies; access is audited


class Unauthenticated(DomainError):
    """Credentials were sent but are not valid (expired, badly signed, unknown key...)."""

    status_code = 401
    code = "unauthenticated"


CallerKind = Literal["user", "client", "anonymous"]


@dataclass(frozen=True)
class Caller:
    """The acting person or client of one request.

    ``tenant_id`` is None only for the platform operator (and anonymous callers); ``nip`` is
    None for machine clients. ``scopes`` are a machine client's grants."""

    subject: str
    tenant_id: str | None
    nip: str | None
    roles: frozenset[Role] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    kind: CallerKind = "user"

    @property
    def authenticated(self) -> bool:
        return self.kind != "anonymous"

    @property
    def is_operator(self) -> bool:
        return Role.OPERATOR in self.roles

    def has(self, *roles: Role) -> bool:
        """True when the caller holds any of ``roles`` (the operator holds them all)."""
        return self.is_operator or any(r in self.roles for r in roles)

    def sees_tenant(self, tenant_id: str) -> bool:
        return self.is_operator or (self.tenant_id is not None and self.tenant_id == tenant_id)

    def require(self, tenant_id: str | None = None, *roles: Role,
                scope: str | None = None) -> "Caller":
        """The authorization decision of a route.

        - not signed in: 401;
        - a regency that is not the caller's: 404 (other regencies are not revealed);
        - none of ``roles`` (when given) and no ``scope`` grant: 403.
        Returns the caller so that a route can write ``caller = caller.require(...)``."""
        if not self.authenticated:
            raise Unauthenticated("Silakan masuk terlebih dahulu.", code="not_signed_in")
        if tenant_id is not None and not self.sees_tenant(tenant_id):
            raise NotFound("Instansi tidak ditemukan.", code="tenant_not_found")
        if roles or scope:
            if roles and self.has(*roles):
                return self
            if scope and scope in self.scopes:
                return self
            raise Forbidden("Anda tidak berwenang melakukan tindakan ini.", code="forbidden")
        return self

    def require_self_or(self, tenant_id: str, nip: str, *roles: Role) -> "Caller":
        """Own data (the caller's NIP), or one of ``roles`` in that regency."""
        self.require(tenant_id)
        if self.nip == nip or self.has(*roles):
            return self
        raise Forbidden("Anda hanya dapat mengakses data Anda sendiri.", code="own_data_only")


ANONYMOUS = Caller(subject="anonymous", tenant_id=None, nip=None, kind="anonymous")


class Authenticator(Protocol):
    """Turns a request's credentials into a ``Caller``.

    ``authorization`` is the ``Authorization`` header (or None), ``cookies`` the request's
    cookies. Returns ``ANONYMOUS`` when there are no credentials; raises ``Unauthenticated``
    when there are credentials that are not valid."""

    async def authenticate(self, authorization: str | None,
                           cookies: dict[str, str]) -> Caller: ...


class AdminTokenAuthenticator:
    """Used only when a service is given no way to verify the gateway's tokens (neither
    ``EK_AUTH_JWKS_URL`` nor ``EK_AUTH_JWKS``): ``EK_ADMIN_TOKEN`` as a Bearer token makes
    the platform operator, and nothing else is accepted. Without an admin token nobody is
    let in: a service never falls open."""

    def __init__(self, admin_token: str | None) -> None:
        self._token = admin_token

    async def authenticate(self, authorization: str | None,
                           cookies: dict[str, str]) -> Caller:
        if self._token and authorization == f"Bearer {self._token}":
            return Caller(subject="admin-token", tenant_id=None, nip=None,
                          roles=frozenset({Role.OPERATOR}), kind="client")
        if authorization:
            raise Unauthenticated("Token akses tidak valid; silakan masuk kembali.",
                                  code="invalid_token")
        return ANONYMOUS
