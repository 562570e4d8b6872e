"""duty dates: the start (TMT) and the last day of duty of each employee's latest state in
the directory copy, so that an entry is checked against the employee's duty on its date
(a retired employee's last days logged after the fact are accepted)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 17:05:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("employees", sa.Column("start_date", sa.Date(), nullable=True))
    op.add_column("employees", sa.Column("end_date", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("employees", "end_date")
    op.drop_column("employees", "start_date")
