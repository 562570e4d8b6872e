"""Password hashing: argon2id (argon2-cffi) off the event loop."""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..settings import Settings


class Passwords:
    """argon2id hashing (argon2-cffi) off the event loop; an unknown account costs the
    same time as a wrong password."""

    def __init__(self, settings: Settings) -> None:
        self._ph = PasswordHasher(time_cost=settings.auth_argon2_time_cost,
                                  memory_cost=settings.auth_argon2_memory_kib,
                                  parallelism=settings.auth_argon2_parallelism)
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._ph.hash, password)

    async def verify(self, hashed: str | None, password: str) -> bool:
        if hashed is None:
            if self._dummy is None:
                self._dummy = await self.hash(secrets.token_urlsafe(16))
            hashed, password = self._dummy, password + "\0"
        try:
            return await asyncio.to_thread(self._ph.verify, hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed: str) -> bool:
        return self._ph.check_needs_rehash(hashed)
