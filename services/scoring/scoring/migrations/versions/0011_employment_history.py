"""employment over time: the employees' OPD, position, employment type and TPP base by
date (employment_history), their start and end of duty, the pay segments and OPD
memberships of a score, and the rankings' day-weighted sums

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 11:30:00

The history starts with each known employee's current values holding from the beginning
(0001-01-01), as scoring applied them until now; dated changes come with the directory's
next events (or a rebuild). The standings' day-weighted sums are filled as if every member
was in their OPD the whole month, as the existing scores say (no memberships recorded).
Row-level security like every regency-scoped table.
"""
import calendar
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from ekinerja_shared.db import AwareDateTime
from ekinerja_shared.tenancy import disable_rls, enable_rls

# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _cross_tenant(on: bool) -> None:
    if op.get_bind().dialect.name == 'postgresql':  # the forced policies: every regency
        op.execute(f"SELECT set_config('app.cross_tenant', '{'on' if on else 'off'}', true)")


def upgrade() -> None:
    op.create_table(
        'employment_history',
        sa.Column('tenant_id', sa.String(length=64), nullable=False),
        sa.Column('nip', sa.String(length=32), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=False),
        sa.Column('unit_id', sa.String(length=64), nullable=False),
        sa.Column('unit_name', sa.String(length=200), nullable=False),
        sa.Column('position', sa.String(length=200), nullable=False),
        sa.Column('employment_type', sa.String(length=8), nullable=False),
        sa.Column('tpp_base', sa.Numeric(16, 2), nullable=False),
        sa.Column('stated_at', AwareDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('tenant_id', 'nip', 'effective_from'),
    )
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('end_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('end_reason', sa.String(length=32), nullable=True))
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('segments', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('memberships', sa.JSON(), nullable=True))
    with op.batch_alter_table('unit_standings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member_days', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('final_days', sa.Numeric(20, 3), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('performance_days', sa.Numeric(20, 3), nullable=False,
                                      server_default='0'))
    enable_rls('employment_history')
    _cross_tenant(True)
    op.execute(
        "INSERT INTO employment_history (tenant_id, nip, effective_from, unit_id, unit_name, "
        "position, employment_type, tpp_base, stated_at) SELECT tenant_id, nip, '0001-01-01', "
        "unit_id, unit_name, '', employment_type, tpp_base, updated_at FROM employees")
    bind = op.get_bind()
    for (period,) in bind.execute(sa.text("SELECT DISTINCT period FROM unit_standings")):
        year, month = (int(x) for x in period.split('-'))
        days = calendar.monthrange(year, month)[1]
        bind.execute(sa.text(
            "UPDATE unit_standings SET member_days = members * :d, "
            "final_days = final_sum * :d, performance_days = performance_sum * :d "
            "WHERE period = :p"), {"d": days, "p": period})
    _cross_tenant(False)


def downgrade() -> None:
    disable_rls('employment_history')
    with op.batch_alter_table('unit_standings', schema=None) as batch_op:
        batch_op.drop_column('performance_days')
        batch_op.drop_column('final_days')
        batch_op.drop_column('member_days')
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.drop_column('memberships')
        batch_op.drop_column('segments')
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.drop_column('end_reason')
        batch_op.drop_column('end_date')
        batch_op.drop_column('start_date')
    op.drop_table('employment_history')
