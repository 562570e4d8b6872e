"""row-level security on every tenant-scoped table

Each of these tables has a ``tenant_id`` column: a row is visible and writable only in a
transaction bound to its regency (``app.tenant_id``) or opened for a named cross-regency
job (``app.cross_tenant``), see ``ekinerja_shared.tenancy``. Not here: ``outbox`` and
``processed_events`` (read by the relay and the consumers for every regency; no
``tenant_id``). ``quarantine`` is included: its ``tenant_id`` may be NULL (an undecodable
record), such rows are seen by cross-regency jobs only.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 23:05:00

"""
from typing import Sequence, Union

from ekinerja_shared.tenancy import disable_rls, enable_rls


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TENANT_TABLES = (
    'tenants', 'employees', 'attendance_days', 'effective_days', 'activity_entries',
    'compliance', 'policies', 'periods', 'period_audit', 'late_facts', 'scores',
    'unit_averages', 'dirty_units', 'quarantine',
)


def upgrade() -> None:
    enable_rls(*TENANT_TABLES)


def downgrade() -> None:
    disable_rls(*TENANT_TABLES)
