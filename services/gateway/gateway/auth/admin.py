"""Use cases of account administration: HR of a regency (one-time passwords, disabling,
granted roles, reading the audit) and the platform operator (OIDC providers, machine
clients, operator accounts). Every change is audited with its actor."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.errors import DomainError, Forbidden, NotFound
from ekinerja_shared.identity import Caller

from ..adapters.orm import Employee, Tenant
from . import store
from .keys import SecretBox
from .orm import Account, Client, OidcProvider
from .rules import PLATFORM, check_grantable, check_scopes, person_roles
from .passwords import Passwords
from .store import Source

# no 0/O, 1/l/I: read aloud or copied from paper by HR
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def one_time_password() -> str:
    """12 random characters (~70 bits) in three groups: ``xxxx-xxxx-xxxx``."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return "-".join(chars[i:i + 4] for i in range(0, 12, 4))


async def _active_employee(session: AsyncSession, tenant_id: str, nip: str) -> Employee:
    if await session.get(Tenant, tenant_id) is None:
        raise NotFound("Instansi tidak ditemukan.", code="tenant_not_found")
    emp = await store.employee(session, tenant_id, nip)
    if emp is None:
        raise NotFound(f"Pegawai dengan NIP {nip} tidak terdaftar pada instansi ini.",
                       code="unknown_employee")
    if not emp.active:
        raise DomainError(f"Pegawai dengan NIP {nip} tidak aktif.", code="employee_inactive")
    return emp


def _not_self(caller: Caller, tenant_id: str, nip: str, what: str) -> None:
    if caller.tenant_id == tenant_id and caller.nip == nip:
        raise Forbidden(f"Anda tidak dapat {what} akun Anda sendiri.", code="own_account")


@dataclass(frozen=True)
class AccountView:
    tenant_id: str
    nip: str
    name: str | None
    has_password: bool
    must_change: bool
    demo: bool
    disabled: bool
    granted_roles: list[str]
    roles: list[str]
    last_login_at: dt.datetime | None


def _view(tenant_id: str, emp: Employee, account: Account | None,
          supervisor: bool) -> AccountView:
    granted = list(account.roles) if account else []
    roles = person_roles(active=emp.active, granted=granted, is_supervisor=supervisor)
    return AccountView(
        tenant_id=tenant_id, nip=emp.nip, name=emp.name,
        has_password=bool(account and account.password_hash),
        must_change=bool(account and account.must_change), demo=bool(account and account.demo),
        disabled=bool(account and account.disabled_at), granted_roles=sorted(granted),
        roles=sorted(r.value for r in roles),
        last_login_at=account.last_login_at if account else None)


async def account_view(session: AsyncSession, tenant_id: str, nip: str) -> AccountView:
    emp = await store.employee(session, tenant_id, nip)
    if emp is None:
        raise NotFound(f"Pegawai dengan NIP {nip} tidak terdaftar pada instansi ini.",
                       code="unknown_employee")
    return _view(tenant_id, emp, await store.get_account(session, tenant_id, nip),
                 await store.is_supervisor(session, tenant_id, nip))


async def account_views(session: AsyncSession, tenant_id: str) -> list[AccountView]:
    """Every account of the regency (three queries whatever the size)."""
    accounts = {a.login: a for a in await session.scalars(
        select(Account).where(Account.realm == tenant_id))}
    employees = await session.scalars(select(Employee).where(
        Employee.tenant_id == tenant_id, Employee.nip.in_(list(accounts))))
    supervisors = set(await session.scalars(select(Employee.supervisor_nip).where(
        Employee.tenant_id == tenant_id, Employee.active.is_(True),
        Employee.supervisor_nip.in_(list(accounts)))))
    return sorted((_view(tenant_id, e, accounts[e.nip], e.nip in supervisors)
                   for e in employees), key=lambda v: v.nip)


async def set_one_time_password(session: AsyncSession, passwords: Passwords, caller: Caller,
                                tenant_id: str, nip: str, now: dt.datetime,
                                source: Source) -> str:
    """HR sets (or resets) a password that must be changed at the next sign-in; the
    account's sessions end and its failed-sign-in lock is lifted. Returns it once."""
    await _active_employee(session, tenant_id, nip)
    password = one_time_password()
    hashed = await passwords.hash(password)
    account = await store.account_for(session, tenant_id, nip, now)
    account.password_hash, account.must_change, account.demo = hashed, True, False
    account.password_set_at = account.updated_at = now
    ended = await store.revoke_account(session, tenant_id, nip, "password_reset", now)
    await store.throttle_clear(session, f"account:{tenant_id}:{nip}")
    store.audit(session, "password_reset", actor=caller.subject, tenant_id=tenant_id, at=now,
                target=nip, source=source, sessions_ended=ended)
    return password


async def set_disabled(session: AsyncSession, caller: Caller, tenant_id: str, nip: str,
                       disabled: bool, now: dt.datetime, source: Source) -> None:
    """Disable (every session ends) or enable an account."""
    if disabled:
        _not_self(caller, tenant_id, nip, "menonaktifkan")
    if await store.employee(session, tenant_id, nip) is None:
        raise NotFound(f"Pegawai dengan NIP {nip} tidak terdaftar pada instansi ini.",
                       code="unknown_employee")
    account = await store.account_for(session, tenant_id, nip, now)
    ended = 0
    if disabled and account.disabled_at is None:
        account.disabled_at = now
        ended = await store.revoke_account(session, tenant_id, nip, "account_disabled", now)
    elif not disabled:
        account.disabled_at = None
    account.updated_at = now
    store.audit(session, "account_disabled" if disabled else "account_enabled",
                actor=caller.subject, tenant_id=tenant_id, at=now, target=nip, source=source,
                sessions_ended=ended)


