"""row-level security: every regency-scoped table shows the transaction's regency only

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:00:00

The service connects as ``ek_activity_app`` (no owner, no superuser); each transaction sets
``app.tenant_id`` (``uow.in_tenant``) or, for the few named jobs that must cross regencies,
``app.cross_tenant`` (``uow.cross_tenant``). ``entry_transitions`` has no ``tenant_id``: it
is reached only through its entry, which the policy covers. ``outbox`` and
``processed_events`` are not regency-scoped. Nothing happens on SQLite.
"""
from typing import Sequence, Union

from ekinerja_shared.tenancy import disable_rls, enable_rls

# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ("tenants", "units", "employees", "supervisor_links", "entries",
          "acting_assignments", "verifiers", "tenant_rules", "period_states", "plan_items",
          "agenda_items", "quarantine")


def upgrade() -> None:
    enable_rls(*TABLES)


def downgrade() -> None:
    disable_rls(*TABLES)
