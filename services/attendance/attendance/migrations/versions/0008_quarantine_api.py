"""quarantine API and persisted consumer attempts: quarantine entries get a status
(open, replayed, discarded) with who resolved them, when and why; consumer_attempts keeps
each consumer's failed attempts per event across restarts (not regency-scoped, like
processed_events)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 12:00:00
"""
from typing import Sequence, Union

from ekinerja_shared.migrations import add_quarantine_resolution, drop_quarantine_resolution

# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    add_quarantine_resolution()


def downgrade() -> None:
    drop_quarantine_resolution()
