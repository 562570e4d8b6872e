"""Rules of sign-in, pure (no I/O): passwords, throttling of failed sign-ins, the roles a
person holds, machine-client scopes, the claims of an access token, safe redirects."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ekinerja_shared.errors import DomainError
from ekinerja_shared.identity import Role
from ekinerja_shared.tokens import AUDIENCE, PASSWORD_CHANGE_AUDIENCE

# the realm of platform operators in the accounts table (no tenant id can be "*")
PLATFORM = "*"

# --- passwords ---------------------------------------------------------------------------

PASSWORD_MIN = 10
PASSWORD_MAX = 128
# the first entries of public lists of leaked passwords, plus local favourites
COMMON_PASSWORDS = frozenset({
    "1234567890", "12345678910", "123456789a", "1q2w3e4r5t", "qwertyuiop", "password123",
    "password1234", "passw0rd123", "iloveyou123", "1234512345", "0123456789", "9876543210",
    "abcdefghij", "abcd123456", "qwerty1234", "admin12345", "administrator", "bismillah123",
    "indonesia123", "indonesia1945", "merdeka1945", "katasandi123", "rahasia123",
    "pegawainegeri", "bkpsdm12345", "ekinerja123", "ekinerja2024", "ekinerja2025",
    "ekinerja2026", "kinerja12345", "jakarta123", "cilegon123", "kediri12345",
})


def check_new_password(new: str, *, nip: str, tenant_id: str,
                       current: str | None = None) -> None:
    """A password a person may choose (NIST SP 800-63B style: length over composition,
    no known or guessable ones). Raises ``DomainError`` with the reason."""
    def refuse(message: str, code: str = "weak_password") -> DomainError:
        return DomainError(message, code=code)

    if len(new) < PASSWORD_MIN:
        raise refuse(f"Kata sandi minimal {PASSWORD_MIN} karakter.")
    if len(new) > PASSWORD_MAX:
        raise refuse(f"Kata sandi maksimal {PASSWORD_MAX} karakter.")
    if new != new.strip():
        raise refuse("Kata sandi tidak boleh diawali atau diakhiri spasi.")
    lowered = new.lower()
    if len(set(lowered)) < 4:
        raise refuse("Kata sandi terlalu mudah ditebak (terlalu sedikit karakter berbeda).")
    if nip and nip in new:
        raise refuse("Kata sandi tidak boleh memuat NIP Anda.")
    if tenant_id and tenant_id.lower() in lowered and len(tenant_id) >= 4:
        raise refuse("Kata sandi tidak boleh memuat kode instansi.")
    if lowered in COMMON_PASSWORDS or _is_sequence(lowered):
        raise refuse("Kata sandi ini terlalu umum; pilih yang lain.")
    if current is not None and new == current:
        raise refuse("Kata sandi baru harus berbeda dari kata sandi lama.",
                      code="password_reused")


def _is_sequence(text: str) -> bool:
    """Runs like 'abcdefghijk' or '98765432109' (step +1 or -1 throughout)."""
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:])}
    return len(steps) == 1 and steps <= {1, -1}


# --- throttling ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ThrottlePolicy:
    """``max_failures`` failed sign-ins within ``window_s`` lock the key for ``lock_s``."""

    max_failures: int
    window_s: int
    lock_s: int


@dataclass(frozen=True)
class ThrottleState:
    window_start: dt.datetime
    failures: int
    locked_until: dt.datetime | None = None


def after_failure(state: ThrottleState | None, now: dt.datetime,
                  policy: ThrottlePolicy) -> ThrottleState:
    """The counter after one more failure: a new window when the last one is over (or its
    lock has passed); locked once the window holds ``max_failures``."""
    if state is None or (now - state.window_start).total_seconds() >= policy.window_s or (
            state.locked_until is not None and now >= state.locked_until):
        state = ThrottleState(window_start=now, failures=0)
    failures = state.failures + 1
    locked = now + dt.timedelta(seconds=policy.lock_s) if failures >= policy.max_failures \
        else None
    return ThrottleState(state.window_start, failures, locked)


def retry_after_s(state: ThrottleState | None, now: dt.datetime) -> int:
    """Seconds until the key may try again (0: now)."""
    if state is None or state.locked_until is None or now >= state.locked_until:
        return 0
    return max(1, math.ceil((state.locked_until - now).total_seconds()))


def throttled_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ("Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam "
            f"{minutes} menit.")


class TooManyAttempts(DomainError):
    """429 with ``Retry-After``."""

    status_code = 429
    code = "too_many_attempts"

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(throttled_message(retry_after_s))
        self.retry_after_s = retry_after_s


# --- roles -------------------------------------------------------------------------------

# roles that HR (or the operator) grants per account; the others follow from the directory
GRANTABLE = frozenset({Role.HR, Role.LEADER, Role.VERIFIER})


def check_grantable(names: Iterable[str]) -> frozenset[Role]:
    roles = set()
    for name in names:
        try:
            role = Role(name)
        except ValueError:
            role = None
        if role not in GRANTABLE:
            allowed = ", ".join(sorted(r.value for r in GRANTABLE))
            raise DomainError(f"Peran '{name}' tidak dapat diberikan; pilih dari: {allowed}.",
                              code="invalid_role")
        roles.add(role)
    return frozenset(roles)


def person_roles(*, active: bool, is_supervisor: bool,
                 granted: Iterable[str]) -> frozenset[Role]:
    """A regency's person: every active employee is ``employee``; ``supervisor`` when the
    directory names them as someone's supervisor; granted roles from the account."""
    if not active:
        return frozenset()
    roles = {Role.EMPLOYEE}
    if is_supervisor:
        roles.add(Role.SUPERVISOR)
    roles |= {Role(g) for g in granted if g in {r.value for r in GRANTABLE}}
    return frozenset(roles)


