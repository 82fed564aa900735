"""the claim reads pending deliveries off an index of their own

A batch claims `status = 'pending' … ORDER BY id LIMIT n`. The planner walked the primary
key and filtered, so each claim stepped over every delivery processed before it: 290 ms a
batch at 200,000 deliveries, the main reason processing slowed down as the inbox grew. A
partial index on `id` holding only pending deliveries keeps the claim as cheap at a
million deliveries as at the first.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_delivery_pending",
        "delivery",
        ["id"],
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_delivery_pending", table_name="delivery")
