"""the directory copy keeps each employee's direct supervisor (team reads)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 12:05:00

Existing rows get NULL: the supervisor arrives with the employee's next directory event.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supervisor_nip', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_employees_supervisor', ['tenant_id', 'supervisor_nip'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.drop_index('ix_employees_supervisor')
        batch_op.drop_column('supervisor_nip')
