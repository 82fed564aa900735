"""one Jira issue, one problem; what a sync still owes Jira is in the database

`problem.jira_key` becomes unique. Where several problems point at one issue (linking used to
allow it), the oldest problem keeps it (its block is rewritten at its next sync); the others
lose the link and say so in `jira_error`, so a person can link them again or merge them.

New columns: `jira_create_sent_at` (a create was sent and its answer not seen yet: search
before any second create), `jira_remote_link_at` (the remote link back is in place; empty
for issues linked before: the next sync looks for the link and adds it if missing),
`jira_person_issue` (a person linked the issue: voice-router writes its block and labels
only), `jira_detach_keys` (issues whose block and per-problem label are still to be taken
off after an unlink).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 09:00:00
"""

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

problem = sa.table(
    "problem",
    sa.column("id", sa.Integer),
    sa.column("jira_key", sa.String),
    sa.column("jira_url", sa.String),
    sa.column("jira_status", sa.String),
    sa.column("jira_status_category", sa.String),
    sa.column("jira_resolution", sa.String),
    sa.column("jira_content_hash", sa.String),
    sa.column("jira_error", sa.Text),
    sa.column("jira_unlinked_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column("jira_sync_due_at", sqlmodel.sql.sqltypes.UTCDateTime()),
)


def _unshare_issues() -> None:
    connection = op.get_bind()
    now = datetime.now(UTC)
    shared = connection.execute(
        sa.select(problem.c.jira_key, sa.func.min(problem.c.id))
        .where(problem.c.jira_key.is_not(None))
        .group_by(problem.c.jira_key)
        .having(sa.func.count() > 1)
    ).all()
    for key, keeper in shared:
        connection.execute(
            sa.update(problem)
            .where(problem.c.jira_key == key, problem.c.id != keeper)
            .values(
                jira_key=None,
                jira_url=None,
                jira_status=None,
                jira_status_category=None,
                jira_resolution=None,
                jira_content_hash=None,
                jira_unlinked_at=now,
                jira_error=f"{key} is problem {keeper}'s issue; link another issue or merge "
                f"this problem into problem {keeper}",
            )
        )
        connection.execute(
            sa.update(problem)
            .where(problem.c.id == keeper)
            .values(jira_content_hash=None, jira_sync_due_at=now)
        )


def upgrade() -> None:
    _unshare_issues()
    with op.batch_alter_table("problem") as batch:
        batch.drop_index("ix_problem_jira_key")
        batch.create_index("ix_problem_jira_key", ["jira_key"], unique=True)
        batch.add_column(
            sa.Column("jira_create_sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch.add_column(
            sa.Column("jira_remote_link_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch.add_column(
            sa.Column(
                "jira_person_issue", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(
            sa.Column(
                "jira_detach_keys", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("problem") as batch:
        batch.drop_column("jira_detach_keys")
        batch.drop_column("jira_person_issue")
        batch.drop_column("jira_remote_link_at")
        batch.drop_column("jira_create_sent_at")
        batch.drop_index("ix_problem_jira_key")
        batch.create_index("ix_problem_jira_key", ["jira_key"], unique=False)
