"""month days kept with a close: a closed month's pay slips read the leave/duty days, the
effective working days and the deductions' sum kept at its close (month_days), not the
live copies a late fact changes. Months closed before this revision have none kept and
read the live copies, as before, until they are closed again.
Row-level security like every regency-scoped table.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 17:20:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from ekinerja_shared.db import AwareDateTime
from ekinerja_shared.tenancy import disable_rls, enable_rls

# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'month_days',
        sa.Column('tenant_id', sa.String(length=64), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('nip', sa.String(length=32), nullable=False),
        sa.Column('leave_days', sa.JSON(), nullable=False),
        sa.Column('effective_days', sa.Numeric(8, 2), nullable=False),
        sa.Column('deduction_sum', sa.Numeric(12, 3), nullable=False),
        sa.Column('kept_at', AwareDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('tenant_id', 'period', 'nip'),
    )
    enable_rls('month_days')


def downgrade() -> None:
    disable_rls('month_days')
    op.drop_table('month_days')