async def set_roles(session: AsyncSession, caller: Caller, tenant_id: str, nip: str,
                    names: list[str], now: dt.datetime, source: Source) -> list[str]:
    """The roles HR grants (hr, leader, verifier); they take effect at the next token."""
    roles = sorted(r.value for r in check_grantable(names))
    _not_self(caller, tenant_id, nip, "mengubah peran")
    await _active_employee(session, tenant_id, nip)
    account = await store.account_for(session, tenant_id, nip, now)
    before = sorted(account.roles)
    account.roles, account.updated_at = roles, now
    store.audit(session, "roles_changed", actor=caller.subject, tenant_id=tenant_id, at=now,
                target=nip, source=source, before=before, after=roles)
    return roles


# --- operator ----------------------------------------------------------------------------


async def put_oidc_provider(session: AsyncSession, box: SecretBox, caller: Caller,
                            tenant_id: str, values: dict[str, Any], now: dt.datetime,
                            source: Source) -> OidcProvider:
    if await session.get(Tenant, tenant_id) is None:
        raise NotFound("Instansi tidak ditemukan.", code="tenant_not_found")
    issuer = values["issuer"].rstrip("/")
    if not issuer.startswith(("https://", "http://")):
        raise DomainError("Issuer harus berupa URL http(s).", code="invalid_issuer")
    provider = await session.get(OidcProvider, tenant_id, with_for_update=True)
    if provider is None:
        provider = OidcProvider(tenant_id=tenant_id)
        session.add(provider)
    secret = values.get("client_secret")
    if secret is None and provider.client_secret is None:
        raise DomainError("client_secret wajib diisi.", code="missing_client_secret")
    if secret is not None:
        provider.client_secret, provider.secret_encrypted = box.seal(secret)
    provider.issuer, provider.client_id = issuer, values["client_id"]
    provider.nip_claim = values.get("nip_claim") or "nip"
    provider.scopes = values.get("scopes") or "openid profile"
    provider.enabled = values.get("enabled", True)
    provider.updated_by, provider.updated_at = caller.subject, now
    store.audit(session, "oidc_configured", actor=caller.subject, tenant_id=tenant_id, at=now,
                source=source, issuer=issuer, client_id=provider.client_id,
                nip_claim=provider.nip_claim, enabled=provider.enabled)
    return provider


async def create_client(session: AsyncSession, caller: Caller, tenant_id: str, name: str,
                        scopes: list[str], now: dt.datetime,
                        source: Source) -> tuple[Client, str]:
    """A machine client of the regency; the secret is returned once."""
    if await session.get(Tenant, tenant_id) is None:
        raise NotFound("Instansi tidak ditemukan.", code="tenant_not_found")
    checked = check_scopes(scopes)
    if not checked:
        raise DomainError("Pilih minimal satu scope.", code="invalid_scope")
    client_id = f"{tenant_id}.{secrets.token_hex(6)}"
    secret = secrets.token_urlsafe(32)
    client = Client(client_id=client_id, tenant_id=tenant_id, name=name,
                    secret_hash=store.sha256(secret), scopes=checked, created_by=caller.subject,
                    created_at=now)
    session.add(client)
    store.audit(session, "client_created", actor=caller.subject, tenant_id=tenant_id, at=now,
                target=client_id, source=source, name=name, scopes=checked)
    return client, secret


async def disable_client(session: AsyncSession, caller: Caller, tenant_id: str,
                         client_id: str, now: dt.datetime, source: Source) -> Client:
    client = await session.get(Client, client_id, with_for_update=True)
    if client is None or client.tenant_id != tenant_id:
        raise NotFound("Klien tidak ditemukan.", code="unknown_client")
    if client.disabled_at is None:
        client.disabled_at = now
        store.audit(session, "client_disabled", actor=caller.subject, tenant_id=tenant_id,
                    at=now, target=client_id, source=source)
    return client


async def list_clients(session: AsyncSession, tenant_id: str) -> list[Client]:
    return list((await session.scalars(select(Client).where(Client.tenant_id == tenant_id)
                                       .order_by(Client.created_at))).all())


async def create_operator(session: AsyncSession, passwords: Passwords, name: str,
                          now: dt.datetime, actor: str) -> str:
    """An operator account (platform-wide) with a one-time password, returned once."""
    if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").isalnum():
        raise DomainError("Nama operator: huruf, angka, '-' atau '_' (maks. 64).",
                          code="invalid_name")
    password = one_time_password()
    account = await store.account_for(session, PLATFORM, name, now)
    account.password_hash, account.must_change = await passwords.hash(password), True
    account.disabled_at, account.password_set_at, account.updated_at = None, now, now
    await store.revoke_account(session, PLATFORM, name, "password_reset", now)
    store.audit(session, "operator_password_set", actor=actor, tenant_id=None, at=now,
                target=name)
    return password


async def ensure_demo_account(session: AsyncSession, passwords: Passwords, tenant_id: str,
                              nip: str, password: str, roles: list[str],
                              now: dt.datetime) -> None:
    """A demo account with a known password (flagged ``demo``, not must-change); for
    ``python -m gateway load-demo`` only, never reachable over HTTP."""
    await _active_employee(session, tenant_id, nip)
    account = await store.account_for(session, tenant_id, nip, now)
    if account.demo and account.password_hash and await passwords.verify(
            account.password_hash, password) and sorted(account.roles) == sorted(roles):
        return
    account.password_hash = await passwords.hash(password)
    account.must_change, account.demo, account.disabled_at = False, True, None
    account.roles = sorted(r.value for r in check_grantable(roles))
    account.password_set_at = account.updated_at = now
    store.audit(session, "demo_account", actor="load-demo", tenant_id=tenant_id, at=now,
                target=nip, roles=account.roles)
