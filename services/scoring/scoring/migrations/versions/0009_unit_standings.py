"""unit standings: the OPD rankings' read model, kept by every score change

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 08:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from ekinerja_shared.tenancy import disable_rls, enable_rls


# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'unit_standings',
        sa.Column('tenant_id', sa.String(length=64), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('unit_id', sa.String(length=64), nullable=False),
        sa.Column('members', sa.Integer(), nullable=False),
        sa.Column('final_sum', sa.Numeric(precision=16, scale=3), nullable=False),
        sa.Column('performance_sum', sa.Numeric(precision=16, scale=3), nullable=False),
        sa.Column('tpp_total', sa.Numeric(precision=18, scale=2), nullable=False),
        sa.PrimaryKeyConstraint('tenant_id', 'period', 'unit_id'),
    )
    enable_rls('unit_standings')
    if op.get_bind().dialect.name == 'postgresql':  # the forced policies: every regency
        op.execute("SELECT set_config('app.cross_tenant', 'on', true)")
    op.execute(
        "INSERT INTO unit_standings (tenant_id, period, unit_id, members, final_sum, "
        "performance_sum, tpp_total) SELECT tenant_id, period, unit_id, count(*), "
        "sum(final_pct), sum(performance_pct), sum(tpp_amount) FROM scores "
        "WHERE version > 0 GROUP BY tenant_id, period, unit_id")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("SELECT set_config('app.cross_tenant', 'off', true)")


def downgrade() -> None:
    disable_rls('unit_standings')
    op.drop_table('unit_standings')
