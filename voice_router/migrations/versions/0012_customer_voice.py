"""the customer's voice: first messages, fix versions, renames, the weekly digest record

`painpoint.first_message` holds the customer's first message on the ticket where the
helpdesk's payload carries it (trimmed, e-mail addresses and phone numbers masked), the
source of the quotes; `problem.jira_fix_version` the fix version Jira names, for the
message drafts; `problem.renamed_by` who renamed the problem (its title is then a person's,
no longer derived from the tag). What each weekly digest sent is a `setting` row.

Titles still as the tag key made them ("Sso login loop") are spelled again the way their
tickets spell the words, or as common acronyms ("SSO login loop"): voice_router/problems/titles.py.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 07:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("painpoint") as batch:
        batch.add_column(sa.Column("first_message", sa.Text(), nullable=True))
    with op.batch_alter_table("problem") as batch:
        batch.add_column(sa.Column("jira_fix_version", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("renamed_by", sa.String(length=100), nullable=True))
    _respell_titles()


def _respell_titles() -> None:
    from voice_router.problems.titles import title_for

    connection = op.get_bind()
    problems = connection.execute(sa.text("SELECT id, key, title FROM problem")).all()
    subjects = sa.text(
        "SELECT subject FROM painpoint WHERE problem_id = :pid AND subject IS NOT NULL "
        "ORDER BY id LIMIT 20"
    )
    update = sa.text("UPDATE problem SET title = :title WHERE id = :pid")
    for pid, key, title in problems:
        words = key.replace("-", " ")
        if title != words[:1].upper() + words[1:]:
            continue  # renamed by a person
        texts = connection.execute(subjects, {"pid": pid}).scalars().all()
        respelled = title_for(key, texts)
        if respelled != title:
            connection.execute(update, {"title": respelled, "pid": pid})


def downgrade() -> None:
    with op.batch_alter_table("problem") as batch:
        batch.drop_column("renamed_by")
        batch.drop_column("jira_fix_version")
    with op.batch_alter_table("painpoint") as batch:
        batch.drop_column("first_message")
