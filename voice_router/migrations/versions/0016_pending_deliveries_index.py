"""the claim reads pending deliveries off an index of their own

A batch claims `status = 'pending' … ORDER BY id LIMIT n`. The planner walked the primary
key and filtered, so each claim stepped over every delivery processed before it: 290 ms a
batch at 200,000 deliveries, the main reason processing slowed down as the inbox grew. A
partial index on `id` holding only pending deliveries keeps the claim as cheap at a
million deliveries as at the first.

On PostgreSQL the index is built CONCURRENTLY (`voice_router.platform.online_index`):
webhooks go on being stored while it scans the table.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 12:00:00
"""

from voice_router.platform import online_index

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    online_index.create("ix_delivery_pending", "delivery", ["id"], "status = 'pending'")


def downgrade() -> None:
    online_index.drop("ix_delivery_pending", "delivery")
