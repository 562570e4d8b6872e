"""close confirmation: the open items a month was closed with, who confirmed them, when

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 05:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('periods', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmation', sa.JSON(), nullable=True))
    with op.batch_alter_table('period_audit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('open_items', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('period_audit', schema=None) as batch_op:
        batch_op.drop_column('open_items')
    with op.batch_alter_table('periods', schema=None) as batch_op:
        batch_op.drop_column('confirmation')
