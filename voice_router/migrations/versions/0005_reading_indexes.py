"""indexes for reading: trends per problem, pain points by account

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 21:25:00
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_painpoint_trends", "painpoint", ["problem_id", "removed_at", "reported_at"])
    op.create_index("ix_painpoint_account", "painpoint", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_painpoint_account", table_name="painpoint")
    op.drop_index("ix_painpoint_trends", table_name="painpoint")
