"""employment dates in the directory copy: the start (TMT) and last day of duty published
by the gateway; an employee counts on a day between them (domain.employment)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 08:00:00

Employees copied before this revision keep ``first_seen_on`` until their next directory
event brings the dates.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("employees", sa.Column("start_date", sa.Date(), nullable=True))
    op.add_column("employees", sa.Column("end_date", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("employees", "end_date")
    op.drop_column("employees", "start_date")
