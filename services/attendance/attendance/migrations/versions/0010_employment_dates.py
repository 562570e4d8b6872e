"""employment over time in the directory copy: the start (TMT) and last day of duty
published by the gateway (an employee counts on a day between them, domain.employment), the
units an employee belonged to from their dates (employee_units), and the unit of each day
record

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 08:00:00

Employees copied before this revision keep ``first_seen_on`` until their next directory
event brings the dates.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from ekinerja_shared.db import AwareDateTime
from ekinerja_shared.tenancy import disable_rls, enable_rls

# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("employees", sa.Column("start_date", sa.Date(), nullable=True))
    op.add_column("employees", sa.Column("end_date", sa.Date(), nullable=True))
    op.add_column("day_records", sa.Column("unit_id", sa.String(64), nullable=True))
    op.create_table(
        "employee_units",
        sa.Column("tenant_id", sa.String(64), primary_key=True),
        sa.Column("nip", sa.String(32), primary_key=True),
        sa.Column("effective_from", sa.Date(), primary_key=True),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("updated_at", AwareDateTime(timezone=True), nullable=False),
    )
    enable_rls("employee_units")


def downgrade() -> None:
    disable_rls("employee_units")
    op.drop_table("employee_units")
    op.drop_column("day_records", "unit_id")
    op.drop_column("employees", "end_date")
    op.drop_column("employees", "start_date")
