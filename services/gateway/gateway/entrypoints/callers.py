"""Who is calling the gateway: its own tokens, verified by the sign-in package's
``GatewayAuthenticator`` against the gateway's key ring (``EK_ADMIN_TOKEN`` stays a
break-glass operator credential there), plus, when ``EK_AUTH_JWKS`` is set, tokens signed
by the keys it lists (the tests' keys; tools). A token is sent to the verifier whose key
set holds its ``kid``; nothing else changes."""

from __future__ import annotations

import json
from collections.abc import Mapping

from ekinerja_shared.identity import Caller, Unauthenticated
from ekinerja_shared.tokens import StaticKeysAuthenticator, token_from, unverified_header

from ..auth.web import GatewayAuthenticator
from ..settings import Settings


class WithExtraKeys:
    def __init__(self, own: GatewayAuthenticator, extra_jwks: str, settings: Settings) -> None:
        jwks = json.loads(extra_jwks)
        self.own = own
        self.extra = StaticKeysAuthenticator(jwks, issuer=settings.auth_issuer,
                                             leeway_s=settings.auth_leeway_s)
        self._kids = frozenset(StaticKeysAuthenticator.parse_jwks(jwks))

    def _is_extra(self, authorization: str | None, cookies: Mapping[str, str]) -> bool:
        try:
            token = token_from(authorization, cookies)
            return token is not None and unverified_header(token).get("kid") in self._kids
        except Unauthenticated:
            return False  # the admin token, or garbage the gateway's verifier refuses

    async def authenticate(self, authorization: str | None,
                           cookies: Mapping[str, str]) -> Caller:
        if self._is_extra(authorization, cookies):
            return await self.extra.authenticate(authorization, cookies)
        return await self.own.authenticate(authorization, cookies)

    async def authenticate_any(self, authorization: str | None,
                               cookies: Mapping[str, str]) -> tuple[Caller, bool]:
        """As ``GatewayAuthenticator.authenticate_any`` (the sign-in package's routes)."""
        if self._is_extra(authorization, cookies):
            return await self.extra.authenticate(authorization, cookies), False
        return await self.own.authenticate_any(authorization, cookies)
