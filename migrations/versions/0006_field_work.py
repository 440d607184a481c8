"""Field work from the phone (issue 17): a home visit's deposit intention, amount and note, a note on an SMS
reply and a care action, the day a care action was done, and a version number on each for optimistic
concurrency (two people editing one record: the second is told, not overwritten).

Revision ID: 0006_field_work
Revises: 0004_wecom_staff_day
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_field_work"
down_revision = "0004_wecom_staff_day"
branch_labels = None
depends_on = None

NOTE = 200


def _note() -> sa.Column:
    return sa.Column("note", sa.String(length=NOTE), server_default=sa.text("''"), nullable=False)


def _version() -> sa.Column:
    return sa.Column("version", sa.Integer(), server_default="1", nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("visit") as batch:
        batch.add_column(sa.Column("intention", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("intended_amount", sa.Float(), nullable=True))
        batch.add_column(_note())
        batch.add_column(_version())
    with op.batch_alter_table("smsmessage") as batch:
        batch.add_column(_note())
        batch.add_column(_version())
    with op.batch_alter_table("careaction") as batch:
        batch.add_column(sa.Column("done_on", sa.Date(), nullable=True))
        batch.add_column(_note())
        batch.add_column(_version())


def downgrade() -> None:
    with op.batch_alter_table("careaction") as batch:
        batch.drop_column("version")
        batch.drop_column("note")
        batch.drop_column("done_on")
    with op.batch_alter_table("smsmessage") as batch:
        batch.drop_column("version")
        batch.drop_column("note")
    with op.batch_alter_table("visit") as batch:
        batch.drop_column("version")
        batch.drop_column("note")
        batch.drop_column("intended_amount")
        batch.drop_column("intention")
