"""whether a message's request went out

New column on `outbound`: `request_at`, set when a message being sent is about to make its
request to the reader's server (a helpdesk, Slack, SMTP). A sender that died before then (a
stop while it waited on Jira for a won't-fix's reason, say) left a row `sending` that was
given up as possibly sent, and never sent; such a row is now sent again. Existing rows have
none; a row left `sending` by the code before this one is given up as before (the column is
set for them here, as their request may have gone out), and so is a weekly digest's state.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 21:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound") as batch:
        batch.add_column(
            sa.Column("request_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    op.execute("UPDATE outbound SET request_at = next_attempt_at WHERE status = 'sending'")
    # The weekly digest keeps the same note in its setting's JSON. One left `sending` by the
    # code before this one may have gone out (that code noted nothing): given up, not taken
    # up again (that code left it so for good).
    op.execute(
        "UPDATE setting SET value = replace(value, '\"status\": \"sending\"',"
        " '\"status\": \"sending\", \"request_at\": \"before 0026\"')"
        " WHERE key LIKE 'weekly_top:%' AND value LIKE '%\"status\": \"sending\"%'"
    )


def downgrade() -> None:
    with op.batch_alter_table("outbound") as batch:
        batch.drop_column("request_at")
