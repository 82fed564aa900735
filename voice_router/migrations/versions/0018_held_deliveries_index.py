"""failed and invalid deliveries get a partial index of their own, in place of (status, next_attempt_at)

Every delivery stored was written into four indexes: the primary key, the (source,
delivery_key) key, `ix_delivery_pending` and `ix_delivery_status_due` on (status,
next_attempt_at), and processing one wrote it into the last one again (its status changes).
The pending deliveries' queries (the claim, what is due, the next retry) read
`ix_delivery_pending`; what else looked rows up by status wants failed and invalid
deliveries (listing, replaying and counting them). A partial index on `id` holding only
those serves it, and neither storing nor processing a delivery writes into it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 22:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

HELD = "status IN ('failed', 'invalid')"


def upgrade() -> None:
    op.create_index(
        "ix_delivery_held",
        "delivery",
        ["id"],
        postgresql_where=sa.text(HELD),
        sqlite_where=sa.text(HELD),
    )
    op.drop_index("ix_delivery_status_due", table_name="delivery")


def downgrade() -> None:
    op.create_index("ix_delivery_status_due", "delivery", ["status", "next_attempt_at"])
    op.drop_index("ix_delivery_held", table_name="delivery")
