"""the copy of the acting assignments (Plt/Plh) published by the activity service: whoever
acts for a supervisor sees the team's scores and directory rows over the assignment's dates

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 12:00:00

Empty at first: the consumer ``gateway-activity-acting`` reads ``ekinerja.activity.acting.v1``
from its start. Row-level security like every regency-scoped table.
"""
from typing import Sequence, Union

from ekinerja_shared import acting_copy
from ekinerja_shared.tenancy import disable_rls, enable_rls

# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    acting_copy.create_table()
    enable_rls(acting_copy.TABLE)


def downgrade() -> None:
    disable_rls(acting_copy.TABLE)
    acting_copy.drop_table()
