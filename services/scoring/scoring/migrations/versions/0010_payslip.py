"""the pay slip: the payroll unit's inputs per employee and month (salary for the BPJS
Kesehatan base, PPh 21 as a rate or an amount), disciplinary penalties with their months,
and the absence code of each attendance day (the leave/duty lines)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 08:00:00

Named 0010: another change may add 0009; when both are merged this one revises 0009.
The absence code of the days stored before this migration is empty until the days are
rebuilt from the event log. Row-level security like every regency-scoped table.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from ekinerja_shared.db import AwareDateTime, BigIntPK
from ekinerja_shared.tenancy import disable_rls, enable_rls

# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ("payslip_inputs", "disciplinary_penalties")


def upgrade() -> None:
    with op.batch_alter_table('attendance_days', schema=None) as batch_op:
        batch_op.add_column(sa.Column('absence_code', sa.String(length=16), nullable=True))
    op.create_table(
        'payslip_inputs',
        sa.Column('tenant_id', sa.String(length=64), nullable=False),
        sa.Column('nip', sa.String(length=32), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('salary', sa.Numeric(16, 2), nullable=False),
        sa.Column('pph21_pct', sa.Numeric(7, 3), nullable=True),
        sa.Column('pph21_amount', sa.Numeric(16, 2), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('entered_by', sa.String(length=64), nullable=False),
        sa.Column('entered_at', AwareDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('tenant_id', 'nip', 'period'),
    )
    op.create_table(
        'disciplinary_penalties',
        sa.Column('id', BigIntPK, autoincrement=True, nullable=False),
        sa.Column('tenant_id', sa.String(length=64), nullable=False),
        sa.Column('nip', sa.String(length=32), nullable=False),
        sa.Column('from_period', sa.String(length=7), nullable=False),
        sa.Column('to_period', sa.String(length=7), nullable=False),
        sa.Column('pct', sa.Numeric(7, 3), nullable=False),
        sa.Column('decree', sa.String(length=100), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('entered_by', sa.String(length=64), nullable=False),
        sa.Column('entered_at', AwareDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_disciplinary_penalties_employee', 'disciplinary_penalties',
                    ['tenant_id', 'nip'])
    enable_rls(*TABLES)


def downgrade() -> None:
    disable_rls(*TABLES)
    op.drop_index('ix_disciplinary_penalties_employee', table_name='disciplinary_penalties')
    op.drop_table('disciplinary_penalties')
    op.drop_table('payslip_inputs')
    with op.batch_alter_table('attendance_days', schema=None) as batch_op:
        batch_op.drop_column('absence_code')
