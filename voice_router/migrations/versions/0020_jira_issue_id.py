"""a problem keeps its Jira issue's id beside its key

An issue moved to another project, or in a project whose key was renamed, gets a new key; its
id never changes. Jira's webhooks carry both, and events were matched by key only, so a moved
issue's Done reached no problem and it never shipped. `jira_issue_id` is filled as issues are
created, adopted or linked, and as events of an issue still under its old key arrive.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("problem") as batch:
        batch.add_column(sa.Column("jira_issue_id", sa.String(length=50), nullable=True))
        batch.create_index("ix_problem_jira_issue_id", ["jira_issue_id"])


def downgrade() -> None:
    with op.batch_alter_table("problem") as batch:
        batch.drop_index("ix_problem_jira_issue_id")
        batch.drop_column("jira_issue_id")
