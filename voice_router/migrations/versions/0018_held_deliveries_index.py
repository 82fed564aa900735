"""failed and invalid deliveries get a partial index of their own, in place of (status, next_attempt_at)

Every delivery stored was written into four indexes: the primary key, the (source,
delivery_key) key, `ix_delivery_pending` and `ix_delivery_status_due` on (status,
next_attempt_at), and processing one wrote it into the last one again (its status changes).
The pending deliveries' queries (the claim, what is due, the next retry) read
`ix_delivery_pending`; what else looked rows up by status wants failed and invalid
deliveries (listing, replaying and counting them). A partial index on `id` holding only
those serves it, and neither storing nor processing a delivery writes into it.

On PostgreSQL both indexes are built and dropped CONCURRENTLY
(`voice_router.platform.online_index`): webhooks go on being stored meanwhile.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 22:00:00
"""

from voice_router.platform import online_index

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

HELD = "status IN ('failed', 'invalid')"


def upgrade() -> None:
    online_index.create("ix_delivery_held", "delivery", ["id"], HELD)
    online_index.drop("ix_delivery_status_due", "delivery")


def downgrade() -> None:
    online_index.create("ix_delivery_status_due", "delivery", ["status", "next_attempt_at"])
    online_index.drop("ix_delivery_held", "delivery")