# --- machine-client scopes -----------------------------------------------------------------

KNOWN_SCOPES = {
    "directory.read": "membaca instansi, pegawai dan unit",
    "directory.write": "memuat roster pegawai (SIMPEG)",
    "scores.read": "membaca nilai kinerja",
    "tpp.read": "membaca dan mengekspor perhitungan TPP (penggajian)",
    "attendance.read": "membaca data kehadiran",
    "attendance.write": "mengirim data kehadiran",
    "activity.read": "membaca aktivitas harian",
}


def check_scopes(requested: Iterable[str], allowed: Iterable[str] | None = None) -> list[str]:
    """Sorted, known scopes; with ``allowed`` (a client's grants) every requested scope
    must be among them."""
    scopes = sorted(set(requested))
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if unknown:
        raise DomainError(f"Scope tidak dikenal: {', '.join(unknown)}.", code="invalid_scope")
    if allowed is not None:
        extra = [s for s in scopes if s not in set(allowed)]
        if extra:
            raise DomainError(f"Scope tidak diizinkan untuk klien ini: {', '.join(extra)}.",
                              code="invalid_scope")
    return scopes


# --- access tokens ---------------------------------------------------------------------------


def person_subject(tenant_id: str, nip: str) -> str:
    return f"{tenant_id}:{nip}"


def subject_of(realm: str, login: str) -> str:
    """The token subject of an account (``realm`` is a regency, or ``PLATFORM``)."""
    return f"operator:{login}" if realm == PLATFORM else person_subject(realm, login)


def tenant_of(realm: str) -> str | None:
    return None if realm == PLATFORM else realm


def access_claims(*, issuer: str, subject: str, kind: str, tenant_id: str | None,
                  nip: str | None, roles: Iterable[Role], scopes: Iterable[str] = (),
                  now: dt.datetime, ttl_s: int, jti: str,
                  restricted: bool = False) -> dict[str, Any]:
    """The claims of an access token (the contract in services/gateway/README.md). A
    ``restricted`` token (one-time password signed in) only opens the password change."""
    iat = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": issuer, "aud": PASSWORD_CHANGE_AUDIENCE if restricted else AUDIENCE,
        "sub": subject, "tid": tenant_id, "nip": nip,
        "roles": sorted(r.value for r in roles), "kind": kind,
        "iat": iat, "exp": iat + ttl_s, "jti": jti,
    }
    scope = " ".join(sorted(set(scopes)))
    if scope:
        claims["scope"] = scope
    return claims


# --- redirects -----------------------------------------------------------------------------

_SAFE_PATH = re.compile(r"^/(?![/\\])[\w\-./?=&%~+:,@]*$")


def safe_next(path: str | None) -> str:
    """Where to go after a browser sign-in: a path of this site only (no open redirect)."""
    if path and _SAFE_PATH.match(path) and "//" not in path and "\\" not in path:
        return path
    return "/"
