"""The gateway's signing keys (ES256) in its database: creation, rotation, the published
JWK set and signing. Private keys are stored encrypted when EK_AUTH_KEY_ENCRYPTION_SECRET
is set (``SecretBox``, also used for OIDC client secrets)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jwe, jwt
from joserfc.jwk import ECKey, OctKey
from sqlalchemy import or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ekinerja_shared.tokens import ALGORITHM
from ekinerja_shared.timeutil import utcnow
from ekinerja_shared.uow import UnitOfWork

from ..settings import Settings
from .orm import SigningKey

log = logging.getLogger(__name__)

# how often a gateway instance looks again for a newer key (another instance may rotate)
RECHECK_S = 30.0


class SecretBox:
    """Seals small secrets for storage: a JWE (dir, A256GCM) under a key derived from the
    configured secret (HKDF-SHA256), or plain text when no secret is configured."""

    def __init__(self, secret: str | None) -> None:
        self._key: OctKey | None = None
        if secret:
            raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                       info=b"ekinerja-gateway-secret-box").derive(secret.encode())
            self._key = OctKey.import_key(raw)

    def seal(self, plaintext: str) -> tuple[str, bool]:
        """(stored value, encrypted)."""
        if self._key is None:
            return plaintext, False
        return jwe.encrypt_compact({"alg": "dir", "enc": "A256GCM"}, plaintext.encode(),
                                   self._key), True

    def open(self, stored: str, encrypted: bool) -> str:
        if not encrypted:
            return stored
        if self._key is None:
            raise RuntimeError("a stored secret is encrypted but EK_AUTH_KEY_ENCRYPTION_SECRET "
                               "is not set")
        plaintext = jwe.decrypt_compact(stored, self._key).plaintext
        assert plaintext is not None
        return plaintext.decode()


def new_kid(now: dt.datetime) -> str:
    return f"{now:%Y%m%d}-{secrets.token_hex(4)}"


class KeyRing:
    """Signs with the newest active key; publishes every key that can still have valid
    tokens out there. The first use creates a key when there is none, and a key older than
    EK_AUTH_KEY_ROTATION_DAYS is rotated on the way."""

    def __init__(self, uow: UnitOfWork, settings: Settings, box: SecretBox,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._uow = uow
        self._settings = settings
        self._box = box
        self._clock = clock
        self._current: tuple[str, ECKey] | None = None
        self._checked_at: dt.datetime | None = None
        self._lock = asyncio.Lock()

    @property
    def grace(self) -> dt.timedelta:
        """How long a retired key stays published: the longest token lifetime + leeway."""
        s = self._settings
        return dt.timedelta(seconds=max(s.auth_access_ttl_s, s.auth_client_token_ttl_s)
                            + s.auth_leeway_s)

    # --- rotation ------------------------------------------------------------------------

    async def _serialise(self, session: AsyncSession) -> None:
        """One rotation at a time across gateway instances (PostgreSQL advisory lock;
        SQLite has a single writer anyway)."""
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext('ekinerja.auth.keys'))"))

    def _make_key(self, now: dt.datetime, activates_at: dt.datetime) -> SigningKey:
        kid = new_kid(now)
        key = ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig",
                                                      "alg": ALGORITHM})
        private, encrypted = self._box.seal(json.dumps(key.as_dict(private=True)))
        return SigningKey(kid=kid, public_jwk=key.as_dict(private=False), private_jwk=private,
                          encrypted=encrypted, created_at=now, activates_at=activates_at)

    async def rotate(self, *, immediately: bool = False) -> str:
        """A new key, published now and signing after EK_AUTH_KEY_PUBLISH_AHEAD_S (at once
        with ``immediately``, or when no key signs yet: the first key); the keys signing so
        far retire then. Returns the new kid."""
        kid, activates = await self._uow.run(self._rotate, self._clock(), immediately)
        self._checked_at = None
        log.info("signing key %s created (signs from %s)", kid, activates.isoformat())
        return kid

    async def _rotate(self, session: AsyncSession, now: dt.datetime,
                      immediately: bool) -> tuple[str, dt.datetime]:
        await self._serialise(session)
        signing = await session.scalar(select(SigningKey.kid).where(
            SigningKey.activates_at <= now,
            or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > now)).limit(1))
        ahead = 0 if immediately or signing is None else \
            self._settings.auth_key_publish_ahead_s
        activates = now + dt.timedelta(seconds=ahead)
        key = self._make_key(now, activates)
        for old in await session.scalars(select(SigningKey).where(
                or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > activates))):
            old.retired_at = activates
        session.add(key)
        return key.kid, activates

    async def _ensure(self, session: AsyncSession, now: dt.datetime) -> None:
        """Inside a locked transaction: a first key, or a rotation when the active one is
        old; decided again after the lock (another instance may have done it)."""
        newest = await session.scalar(
            select(SigningKey).order_by(SigningKey.activates_at.desc()).limit(1))
        if newest is None:
            session.add(self._make_key(now, now))
            return
        age = now - newest.activates_at
        if newest.retired_at is None and age > dt.timedelta(
                days=self._settings.auth_key_rotation_days):
            activates = now + dt.timedelta(seconds=self._settings.auth_key_publish_ahead_s)
            newest.retired_at = activates
            session.add(self._make_key(now, activates))

    # --- signing -------------------------------------------------------------------------

    async def _signing_key(self) -> tuple[str, ECKey]:
        now = self._clock()
        if self._current is not None and self._checked_at is not None and (
                now - self._checked_at).total_seconds() < RECHECK_S:
            return self._current
        async with self._lock:
            if self._current is not None and self._checked_at is not None and (
                    now - self._checked_at).total_seconds() < RECHECK_S:
                return self._current
            kid, private_jwk, encrypted = await self._uow.run(self._signing_row, now)
            if self._current is None or self._current[0] != kid:
                private = json.loads(self._box.open(private_jwk, encrypted))
                self._current = (kid, ECKey.import_key(private))
            self._checked_at = now
            return self._current

    async def _signing_row(self, session: AsyncSession,
                           now: dt.datetime) -> tuple[str, str, bool]:
        """The key that signs now (kid, stored private JWK, encrypted), created or rotated
        on the way when needed."""
        await self._serialise(session)
        await self._ensure(session, now)
        await session.flush()
        row = await session.scalar(
            select(SigningKey)
            .where(SigningKey.activates_at <= now,
                   or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > now))
            .order_by(SigningKey.activates_at.desc()).limit(1))
        if row is None:  # only keys published ahead: the previous one still signs
            row = await session.scalar(
                select(SigningKey).where(SigningKey.activates_at <= now)
                .order_by(SigningKey.activates_at.desc()).limit(1))
        assert row is not None
        return row.kid, row.private_jwk, row.encrypted

    async def sign(self, claims: dict[str, Any]) -> str:
        kid, key = await self._signing_key()
        return jwt.encode({"alg": ALGORITHM, "kid": kid, "typ": "JWT"}, claims, key,
                          algorithms=[ALGORITHM])

    # --- publication ---------------------------------------------------------------------

    async def jwks(self) -> dict[str, Any]:
        """The public keys of every key that signs, will sign, or signed tokens that may
        not have expired yet."""
        await self._signing_key()  # a first key exists
        cutoff = self._clock() - self.grace
        async with self._uow.read() as session:
            rows = await session.scalars(
                select(SigningKey)
                .where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > cutoff))
                .order_by(SigningKey.activates_at.desc()))
            return {"keys": [dict(r.public_jwk) for r in rows]}
