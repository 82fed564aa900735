"""trends kept on the problem row: a copy of the recent new tickets per day

`problem.recent` holds the group's `impactday` rows the 7- and 30-day trend windows can
still reach ("ordinal:count" pairs), `trend_7d` / `trend_30d` the trends as they stood on
`trend_day`. The problem list reads them from the row instead of a query over `impactday`
per request (voice_router/problems/trend_days.py). Filled here from `impactday`. The list's
default order (impact) gets an index, so its first page is read off it, not sorted.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 09:40:00
"""

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("problem") as batch:
        batch.add_column(sa.Column("trend_day", sa.Date(), nullable=True))
        batch.add_column(sa.Column("trend_7d", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("trend_30d", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("recent", sa.Text(), nullable=False, server_default=""))
    _fill()
    op.create_index(
        "ix_problem_impact_rank",
        "problem",
        [
            sa.text("customers DESC"),
            sa.text("accounts DESC"),
            sa.text("mrr DESC"),
            sa.text("tickets DESC"),
            "id",
        ],
        postgresql_where=sa.text("merged_into_id IS NULL"),
        sqlite_where=sa.text("merged_into_id IS NULL"),
    )


def _fill() -> None:
    from voice_router.problems import trend_days

    connection = op.get_bind()
    today = datetime.now(UTC).date()
    rows = connection.execute(
        sa.text("SELECT owner_id, day, tickets FROM impactday WHERE day >= :oldest"),
        {"oldest": today - timedelta(days=trend_days.SPAN)},
    ).all()
    days: dict[int, dict[int, int]] = defaultdict(dict)
    for owner, day, tickets in rows:
        if isinstance(day, str):  # SQLite hands back text
            day = datetime.fromisoformat(day).date()
        days[owner][day.toordinal()] = tickets
    update = sa.text(
        "UPDATE problem SET trend_day = :day, trend_7d = :week, trend_30d = :month, "
        "recent = :recent WHERE id = :pid"
    )
    for (pid,) in connection.execute(sa.text("SELECT id FROM problem")).all():
        kept = trend_days.windowed(days.get(pid, {}), today)
        week, month = trend_days.trends_on(kept, today)
        connection.execute(
            update,
            {"day": today, "week": week, "month": month, "recent": trend_days.dump(kept), "pid": pid},
        )


def downgrade() -> None:
    op.drop_index("ix_problem_impact_rank", table_name="problem")
    with op.batch_alter_table("problem") as batch:
        batch.drop_column("recent")
        batch.drop_column("trend_30d")
        batch.drop_column("trend_7d")
        batch.drop_column("trend_day")
