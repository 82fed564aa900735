"""pain points and impact tallies name their rows through set-wise checks (PostgreSQL)

A foreign key is checked row by row: for each pain point inserted, PostgreSQL looked its
problem, customer and account up and locked each (FOR KEY SHARE), and its owner for each
`impactmember` and `impactday` row — 5,000 lookups a 1,000-delivery batch, about half of
PostgreSQL's CPU in processing (docs/benchmarks.md, section 2). Here the five foreign keys
of those three tables become statement-level triggers that check the same thing once per
statement: every distinct id a statement's new rows name must exist, and each such row is
locked FOR KEY SHARE, as the row-by-row check locked it, until the transaction ends. The
other direction keeps its guard too: deleting a problem, customer or account (or changing
its id) while a pain point or tally names it is refused, as NO ACTION refused it; it waits
for a transaction that has just named the row (that lock), then sees its rows (each query
of the trigger takes a fresh snapshot under READ COMMITTED, the isolation the service runs
at). The violations are `foreign_key_violation` errors, as before.

What is not the same: a delete run at REPEATABLE READ or SERIALIZABLE checks against its
own snapshot (PostgreSQL's own check also looks at rows committed since), and TRUNCATE of
one referenced table alone is not refused. The service never deletes these rows.

SQLite keeps its foreign keys (checked in the same statement, and cheap there).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 14:30:00
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# (table, column, referenced table): the foreign keys checked set-wise
REFERENCES = [
    ("painpoint", "problem_id", "problem"),
    ("painpoint", "customer_id", "customer"),
    ("painpoint", "account_id", "account"),
    ("impactmember", "owner_id", "problem"),
    ("impactday", "owner_id", "problem"),
]

def _checker(name: str, declare: str, guard: str, check: str, message: str) -> str:
    """A trigger function that runs `check` for each pair of its arguments (TG_ARGV) and
    raises a foreign key violation when it sets `bad`."""
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    i int := 0;
    bad boolean;
    {declare}
BEGIN
    {guard}
    WHILE i < TG_NARGS LOOP
        {check}
        IF bad THEN
            RAISE EXCEPTION '{message}', TG_TABLE_NAME, TG_ARGV[i], TG_ARGV[i + 1]
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        i := i + 2;
    END LOOP;
    RETURN NULL;
END $$
"""


# Statement triggers on the naming tables. TG_ARGV: (column, referenced table) pairs;
# `new_rows` is the statement's transition table. One probe of the referenced table's
# primary key per distinct id (a LATERAL subquery): a semi-join was planned as a scan of
# the whole table, which grows with its dead row versions between two vacuums.
REFERENCES_EXIST = _checker(
    "voice_router_references_exist",
    "wanted bigint; found bigint;",
    "",
    """EXECUTE format('SELECT count(DISTINCT %I) FROM new_rows', TG_ARGV[i]) INTO wanted;
        EXECUTE format(
            'SELECT count(*) FROM (SELECT DISTINCT %I AS id FROM new_rows) named '
            'CROSS JOIN LATERAL (SELECT 1 FROM %I t WHERE t.id = named.id FOR KEY SHARE) found',
            TG_ARGV[i], TG_ARGV[i + 1]) INTO found;
        bad := found < wanted;""",
    'insert or update on table "%" violates foreign key: % names a % row that does not exist',
)

# Row triggers on the named tables. TG_ARGV: (naming table, its column) pairs.
UNREFERENCED = _checker(
    "voice_router_unreferenced",
    "",
    "IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN RETURN NULL; END IF;",
    """EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I = $1)', TG_ARGV[i],
            TG_ARGV[i + 1]) INTO bad USING OLD.id;""",
    'update or delete on table "%" violates foreign key: %.% names it',
)


def _arguments(*names: str) -> str:
    return ", ".join(f"'{name}'" for name in names)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(REFERENCES_EXIST)
    op.execute(UNREFERENCED)
    for table, column, _ in REFERENCES:
        op.drop_constraint(f"{table}_{column}_fkey", table, type_="foreignkey")
    for table in dict.fromkeys(t for t, _, _ in REFERENCES):
        pairs = [name for t, c, r in REFERENCES if t == table for name in (c, r)]
        for event in ("insert", "update"):
            op.execute(
                f"CREATE TRIGGER {table}_references_{event} AFTER {event.upper()} ON {table} "
                "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
                f"EXECUTE FUNCTION voice_router_references_exist({_arguments(*pairs)})"
            )
    for referenced in dict.fromkeys(r for _, _, r in REFERENCES):
        pairs = [name for t, c, r in REFERENCES if r == referenced for name in (t, c)]
        op.execute(
            f"CREATE TRIGGER {referenced}_unreferenced AFTER DELETE OR UPDATE OF id "
            f"ON {referenced} FOR EACH ROW "
            f"EXECUTE FUNCTION voice_router_unreferenced({_arguments(*pairs)})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for referenced in dict.fromkeys(r for _, _, r in REFERENCES):
        op.execute(f"DROP TRIGGER {referenced}_unreferenced ON {referenced}")
    for table in dict.fromkeys(t for t, _, _ in REFERENCES):
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER {table}_references_{event} ON {table}")
    for table, column, referenced in REFERENCES:
        op.create_foreign_key(f"{table}_{column}_fkey", table, referenced, [column], ["id"])
    op.execute("DROP FUNCTION voice_router_unreferenced()")
    op.execute("DROP FUNCTION voice_router_references_exist()")
