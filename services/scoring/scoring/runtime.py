"""The runtime of a scoring process (settings typed as scoring's own)."""

from __future__ import annotations

from dataclasses import dataclass

from ekinerja_shared.runtime import Runtime

from .settings import Settings


@dataclass(kw_only=True)
class ScoringRuntime(Runtime[Settings]):
    @property
    def default_preset(self) -> str:
        """The policy preset of a tenant whose ``TenantUpserted`` has not arrived yet."""
        return self.settings.default_policy_preset
