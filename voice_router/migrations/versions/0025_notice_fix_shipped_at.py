"""which fix a customer was told of

New column on `customernotice`: `fix_shipped_at`, when the fix the customer was marked told
of had shipped (the problem's `shipped_at` at the mark). A customer told "it's fixed" whose
fix did not hold (it came back, its issue was reopened) then got a draft for the next fix
saying "I'm glad to say it's fixed" as if for the first time. Existing marks made since the
problem last shipped are taken as marks of that fix; older ones stay unknown (none), as a
mark before any fix is.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 20:30:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customernotice") as batch:
        batch.add_column(
            sa.Column("fix_shipped_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    op.execute(
        "UPDATE customernotice SET fix_shipped_at = (SELECT problem.shipped_at FROM problem"
        " WHERE problem.id = customernotice.problem_id) WHERE EXISTS (SELECT 1 FROM problem"
        " WHERE problem.id = customernotice.problem_id AND problem.shipped_at IS NOT NULL"
        " AND customernotice.notified_at >= problem.shipped_at)"
    )


def downgrade() -> None:
    with op.batch_alter_table("customernotice") as batch:
        batch.drop_column("fix_shipped_at")
