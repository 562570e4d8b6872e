from __future__ import annotations

import pytest

from ekinerja_shared.errors import DomainError
from gateway.domain.tenant import check_tenant


@pytest.mark.parametrize(("given", "stored"), [("WIB", "Asia/Jakarta"), ("wita", "Asia/Makassar"),
                                               ("WIT", "Asia/Jayapura"),
                                               ("Asia/Pontianak", "Asia/Pontianak")])
def test_zone_is_stored_as_iana(given, stored):
    assert check_tenant("kukar", " Kab. Kukar ", given, "cilegon").timezone == stored


def test_unknown_zone_and_preset_are_refused_in_indonesian():
    with pytest.raises(DomainError) as info:
        check_tenant("kukar", "Kukar", "Mars/Olympus", "cilegon")
    assert info.value.code == "unknown_timezone" and "Zona waktu" in info.value.message
    with pytest.raises(DomainError) as info:
        check_tenant("kukar", "Kukar", "WITA", "tanpa_preset")
    assert info.value.code == "unknown_policy_preset" and "cilegon" in info.value.message


def test_tenant_id_shape():
    with pytest.raises(DomainError):
        check_tenant("Kab Kukar", "Kukar", "WITA", "cilegon")
