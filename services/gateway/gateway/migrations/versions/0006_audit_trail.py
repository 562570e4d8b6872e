"""the audit log also keeps the other services' records (AuditRecorded events)

``event_id`` (unique: a redelivered event is one row), the service, the actor's NIP and
roles and the X-Forwarded-For chain. Columns are only added (no table rebuild), so the
append-only triggers of 0003 stay in place on SQLite too.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 10:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = ("event_id", "service", "actor_nip", "actor_roles", "forwarded_for")


def upgrade() -> None:
    op.add_column('auth_audit', sa.Column('event_id', sa.Uuid(), nullable=True))
    op.add_column('auth_audit', sa.Column('service', sa.String(length=32), nullable=True))
    op.add_column('auth_audit', sa.Column('actor_nip', sa.String(length=32), nullable=True))
    op.add_column('auth_audit', sa.Column('actor_roles', sa.JSON(), nullable=True))
    op.add_column('auth_audit', sa.Column('forwarded_for', sa.String(length=200),
                                          nullable=True))
    op.create_index('ux_auth_audit_event', 'auth_audit', ['event_id'], unique=True)


def downgrade() -> None:
    op.drop_index('ux_auth_audit_event', table_name='auth_audit')
    for column in COLUMNS:  # ALTER TABLE ... DROP COLUMN (SQLite 3.35+: no table rebuild)
        op.drop_column('auth_audit', column)
