"""drop ix_painpoint_problem_active: ix_painpoint_trends leads with the same columns

Every query that used (problem_id, removed_at) can use (problem_id, removed_at,
reported_at); one index fewer to update for every pain point written.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 23:20:00
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_painpoint_problem_active", table_name="painpoint")


def downgrade() -> None:
    op.create_index("ix_painpoint_problem_active", "painpoint", ["problem_id", "removed_at"])
