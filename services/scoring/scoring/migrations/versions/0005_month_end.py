"""month end: score flags, the policy a closed month used, what a late fact changes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flags', sa.JSON(), nullable=False,
                                      server_default='[]'))
        batch_op.add_column(sa.Column('employment_type', sa.String(length=8), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('tpp_adjustment_pct', sa.Numeric(precision=7, scale=3),
                                      nullable=False, server_default='100'))
    with op.batch_alter_table('periods', schema=None) as batch_op:
        batch_op.add_column(sa.Column('policy', sa.JSON(), nullable=True))
    with op.batch_alter_table('late_facts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('work_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('change', sa.Text(), nullable=False,
                                      server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('late_facts', schema=None) as batch_op:
        batch_op.drop_column('change')
        batch_op.drop_column('work_date')
    with op.batch_alter_table('periods', schema=None) as batch_op:
        batch_op.drop_column('policy')
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.drop_column('tpp_adjustment_pct')
        batch_op.drop_column('employment_type')
        batch_op.drop_column('flags')
