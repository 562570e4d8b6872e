"""Tenant (regency/city) rules: a known time zone and a known scoring policy preset."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ekinerja_shared.errors import DomainError
from ekinerja_shared.presets import POLICY_PRESETS
from ekinerja_shared.timeutil import canonical_zone

TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class TenantSpec:
    tenant_id: str
    name: str
    timezone: str  # IANA
    policy_preset: str


def check_tenant(tenant_id: str, name: str, timezone: str, policy_preset: str) -> TenantSpec:
    """The tenant as stored and published (zone as an IANA name); raises ``DomainError``."""
    if not TENANT_ID.match(tenant_id):
        raise DomainError(
            "Kode instansi hanya boleh berisi huruf kecil, angka, '-' atau '_' (maks. 64).",
            code="invalid_tenant_id",
        )
    if not name.strip():
        raise DomainError("Nama instansi wajib diisi.", code="invalid_name")
    try:
        zone = canonical_zone(timezone.strip())
    except ValueError as exc:
        raise DomainError(
            f"Zona waktu '{timezone}' tidak dikenal: gunakan WIB, WITA, WIT, atau nama zona "
            "IANA seperti Asia/Jakarta.",
            code="unknown_timezone",
        ) from exc
    if policy_preset not in POLICY_PRESETS:
        raise DomainError(
            f"Preset kebijakan '{policy_preset}' tidak dikenal: pilih salah satu dari "
            + ", ".join(sorted(POLICY_PRESETS)) + ".",
            code="unknown_policy_preset",
        )
    return TenantSpec(tenant_id, name.strip(), zone, policy_preset)
