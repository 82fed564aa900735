"""`voice-router forget EMAIL` without `--yes` shows what it would erase and asks: the
preview counts without erasing (not the erasure rolled back, which cost as much as the
erasure, took its locks, and then ran again), and its figures are what the erasure erases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlmodel import Session, select

from tests.test_forget import EMAIL, dump, run, seed
from voice_router.models import Outbound, PainPoint

# A write to a table that holds the person (or an audit of forgetting them), or a lock on it
# that processing or intake would wait for. Not ROW EXCLUSIVE: every processing batch takes
# it (and any INSERT or UPDATE does), it makes nobody wait but forget.
WRITES_THEIRS = re.compile(
    r"^\s*(?:update|delete\s+from|insert\s+into|lock\s+table)\s+"
    r"(?:customer|customeridentity|painpoint|account|outbound|auditentry|note|problemvector)\b"
    r"(?!.*\bin\s+row\s+exclusive\s+mode)",
    re.IGNORECASE,
)


def counts(output: str, heading: str) -> dict[str, int]:
    """The `  label: N` lines under `heading` in the command's output."""
    section = output.split(heading, 1)[1]
    found = {}
    for line in section.splitlines()[1:]:
        matched = re.fullmatch(r"  (.+): (\d+)", line)
        if matched is None:
            break
        found[matched[1]] = int(matched[2])
    return found


def shown_as_erased(output: str) -> dict[str, int]:
    """The preview's figures, checked to be the erasure's (but for the text it scrubbed,
    which it counts only as it erases)."""
    shown = counts(output, "Found for this e-mail address:")
    erased = counts(output, "Erased:")
    assert shown == {k: n for k, n in erased.items() if not k.startswith("text scrubbed in ")}
    return shown


def messages_to_her(runtime) -> None:  # type: ignore[no-untyped-def]
    """A digest addressed to her (she was an agent too) and a note owed on her ticket."""
    with Session(runtime.engine) as session:
        mine = session.exec(select(PainPoint).where(PainPoint.ticket_id == "G-1")).one()
        owed = dict(problem_id=mine.problem_id, outcome="shipped")
        session.add(Outbound(channel="email", target=EMAIL, **owed))
        session.add(Outbound(channel="writeback", target="generic:G-1", **owed))
        session.commit()


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine of this process runs meanwhile."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)


def test_the_preview_shows_what_the_erasure_then_erases(tmp_path, settings, client, runtime):
    seed(client, runtime)
    messages_to_her(runtime)
    result = run(tmp_path, settings, "forget", EMAIL, answer="y\n")
    assert result.exit_code == 0, result.output
    shown = shown_as_erased(result.output)
    assert shown["customer records made anonymous"] == 1
    assert shown["raw webhook deliveries erased"] == 5
    assert shown["outbound messages readdressed"] == 2
    assert "lopez" not in result.output.lower()
    assert EMAIL.encode() not in dump(runtime.engine)


def test_the_preview_erases_nothing_even_for_a_moment(tmp_path, settings, client, runtime):
    """Fault audit: the preview was the whole erasure in a transaction rolled back: the
    locks that processing (or, on SQLite, every webhook) waits for, every write, and then
    the same again for real."""
    seed(client, runtime)
    before = dump(runtime.engine)
    with statements() as seen:
        result = run(tmp_path, settings, "forget", EMAIL, answer="n\n")
    assert result.exit_code == 1 and "nothing erased" in result.output
    assert counts(result.output, "Found for this e-mail address:")[
        "pain points cleared (kept for counts)"
    ]
    assert [s for s in seen if WRITES_THEIRS.match(s)] == []
    assert dump(runtime.engine) == before


def test_an_address_only_mentioned_in_a_note_is_still_asked_about(
    tmp_path, settings, client, runtime
):
    """Nothing of theirs but a mention: the preview finds no rows of theirs, yet there is
    something to erase, so it asks (and erases nothing on a no)."""
    from tests.support import token

    seed(client, runtime)
    problem_id = client.get("/api/v1/problems", headers=token(runtime)).get_json()["problems"][0][
        "id"
    ]
    note = {"body": "Ask ex.customer@nowhere.example about it"}
    assert (
        client.post(
            f"/api/v1/problems/{problem_id}/notes", json=note, headers=token(runtime)
        ).status_code
        == 201
    )
    result = run(tmp_path, settings, "forget", "ex.customer@nowhere.example", answer="n\n")
    assert result.exit_code == 1 and "Erase it?" in result.output, result.output
    assert b"ex.customer@nowhere.example" in dump(runtime.engine)
    result = run(tmp_path, settings, "forget", "ex.customer@nowhere.example", answer="y\n")
    assert result.exit_code == 0 and "text scrubbed in note.body: 1" in result.output, result.output
    assert b"ex.customer@nowhere.example" not in dump(runtime.engine)
