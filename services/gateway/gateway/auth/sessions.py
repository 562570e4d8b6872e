"""Use cases of signing in and out: local sign-in (with the forced change of a one-time
password), refresh-token rotation with reuse detection, sign-out, the machine clients'
client-credentials grant, and the issuing shared with OIDC sign-in.

Each use case runs in the shared unit of work (the sign-in package's is cross-regency,
named "sign-in": accounts are found by login before any regency is known). Failures are
recorded (audit, throttle counters) and committed before the error is raised (the
transaction returns ``Refused``); tokens are signed after the commit (the key ring has its
own transactions)."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.errors import DomainError, Forbidden
from ekinerja_shared.identity import Caller, Role, Unauthenticated
from ekinerja_shared.timeutil import utcnow
from ekinerja_shared.uow import Refused, UnitOfWork

from ..adapters.orm import Employee
from ..settings import Settings
from . import store
from .keys import KeyRing
from .orm import Account, Client
from .passwords import Passwords
from .rules import (
    PLATFORM,
    ThrottlePolicy,
    TooManyAttempts,
    access_claims,
    check_new_password,
    check_scopes,
    person_roles,
    subject_of,
    tenant_of,
)
from .store import Source


def bad_credentials() -> Unauthenticated:
    return Unauthenticated("NIP atau kata sandi salah.", code="invalid_credentials")


@dataclass
class Issued:
    """What a sign-in gives: the access token, and for a full session a refresh token and
    the CSRF token of the browser cookies. ``restricted``: only the password change."""

    access_token: str
    expires_in: int
    claims: dict[str, Any]
    refresh_token: str | None = None
    csrf_token: str | None = None
    restricted: bool = False


@dataclass
class _Pending:
    claims: dict[str, Any]
    refresh_token: str | None = None
    restricted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def realm_login(caller: Caller) -> tuple[str, str]:
    """The account behind a signed-in person."""
    if caller.kind == "user" and caller.is_operator and caller.subject.startswith("operator:"):
        return PLATFORM, caller.subject.removeprefix("operator:")
    if caller.kind == "user" and caller.tenant_id and caller.nip:
        return caller.tenant_id, caller.nip
    raise Forbidden("Hanya akun pegawai atau operator yang dapat melakukan ini.",
                    code="not_a_person")


def _who(realm: str, login: str, now: dt.datetime, source: Source | None,
         **extra: Any) -> dict[str, Any]:
    """The audit fields of an event about an account."""
    return dict(actor=subject_of(realm, login), tenant_id=tenant_of(realm), at=now,
                target=login, source=source, **extra)


def refusal(account: Account | None, emp: Employee | None, realm: str) -> DomainError | None:
    """Why an existing account may not have a session (None: it may)."""
    if account is None:
        return Unauthenticated("Sesi tidak valid; silakan masuk kembali.", code="invalid_session")
    if account.disabled_at is not None:
        return Forbidden("Akun Anda dinonaktifkan. Hubungi pengelola kepegawaian (BKPSDM) "
                         "instansi Anda.", code="account_disabled")
    if realm != PLATFORM and (emp is None or not emp.active):
        return Forbidden("Anda tidak lagi terdaftar sebagai pegawai aktif pada instansi ini.",
                         code="employee_inactive")
    return None


class AuthService:
    def __init__(self, uow: UnitOfWork, settings: Settings, keys: KeyRing,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.uow = uow
        self.settings = settings
        self.keys = keys
        self.passwords = Passwords(settings)
        self.clock = clock
        s = settings
        self.account_policy = ThrottlePolicy(s.auth_throttle_account_max,
                                             s.auth_throttle_window_s, s.auth_throttle_lock_s)
        self.ip_policy = ThrottlePolicy(s.auth_throttle_ip_max, s.auth_throttle_window_s,
                                        s.auth_throttle_lock_s)

    # --- issuing -----------------------------------------------------------------------------

    async def _pending(self, session: AsyncSession, account: Account, now: dt.datetime, *,
                       method: str, source: Source | None, restricted: bool = False,
                       family_id: uuid.UUID | None = None,
                       family_expires_at: dt.datetime | None = None) -> _Pending:
        realm, login = account.realm, account.login
        if realm == PLATFORM:
            roles: frozenset[Role] = frozenset({Role.OPERATOR})
        else:
            emp = await store.employee(session, realm, login)
            roles = person_roles(active=bool(emp and emp.active),
                                 is_supervisor=await store.is_supervisor(session, realm, login),
                                 granted=account.roles)
        claims = access_claims(
            issuer=self.settings.auth_issuer, subject=subject_of(realm, login), kind="user",
            tenant_id=tenant_of(realm), nip=None if realm == PLATFORM else login, roles=roles,
            now=now, ttl_s=self.settings.auth_access_ttl_s, jti=uuid.uuid4().hex,
            restricted=restricted)
        if restricted:
            return _Pending(claims, restricted=True)
        refresh = await store.new_refresh(
            session, realm=realm, login=login, method=method, now=now,
            ttl_s=self.settings.auth_refresh_ttl_s, family_id=family_id, source=source,
            family_expires_at=family_expires_at or now + dt.timedelta(
                seconds=self.settings.auth_session_max_s))
        return _Pending(claims, refresh_token=refresh)

    async def _finish(self, pending: _Pending) -> Issued:
        token = await self.keys.sign(pending.claims)
        return Issued(access_token=token, expires_in=pending.claims["exp"] - pending.claims["iat"],
                      claims=pending.claims, refresh_token=pending.refresh_token,
                      csrf_token=secrets.token_urlsafe(24), restricted=pending.restricted)

    async def _throttled(self, session: AsyncSession, keys: list[str], action: str,
                         realm: str | None, login: str, source: Source,
                         now: dt.datetime) -> Refused | None:
        """Use case: refused (and the refusal audited) while a key is locked."""
        wait = await store.throttle_wait(session, keys, now)
        if not wait:
            return None
        store.audit(session, action, actor=subject_of(realm, login) if realm else login,
                    tenant_id=tenant_of(realm) if realm else None, at=now, target=login,
                    source=source)
        return Refused(TooManyAttempts(wait))

    def _throttle(self, own_key: str, ip_key: str) -> dict[str, ThrottlePolicy]:
        """The throttle keys of an attempt: the account's (or client's) first, then the
        source address's."""
        return {own_key: self.account_policy, ip_key: self.ip_policy}

    @staticmethod
    async def _failed(session: AsyncSession, /, keys: dict[str, ThrottlePolicy],
                      now: dt.datetime, action: str, error: DomainError,
                      **fields: Any) -> Refused:
        """Use case: a failed attempt counts against its throttle keys, is audited, and is
        refused (after the commit)."""
        await store.throttle_fail(session, keys, now)
        store.audit(session, action, **fields)
        return Refused(error)

    async def _password_hash(self, realm: str, login: str) -> str | None:
        async with self.uow.read() as session:
            account = await store.get_account(session, realm, login)
            return account.password_hash if account else None

    # --- local sign-in -------------------------------------------------------------------------

    async def login(self, realm: str, login: str, password: str, source: Source) -> Issued:
        """Sign in with NIP (operator name) and password. A one-time password gives a
        restricted token that only opens the password change."""
        now = self.clock()
        account_key, ip_key = f"account:{realm}:{login}", f"ip:{source.ip}"
        await self.uow.run(self._throttled, [account_key, ip_key], "login_throttled", realm,
                           login, source, now)
        hashed = await self._password_hash(realm, login)
        ok = await self.passwords.verify(hashed, password)
        rehash = await self.passwords.hash(password) if ok and hashed and \
            self.passwords.needs_rehash(hashed) else None
        pending = await self.uow.run(self._login, realm, login, ok, hashed, rehash,
                                     self._throttle(account_key, ip_key), source, now)
        return await self._finish(pending)

    async def _login(self, session: AsyncSession, realm: str, login: str, ok: bool,
                     hashed: str | None, rehash: str | None,
                     throttle: dict[str, ThrottlePolicy], source: Source,
                     now: dt.datetime) -> _Pending | Refused:
        """Use case: the verified (or not) password of an account; ``throttle``: its keys,
        the account's first."""
        account = await store.get_account(session, realm, login, lock=True)
        common = _who(realm, login, now, source)
        if not ok or account is None or account.password_hash != hashed:
            reason = ("unknown_account" if account is None else
                      "no_password" if account.password_hash is None else "bad_password")
            return await self._failed(session, throttle, now, "login_failed",
                                      bad_credentials(), method="password", reason=reason,
                                      **common)
        emp = None if realm == PLATFORM else await store.employee(session, realm, login)
        error = refusal(account, emp, realm)
        if error is not None:
            store.audit(session, "login_refused", method="password", reason=error.code,
                        **common)
            return Refused(error)
        await store.throttle_clear(session, next(iter(throttle)))
        if rehash:
            account.password_hash = rehash
        account.last_login_at = now
        store.audit(session, "login", method="password", must_change=account.must_change,
                    **common)
        return await self._pending(session, account, now, method="password", source=source,
                                   restricted=account.must_change)

    async def change_password(self, caller: Caller, current: str, new: str,
                              source: Source) -> Issued:
        """Change one's own password (the way out of a one-time password); every other
        session of the account ends, and a fresh full session is issued."""
        realm, login = realm_login(caller)
        now = self.clock()
        account_key, ip_key = f"account:{realm}:{login}", f"ip:{source.ip}"
        await self.uow.run(self._throttled, [account_key, ip_key], "password_change_throttled",
                           realm, login, source, now)
        hashed = await self._password_hash(realm, login)
        if not await self.passwords.verify(hashed, current):
            await self.uow.run(
                self._failed, self._throttle(account_key, ip_key), now,
                "password_change_failed",
                Forbidden("Kata sandi saat ini salah.", code="invalid_current_password"),
                reason="bad_password", **_who(realm, login, now, source))
        check_new_password(new, nip=login if realm != PLATFORM else "",
                           tenant_id=tenant_of(realm) or "", current=current)
        new_hash = await self.passwords.hash(new)
        pending = await self.uow.run(self._change_password, realm, login, new_hash,
                                     account_key, source, now)
        return await self._finish(pending)

    async def _change_password(self, session: AsyncSession, realm: str, login: str,
                               new_hash: str, account_key: str, source: Source,
                               now: dt.datetime) -> _Pending:
        account = await store.get_account(session, realm, login, lock=True)
        emp = None if realm == PLATFORM else await store.employee(session, realm, login)
        error = refusal(account, emp, realm)
        if error is not None:
            raise error
        assert account is not None
        account.password_hash, account.must_change, account.demo = new_hash, False, False
        account.password_set_at = account.updated_at = now
        ended = await store.revoke_account(session, realm, login, "password_changed", now)
        await store.throttle_clear(session, account_key)
        store.audit(session, "password_changed", sessions_ended=ended,
                    **_who(realm, login, now, source))
        return await self._pending(session, account, now, method="password", source=source)

    # --- sessions ------------------------------------------------------------------------------

    async def refresh(self, raw: str | None, source: Source) -> Issued:
        """Rotate a refresh token. A token already used is a theft signal: the whole
        family (every token of that sign-in) is revoked. A disabled account or an employee
        no longer active loses the session here."""
        return await self._finish(await self.uow.run(self._refresh, raw, source, self.clock()))

    async def _refresh(self, session: AsyncSession, raw: str | None, source: Source,
                       now: dt.datetime) -> _Pending | Refused:
        row = await store.find_refresh(session, raw) if raw else None
        if row is None:
            return Refused(Unauthenticated("Sesi tidak valid; silakan masuk kembali.",
                                           code="invalid_session"))
        common = _who(row.realm, row.login, now, source, family=str(row.family_id))
        if row.revoked_at is not None:
            return Refused(Unauthenticated("Sesi Anda telah diakhiri; silakan masuk kembali.",
                                           code="session_revoked"))
        if row.used_at is not None:
            await store.revoke_family(session, row.family_id, "reuse", now)
            store.audit(session, "refresh_reuse", **common)
            return Refused(Unauthenticated(
                "Sesi ini sudah dipakai di tempat lain dan diakhiri demi keamanan; silakan "
                "masuk kembali.", code="refresh_reused"))
        if row.expires_at <= now:
            return Refused(Unauthenticated("Sesi Anda telah berakhir; silakan masuk kembali.",
                                           code="session_expired"))
        account = await store.get_account(session, row.realm, row.login, lock=True)
        emp = None if row.realm == PLATFORM else await store.employee(session, row.realm,
                                                                      row.login)
        error = refusal(account, emp, row.realm)
        if error is not None:
            await store.revoke_family(session, row.family_id, error.code, now)
            store.audit(session, "refresh_refused", reason=error.code, **common)
            return Refused(error)
        assert account is not None
        row.used_at = now
        return await self._pending(session, account, now, method=row.method, source=source,
                                   family_id=row.family_id,
                                   family_expires_at=row.family_expires_at)

    async def logout(self, raw: str | None, caller: Caller | None, source: Source) -> None:
        """End the sign-in of this refresh token (all its rotations)."""
        await self.uow.run(self._logout, raw, caller, source, self.clock())

    @staticmethod
    async def _logout(session: AsyncSession, raw: str | None, caller: Caller | None,
                      source: Source, now: dt.datetime) -> None:
        row = await store.find_refresh(session, raw) if raw else None
        if row is not None:
            await store.revoke_family(session, row.family_id, "logout", now)
            store.audit(session, "logout", actor=subject_of(row.realm, row.login),
                        tenant_id=tenant_of(row.realm), at=now, target=row.login,
                        source=source)
        elif caller is not None and caller.authenticated:
            store.audit(session, "logout", actor=caller.subject, tenant_id=caller.tenant_id,
                        at=now, target=caller.nip, source=source)

    async def sign_in_person(self, tenant_id: str, nip: str, *, method: str, source: Source,
                             **detail: Any) -> Issued:
        """A person proven by another means (OIDC): the account is created without a
        password when missing; disabled accounts and inactive employees are refused."""
        return await self._finish(await self.uow.run(
            self._sign_in_person, tenant_id, nip, method, source, self.clock(), detail))

    async def _sign_in_person(self, session: AsyncSession, tenant_id: str, nip: str,
                              method: str, source: Source, now: dt.datetime,
                              detail: dict[str, Any]) -> _Pending | Refused:
        emp = await store.employee(session, tenant_id, nip)
        # no account is created for a NIP that is not an active employee
        account = await store.account_for(session, tenant_id, nip, now) \
            if emp is not None and emp.active else None
        common = _who(tenant_id, nip, now, source, method=method, **detail)
        error = refusal(account, emp, tenant_id) if account is not None else Forbidden(
            "NIP Anda tidak terdaftar sebagai pegawai aktif pada instansi ini.",
            code="employee_inactive")
        if error is not None:
            store.audit(session, "login_refused", reason=error.code, **common)
            return Refused(error)
        assert account is not None
        account.last_login_at = now
        store.audit(session, "login", **common)
        return await self._pending(session, account, now, method=method, source=source)

    # --- machine clients -----------------------------------------------------------------------

    async def client_token(self, client_id: str, secret: str, scope: str | None,
                           source: Source) -> Issued:
        """OAuth 2.0 client credentials: a short-lived access token with the client's
        scopes (or the requested subset of them)."""
        now = self.clock()
        client_key, ip_key = f"client:{client_id}", f"ip:{source.ip}"
        await self.uow.run(self._throttled, [client_key, ip_key], "client_throttled", None,
                           client_id, source, now)
        pending = await self.uow.run(self._client_token, client_id, secret, scope,
                                     self._throttle(client_key, ip_key), source, now)
        issued = await self._finish(pending)
        issued.csrf_token = None
        return issued

    async def _client_token(self, session: AsyncSession, client_id: str, secret: str,
                            scope: str | None, throttle: dict[str, ThrottlePolicy],
                            source: Source, now: dt.datetime) -> _Pending | Refused:
        client = await session.get(Client, client_id)
        common: dict[str, Any] = dict(actor=f"client:{client_id}", at=now, target=client_id,
                                      source=source,
                                      tenant_id=client.tenant_id if client else None)
        if client is None or client.disabled_at is not None or not hmac.compare_digest(
                store.sha256(secret), client.secret_hash):
            return await self._failed(
                session, throttle, now, "client_auth_failed",
                Unauthenticated("Kredensial klien tidak valid.", code="invalid_client"),
                **common)
        scopes = check_scopes(scope.split() if scope else client.scopes, allowed=client.scopes)
        await store.throttle_clear(session, next(iter(throttle)))
        store.audit(session, "client_token", scopes=scopes, **common)
        return _Pending(access_claims(
            issuer=self.settings.auth_issuer, subject=f"client:{client_id}", kind="client",
            tenant_id=client.tenant_id, nip=None, roles=(), scopes=scopes, now=now,
            ttl_s=self.settings.auth_client_token_ttl_s, jti=uuid.uuid4().hex))
