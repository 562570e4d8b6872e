"""Names of the scoring policy presets and the seed regencies that use them. The policies
themselves (weights, components, rules) live in the scoring service; the gateway only
checks that a tenant names a known preset."""

from __future__ import annotations

POLICY_PRESETS: dict[str, str] = {
    "cilegon": "Individual performance 52.5 / attendance 30 / collective work 17.5 (KHAS)",
    "performance60_discipline40": "Performance 60 / discipline 40",
    "performance60_attendance30_compliance10": (
        "Performance 60 / attendance 30 (attendance 60, apel 40) / compliance 10"
    ),
}

# The five seed regencies: id -> (name, zone alias, preset)
SEED_TENANTS: dict[str, tuple[str, str, str]] = {
    "cilegon": ("Pemerintah Kota Cilegon", "WIB", "cilegon"),
    "kukar": ("Pemerintah Kabupaten Kutai Kartanegara", "WITA",
              "performance60_attendance30_compliance10"),
    "kediri": ("Pemerintah Kota Kediri", "WIB", "performance60_discipline40"),
    "kendari": ("Pemerintah Kota Kendari", "WITA", "performance60_discipline40"),
    "badung": ("Pemerintah Kabupaten Badung", "WITA", "performance60_attendance30_compliance10"),
}
