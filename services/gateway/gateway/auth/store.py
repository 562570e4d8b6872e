"""Persistence of sign-in: the only module besides ``keys`` that queries the sign-in
tables (audit, throttle counters, refresh tokens, accounts and the directory facts that
give roles). Every function runs inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.db import insert_ignore

from ..adapters.orm import Employee
from ..service_layer.services import team_of
from .orm import Account, AuditEntry, RefreshToken, ThrottleCounter
from .rules import ThrottlePolicy, ThrottleState, after_failure, retry_after_s


@dataclass(frozen=True)
class Source:
    """Where a request came from (for throttling and the audit)."""

    ip: str | None = None
    user_agent: str | None = None


def sha256(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# --- audit (append-only) ---------------------------------------------------------------------


def audit(session: AsyncSession, action: str, *, actor: str, tenant_id: str | None,
          at: dt.datetime, target: str | None = None, source: Source | None = None,
          **detail: Any) -> None:
    session.add(AuditEntry(
        at=at, tenant_id=tenant_id, actor=actor[:200], action=action,
        target=target[:200] if target else None,
        source_ip=source.ip if source else None,
        user_agent=(source.user_agent or "")[:300] or None if source else None,
        detail=detail,
    ))


async def record(session: AsyncSession, /, action: str, **fields: Any) -> None:
    """An audit entry as a use case of its own (``uow.run(store.record, action, ...)``)."""
    audit(session, action, **fields)


# --- throttle counters -----------------------------------------------------------------------


def _state(row: ThrottleCounter | None) -> ThrottleState | None:
    return None if row is None else ThrottleState(row.window_start, row.failures,
                                                   row.locked_until)


async def throttle_wait(session: AsyncSession, keys: Iterable[str], now: dt.datetime) -> int:
    """Seconds before any of ``keys`` may try again (0: all may)."""
    rows = await session.scalars(select(ThrottleCounter).where(ThrottleCounter.key.in_(list(keys))))
    return max([retry_after_s(_state(r), now) for r in rows], default=0)


async def throttle_fail(session: AsyncSession, policies: Mapping[str, ThrottlePolicy],
                        now: dt.datetime) -> None:
    """One more failure on each key (row-locked: concurrent failures all count)."""
    for key, policy in policies.items():
        await insert_ignore(session, ThrottleCounter,
                            {"key": key, "window_start": now, "failures": 0})
        row = await session.get(ThrottleCounter, key, with_for_update=True,
                                populate_existing=True)
        assert row is not None
        state = after_failure(_state(row) if row.failures else None, now, policy)
        row.window_start, row.failures, row.locked_until = (
            state.window_start, state.failures, state.locked_until)


async def throttle_clear(session: AsyncSession, key: str) -> None:
    row = await session.get(ThrottleCounter, key, with_for_update=True)
    if row is not None:
        await session.delete(row)


# --- refresh tokens --------------------------------------------------------------------------


async def new_refresh(session: AsyncSession, *, realm: str, login: str, method: str,
                      now: dt.datetime, ttl_s: int, family_expires_at: dt.datetime,
                      family_id: uuid.UUID | None = None,
                      source: Source | None = None) -> str:
    """A new refresh token (the raw value is returned once; its hash is stored)."""
    raw = secrets.token_urlsafe(32)
    session.add(RefreshToken(
        token_hash=sha256(raw), family_id=family_id or uuid.uuid4(), realm=realm, login=login,
        method=method, issued_at=now,
        expires_at=min(now + dt.timedelta(seconds=ttl_s), family_expires_at),
        family_expires_at=family_expires_at, source_ip=source.ip if source else None,
    ))
    return raw


async def find_refresh(session: AsyncSession, raw: str) -> RefreshToken | None:
    return await session.get(RefreshToken, sha256(raw), with_for_update=True)


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, reason: str,
                        now: dt.datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason))


async def revoke_account(session: AsyncSession, realm: str, login: str, reason: str,
                         now: dt.datetime) -> int:
    """Ends every sign-in of an account (its refresh tokens); returns how many."""
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.realm == realm, RefreshToken.login == login,
               RefreshToken.revoked_at.is_(None), RefreshToken.used_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason))
    return int(getattr(result, "rowcount", 0) or 0)


# --- accounts and the directory ----------------------------------------------------------


async def get_account(session: AsyncSession, realm: str, login: str, *,
                      lock: bool = False) -> Account | None:
    return await session.get(Account, (realm, login), with_for_update=lock)


async def account_for(session: AsyncSession, realm: str, login: str,
                      now: dt.datetime) -> Account:
    """The account, created (without a password) when missing."""
    await insert_ignore(session, Account, {
        "realm": realm, "login": login, "must_change": False, "demo": False, "roles": [],
        "created_at": now, "updated_at": now})
    account = await session.get(Account, (realm, login), with_for_update=True,
                                populate_existing=True)
    assert account is not None
    return account


async def employee(session: AsyncSession, tenant_id: str, nip: str) -> Employee | None:
    return await session.get(Employee, (tenant_id, nip))


async def is_supervisor(session: AsyncSession, tenant_id: str, nip: str) -> bool:
    """Whether ``nip`` supervises an active employee of the regency today: named as their
    supervisor in the directory, or acting (Plt/Plh) for their supervisor. Decided at each
    sign-in and token refresh, so a Plh holds the role from the assignment's first day."""
    return bool(await team_of(session, tenant_id, nip, active_only=True))
