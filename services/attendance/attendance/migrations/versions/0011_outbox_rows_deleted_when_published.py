"""the outbox holds what is still to send: the relay deletes the rows the broker took
(Kafka's topics are the record) instead of stamping them, so published rows no longer pile
up and a pass costs the server a delete rather than a new version of every row and its index
entries; the stamp and its partial index go

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 23:00:00
"""
from typing import Sequence, Union

from ekinerja_shared.migrations import drop_outbox_stamp, restore_outbox_stamp

# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    drop_outbox_stamp()


def downgrade() -> None:
    restore_outbox_stamp()
