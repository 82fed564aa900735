"""the encoder that made each cached problem vector

`problemvector.model` names the text encoder of voice_router.problems.meaning that computed the row.
Rows already there came from WordLlama's static word vectors (256 wide) and are stamped so;
the drain and reconcile jobs recompute every row whose model is not the current one, and
suggestions read only the current model's rows.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("problemvector") as batch:
        batch.add_column(
            sa.Column("model", sa.String(length=40), nullable=False, server_default="wordllama-256")
        )


def downgrade() -> None:
    with op.batch_alter_table("problemvector") as batch:
        batch.drop_column("model")
