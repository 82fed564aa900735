"""a merged problem remembers the issue it handed to its survivor

A merge into a problem with no issue hands the merged problem's issue over; an unmerge
gives it back only if it knows which one that was (`jira_handed_key`).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 17:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("problem") as batch:
        batch.add_column(sa.Column("jira_handed_key", sa.String(length=50), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("problem") as batch:
        batch.drop_column("jira_handed_key")
