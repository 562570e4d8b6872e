"""row-level security on the gateway's tenant-scoped tables

The directory (tenants, employees), the scores read model and the quarantine: a row is
visible and writable only in a transaction bound to its regency, or in a named
cross-regency one (ekinerja_shared.tenancy). Not covered: outbox and processed_events (no
regency), and the sign-in tables of 0003 (the sign-in package's transactions are
cross-regency, see gateway.auth.wiring).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:00:00.000000

"""
from typing import Sequence, Union

from ekinerja_shared.tenancy import disable_rls, enable_rls


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ("tenants", "employees", "scores", "quarantine")


def upgrade() -> None:
    enable_rls(*TABLES)


def downgrade() -> None:
    disable_rls(*TABLES)
