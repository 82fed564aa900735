"""what a message's reader heard of the fix before

New columns on `outbound`: `fix_told`, the fix versions the last shipped news that went out
on the row named ("" for none); `amends`, for shipped news owed after a warning (the fix came
back, its issue was reopened, its version unreleased), that warning's news. A ticket told
"fixed in 2.4.0", whose follow-up the helpdesk refused, then read "fixed in 2.4.1" with
nothing between; now that note says the fix of 2.4.0 did not hold. Existing rows have none:
their next shipped news that goes out sets `fix_told`.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound") as batch:
        batch.add_column(sa.Column("fix_told", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("amends", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbound") as batch:
        batch.drop_column("amends")
        batch.drop_column("fix_told")
