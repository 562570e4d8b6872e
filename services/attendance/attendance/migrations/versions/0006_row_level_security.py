"""row-level security: every regency-scoped table shows the transaction's regency only

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 12:00:00

The service connects as ``ek_attendance_app`` (no owner, no superuser); each transaction sets
``app.tenant_id`` (``uow.in_tenant``) or, for the few named jobs that must cross regencies,
``app.cross_tenant`` (``uow.cross_tenant``: the /iclock device lookup by serial, the periodic
jobs listing their regencies). ``outbox`` and ``processed_events`` are not regency-scoped.
Every other table has ``tenant_id``. Nothing happens on SQLite.
"""
from typing import Sequence, Union

from ekinerja_shared.tenancy import disable_rls, enable_rls

# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ("tenants", "employees", "devices", "punches", "day_records", "effective_days",
          "device_commands", "punch_windows", "device_users", "schedules",
          "schedule_assignments", "holidays", "shift_rosters", "tenant_rules", "leaves",
          "corrections", "day_closures", "apel_settings", "quarantine")


def upgrade() -> None:
    enable_rls(*TABLES)


def downgrade() -> None:
    disable_rls(*TABLES)
