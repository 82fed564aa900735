"""On SQLite `forget` reads the deliveries before it takes the write lock that every webhook
waits for (`scan_deliveries`), and under the lock reads only those stored since. Whatever
happens between the two, the result is what reading everything under the lock gives:
these tests make each of those happenings real, on both databases."""

from __future__ import annotations

import json

from sqlmodel import Session

from tests.test_forget_namesakes import ANNA, NAME, delivery_rows, receive, report_of
from voice_router.models import Delivery
from voice_router.platform.db import session_scope
from voice_router.problems.delivery_erasure import (
    FORGOTTEN_BODY,
    erase_deliveries,
    scan_deliveries,
)

IDS = {"generic": {"n7"}}


def scanned(runtime, names: set[str], ids: dict[str, set[str]]):
    with Session(runtime.engine) as session:
        return scan_deliveries(session, ANNA, names, ids)


def erased(runtime, names: set[str], ids: dict[str, set[str]], scan):
    with session_scope(runtime.engine) as session:
        return erase_deliveries(session, ANNA, names, ids, scan)


def jira_delivery(runtime, key: str, comment: str) -> int:
    with Session(runtime.engine) as session:
        body = {"webhookEvent": "comment_created", "comment": {"body": comment}}
        row = Delivery(
            source="jira", kind="jira", delivery_key=key, headers="{}",
            body=json.dumps(body).encode(),
        )  # fmt: skip
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


def test_a_delivery_of_hers_stored_after_the_scan_is_stubbed_too(runtime):
    first = receive(runtime, report_of("N-1", ANNA, "pain-export", "export", "n7"))
    scan = scanned(runtime, {NAME}, IDS)
    later = receive(runtime, report_of("N-2", ANNA, "pain-sso", "loop", "n7"))

    result = erased(runtime, {NAME}, IDS, scan)

    assert result.stubbed == 2
    rows = delivery_rows(runtime.engine, [first, later])
    assert {rows[i][1] for i in (first, later)} == {FORGOTTEN_BODY}


def test_a_delivery_the_scan_would_cut_that_changed_meanwhile_is_read_again(runtime):
    """Another forget stubbed it in between: the cut the scan made from its old body must
    not bring that body back."""
    theirs = receive(
        runtime,
        {**report_of("S-9", "ole@south.example", "pain-export", f"Ask {ANNA}", "s9"), "agent": {}},
    )
    scan = scanned(runtime, set(), {})
    assert theirs in scan.cuts
    with session_scope(runtime.engine) as session:
        row = session.get(Delivery, theirs)
        assert row is not None
        row.body = FORGOTTEN_BODY
        session.add(row)

    erased(runtime, set(), {}, scan)

    assert delivery_rows(runtime.engine, [theirs])[theirs][1] == FORGOTTEN_BODY


def test_a_name_her_later_delivery_spells_has_everything_read_again(runtime):
    """Her stored customer has no name, so the scan cannot know it; a delivery stored after
    it spells it, and a Jira comment stored before it must lose that name too."""
    comment = jira_delivery(runtime, "j-1", f"Called {NAME} today")
    scan = scanned(runtime, set(), IDS)
    assert comment not in scan.cuts
    receive(runtime, report_of("N-3", ANNA, "pain-export", "export", "n7"))

    result = erased(runtime, set(), IDS, scan)

    assert NAME in result.names
    body = json.loads(delivery_rows(runtime.engine, [comment])[comment][1])
    assert body["comment"]["body"] == "Called [forgotten] today"


def test_her_ids_changed_meanwhile_and_everything_is_read_again(runtime):
    """Processing gave her a helpdesk id after the scan: a delivery naming only that id,
    stored before the scan, is hers."""
    by_id = receive(
        runtime,
        report_of("N-4", "someone.else@north.example", "pain-export", "export", "n8")
        | {"customer": {"id": "n8"}},
    )
    scan = scanned(runtime, set(), IDS)
    assert by_id not in scan.stubs

    result = erased(runtime, set(), {"generic": {"n7", "n8"}}, scan)

    assert result.stubbed == 1
    assert delivery_rows(runtime.engine, [by_id])[by_id][1] == FORGOTTEN_BODY
