"""employment over time: the start of duty (TMT), the end of duty with its reason, and the
history of every recorded change of an employee (the state in force from its date)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 08:00:00

Employees loaded before this revision have no start date (on duty since before the
platform) and no history rows until their next change. Row-level security like every
regency-scoped table.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from ekinerja_shared.db import AwareDateTime
from ekinerja_shared.tenancy import disable_rls, enable_rls

# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("employees", sa.Column("start_date", sa.Date(), nullable=True))
    op.add_column("employees", sa.Column("end_date", sa.Date(), nullable=True))
    op.add_column("employees", sa.Column("end_reason", sa.String(32), nullable=True))
    op.create_table(
        "employee_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("nip", sa.String(32), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("recorded_at", AwareDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_employee_history_nip", "employee_history", ["tenant_id", "nip", "id"])
    enable_rls("employee_history")


def downgrade() -> None:
    disable_rls("employee_history")
    op.drop_index("ix_employee_history_nip", table_name="employee_history")
    op.drop_table("employee_history")
    for column in ("end_reason", "end_date", "start_date"):
        op.drop_column("employees", column)
