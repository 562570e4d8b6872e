"""Who may see what at the gateway (pure rules; the routes take the decisions).

- The whole regency (every employee, every score): its HR (BKPSDM), its leadership /
  inspectorate (read-only), the platform operator.
- Anyone else of the regency: themselves and their direct reports in the directory (an
  employee without reports sees their own row only; a supervisor their team too).
- Device PINs of the roster: HR and the operator only.
- Machine clients act through scopes only: ``directory.write`` loads a roster,
  ``directory.read`` reads the directory, ``scores.read`` reads the scores (the names the
  sign-in package grants, see gateway.auth.rules.KNOWN_SCOPES).
"""

from __future__ import annotations

from dataclasses import dataclass

from ekinerja_shared.errors import Forbidden
from ekinerja_shared.identity import Caller, Role

ROSTER_WRITE = "directory.write"
DIRECTORY_READ = "directory.read"
SCORES_READ = "scores.read"

REGENCY_READERS = (Role.HR, Role.LEADER)


@dataclass(frozen=True)
class Audience:
    """The employees whose rows a caller may see: ``nips`` None means all of the regency."""

    nips: frozenset[str] | None

    def allows(self, nip: str) -> bool:
        return self.nips is None or nip in self.nips


EVERYONE = Audience(None)


def sees_whole_regency(caller: Caller, scope: str) -> bool:
    """HR, leadership, the operator; a machine client with ``scope``."""
    return caller.has(*REGENCY_READERS) or (caller.kind == "client" and scope in caller.scopes)


def sees_device_pins(caller: Caller) -> bool:
    return caller.has(Role.HR)


def person_of(caller: Caller) -> str:
    """The caller's NIP when the caller is a person (a client without the scope: 403)."""
    if caller.nip is None:
        raise Forbidden("Anda tidak berwenang melakukan tindakan ini.", code="forbidden")
    return caller.nip


def team_audience(nip: str, direct_reports: set[str] | frozenset[str]) -> Audience:
    return Audience(frozenset({nip, *direct_reports}))


def own_data_only() -> Forbidden:
    """The refusal of a row that is neither the caller's nor their team's."""
    return Forbidden("Anda hanya dapat mengakses data Anda sendiri atau tim Anda.",
                     code="own_data_only")
