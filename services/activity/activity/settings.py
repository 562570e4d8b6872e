from __future__ import annotations

from ekinerja_shared.settings import ServiceSettings

from .domain.rules import TenantRules


class Settings(ServiceSettings):
    service_name: str = "activity"
    database_url: str = "sqlite+aiosqlite:///.run/activity.db"
    http_port: int = 8002
    default_timezone: str = "Asia/Jakarta"
    # default activity rules; each tenant may override them (PUT /api/activity/{t}/rules)
    rule_edit_window_days: int = 7
    rule_daily_cap_minutes: int = 450
    rule_approval_deadline_day: int = 10
    # how often the expiry job looks for entries past their approval deadline (0 = never)
    expiry_interval_s: float = 3600.0
    bulk_decision_limit: int = 2000

    def default_rules(self) -> TenantRules:
        return TenantRules(
            edit_window_days=self.rule_edit_window_days,
            daily_cap_minutes=self.rule_daily_cap_minutes,
            approval_deadline_day=self.rule_approval_deadline_day,
        ).validate()
