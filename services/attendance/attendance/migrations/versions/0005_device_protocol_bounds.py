"""device protocol bounds: 64-bit stamps, command resend counter, per-tenant punch window,
index of quarantined unknown-PIN lines by PIN

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import ekinerja_shared.db


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UNKNOWN_PIN_INDEX = "ix_quarantine_unknown_pin"


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.alter_column('attlog_stamp', existing_type=sa.Integer(),
                              type_=sa.BigInteger(), existing_nullable=False)
        batch_op.alter_column('operlog_stamp', existing_type=sa.Integer(),
                              type_=sa.BigInteger(), existing_nullable=False)
    with op.batch_alter_table('device_commands', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False,
                                      server_default='0'))
    # commands already sent count as sent once
    op.execute("UPDATE device_commands SET attempts = 1 WHERE status <> 'pending'")
    op.create_table('punch_windows',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('max_future_hours', sa.Integer(), nullable=False),
    sa.Column('max_age_days', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', ekinerja_shared.db.AwareDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id')
    )
    # a directory event assigning a PIN re-reads the lines quarantined for that PIN
    op.execute(f"CREATE INDEX {UNKNOWN_PIN_INDEX} ON quarantine "
               "(tenant_id, (context->>'pin')) WHERE source = 'iclock:attlog:unknown_pin'")


def downgrade() -> None:
    """Downgrade schema."""
    op.execute(f"DROP INDEX IF EXISTS {UNKNOWN_PIN_INDEX}")
    op.drop_table('punch_windows')
    with op.batch_alter_table('device_commands', schema=None) as batch_op:
        batch_op.drop_column('attempts')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.alter_column('operlog_stamp', existing_type=sa.BigInteger(),
                              type_=sa.Integer(), existing_nullable=False)
        batch_op.alter_column('attlog_stamp', existing_type=sa.BigInteger(),
                              type_=sa.Integer(), existing_nullable=False)
