"""whom a digest named; when an account's MRR was last set

New table `digestcustomer` (a sent digest of a shipped fix, a customer it named): an agent
told of a customer under a problem that was then merged heard of them again when the
survivor shipped. New column `account.mrr_at`: the time of the information an account's MRR
came from (a delivery's `occurred_at`, an import's moment); a helpdesk's retry of an old
delivery overwrote a newer MRR, imported or delivered. Existing accounts have none: the
next delivery or import sets it.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 18:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digestcustomer",
        sa.Column("outbound_id", sa.Integer(), sa.ForeignKey("outbound.id"), primary_key=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id"), primary_key=True),
    )
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("mrr_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.drop_column("mrr_at")
    op.drop_table("digestcustomer")
