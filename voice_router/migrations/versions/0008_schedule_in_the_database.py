"""what is due lives in the database: Jira syncs per problem, and leases

`problem.jira_sync_due_at` says when a problem's Jira issue is next to be brought up to
date (paced by `[jira].update_interval_seconds`, pushed back with backoff after a failed
try), `jira_sync_claimed_at` since when a runner is at it, `jira_synced_at` when it last
was. `lease` lets one job runner (or one reconcile)
work at a time across every process of a deployment, and hands over when its holder dies.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 04:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("problem") as batch:
        batch.add_column(
            sa.Column("jira_sync_due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch.add_column(
            sa.Column("jira_sync_claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch.add_column(
            sa.Column("jira_synced_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch.add_column(
            sa.Column("jira_sync_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch.create_index("ix_problem_jira_sync_due_at", ["jira_sync_due_at"])
    op.create_table(
        "lease",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("lease")
    with op.batch_alter_table("problem") as batch:
        batch.drop_index("ix_problem_jira_sync_due_at")
        batch.drop_column("jira_sync_attempts")
        batch.drop_column("jira_synced_at")
        batch.drop_column("jira_sync_claimed_at")
        batch.drop_column("jira_sync_due_at")
