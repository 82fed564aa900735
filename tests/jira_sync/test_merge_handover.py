"""A merged problem's issue handed to a survivor that had none: one live issue for the
group however the merge meets the survivor's own create, and an unmerge gives the issue
back to the problem it was made for, with no trace of the other left on it."""

from __future__ import annotations

import threading
import time

import pytest
from sqlmodel import Session, select

from integrations.jira.render import BEGIN
from tests.jira_sync.conftest import jira_table, label, labels_naming
from tests.support import generic_delivery, inline_runtime, post_signed, token
from voice_router.models import Problem
from voice_router.tracker.reconcile import reconcile
from voice_router.web import create_app

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

CREATE = r"/rest/api/2/issue"
WAIT_SECONDS = 30


@pytest.fixture
def two(make_settings, sandbox):  # type: ignore[no-untyped-def]
    """Issues from two customers on (min_customers 2): sso-login (M) has its issue, PROD-1;
    okta-loop (S) has one report and none yet. The runtime and a client."""
    runtime = inline_runtime(
        make_settings(jira=jira_table(sandbox, min_customers=2), base_url="https://vr.example")
    )
    client = create_app(runtime=runtime).test_client()
    report(client, "T1", "a@acme.com", "pain-sso-login")
    report(client, "T2", "b@globex.io", "pain-sso-login")
    report(client, "T3", "c@initech.com", "pain-okta-loop")
    assert row(runtime, "sso-login").jira_key == "PROD-1"
    assert row(runtime, "okta-loop").jira_key is None
    yield runtime, client
    runtime.engine.dispose()


def report(client, ticket: str, email: str, tag: str) -> None:  # type: ignore[no-untyped-def]
    assert post_signed(client, "generic", generic_delivery(ticket, email, [tag])).status_code == 202


def row(runtime, key: str) -> Problem:  # type: ignore[no-untyped-def]
    with Session(runtime.engine, expire_on_commit=False) as session:
        return session.exec(select(Problem).where(Problem.key == key)).one()


def merge(client, runtime, merged: int, into: int):  # type: ignore[no-untyped-def]
    pm = token(runtime, "pm")
    return client.post(f"/api/v1/problems/{merged}/merge", json={"into": into}, headers=pm)


def create_sent(runtime, key: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT_SECONDS
    while row(runtime, key).jira_create_sent_at is None:
        assert time.monotonic() < deadline, f"{key}'s create was never sent"
        time.sleep(0.05)


def live(sandbox) -> list[str]:  # type: ignore[no-untyped-def]
    """The issues not closed."""
    return sorted(
        i["key"]
        for i in sandbox.issues()
        if i["fields"]["status"]["statusCategory"]["key"] != "done"
    )


def held_create(runtime, sandbox, ticket: str, email: str, tag: str) -> threading.Thread:  # type: ignore[no-untyped-def]
    """A report that brings its problem to two customers, sent from a thread whose sync's
    create Jira holds until `settle`; returns once the create is on its way."""
    sandbox.delay_next("POST", CREATE, WAIT_SECONDS)  # held until released
    client = create_app(runtime=runtime).test_client()
    second = threading.Thread(target=report, args=(client, ticket, email, tag), daemon=True)
    second.start()
    create_sent(runtime, tag.removeprefix("pain-"))
    return second


def settle(runtime, sandbox, second: threading.Thread) -> None:  # type: ignore[no-untyped-def]
    """The held create answers; the syncs due and a reconcile pass run."""
    sandbox.release_delayed()
    second.join(WAIT_SECONDS)
    assert not second.is_alive()
    runtime.queue.run_due_syncs()
    reconcile(runtime.engine, runtime.settings)
    runtime.queue.run_due_syncs()


def test_a_merge_while_the_survivors_create_is_in_flight_leaves_one_live_issue(two, sandbox):
    """Fault audit: the survivor took over PROD-1 at the merge, then its create answered and
    overwrote it with PROD-2: PROD-1 was held by no problem, kept up to date by nobody and
    never settled, and the group had two live issues."""
    runtime, client = two
    merged, survivor = row(runtime, "sso-login"), row(runtime, "okta-loop")
    second = held_create(runtime, sandbox, "T4", "d@hooli.com", "pain-okta-loop")

    assert merge(client, runtime, merged.id, survivor.id).status_code == 200
    settle(runtime, sandbox, second)

    assert len(sandbox.issues()) == 2  # the create did reach Jira
    assert live(sandbox) == ["PROD-1"]
    kept = row(runtime, "okta-loop")
    assert kept.jira_key == "PROD-1" and row(runtime, "sso-login").jira_key is None
    fields = sandbox.issue("PROD-1")["fields"]
    assert label(runtime.engine, survivor.id) in fields["labels"]
    assert "|4|4|" in fields["description"]  # the group's four customers
    duplicate = sandbox.issue("PROD-2")["fields"]
    assert duplicate["resolution"]["name"] == "Duplicate"
    [link] = duplicate["issuelinks"]
    assert link["outwardIssue"]["key"] == "PROD-1"
    assert label(runtime.engine, survivor.id) not in duplicate["labels"]
    assert BEGIN not in (duplicate["description"] or "")


def unmerge(client, runtime, merged: int):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/problems/{merged}/unmerge", headers=token(runtime, "pm"))


def test_an_unmerge_gives_the_handed_over_issue_back_without_the_survivors_marks(two, sandbox):
    """Fault audit: after the unmerge the survivor kept PROD-1, still labelled for the
    merged problem, which got a second issue of its own: PROD-1's history (comments,
    status, the people working it) left the problem it was made for."""
    runtime, client = two
    merged, survivor = row(runtime, "sso-login"), row(runtime, "okta-loop")
    assert merge(client, runtime, merged.id, survivor.id).get_json()["jira"]["key"] == "PROD-1"
    handed = sandbox.issue("PROD-1")["fields"]["labels"]
    assert label(runtime.engine, survivor.id) in handed  # the survivor keeps it now,
    assert not labels_naming(handed, merged.id)  # and it names no other problem
    [link] = sandbox.remote_links("PROD-1")
    assert link["object"]["url"] == f"https://vr.example/problems/{survivor.id}"

    answer = unmerge(client, runtime, merged.id)
    runtime.queue.run_due_syncs()

    assert answer.status_code == 200 and answer.get_json()["jira"]["key"] == "PROD-1"
    assert row(runtime, "okta-loop").jira_key is None  # one customer: below min_customers
    assert [i["key"] for i in sandbox.issues()] == ["PROD-1"]
    fields = sandbox.issue("PROD-1")["fields"]
    assert set(fields["labels"]) == {"voice-router", label(runtime.engine, merged.id)}
    assert "|2|2|" in fields["description"]  # sso-login's two customers again
    [link] = sandbox.remote_links("PROD-1")
    assert link["object"]["url"] == f"https://vr.example/problems/{merged.id}"

    sandbox.transition("PROD-1", "Done", resolution="Fixed")
    reconcile(runtime.engine, runtime.settings)
    assert (row(runtime, "sso-login").status, row(runtime, "okta-loop").status) == (
        "shipped",
        "open",
    )


def test_after_an_unmerge_the_survivor_with_customers_enough_gets_its_own_issue(two, sandbox):
    runtime, client = two
    merged, survivor = row(runtime, "sso-login"), row(runtime, "okta-loop")
    assert merge(client, runtime, merged.id, survivor.id).status_code == 200
    report(client, "T4", "d@hooli.com", "pain-okta-loop")  # the survivor's own second
    runtime.queue.run_due_syncs()

    assert unmerge(client, runtime, merged.id).status_code == 200
    runtime.queue.run_due_syncs()

    assert row(runtime, "sso-login").jira_key == "PROD-1"
    assert row(runtime, "okta-loop").jira_key == "PROD-2"
    assert set(sandbox.issue("PROD-1")["fields"]["labels"]) == {
        "voice-router",
        label(runtime.engine, merged.id),
    }
    assert set(sandbox.issue("PROD-2")["fields"]["labels"]) == {
        "voice-router",
        label(runtime.engine, survivor.id),
    }
    assert len(live(sandbox)) == 2


def test_a_create_whose_answer_was_lost_before_the_merge_is_settled_by_reconcile(two, sandbox):
    """The survivor's create made PROD-2 but its answer was lost; then the merge handed it
    PROD-1. Reconcile's sweep finds the survivor's label on both and keeps the older."""
    runtime, client = two
    merged, survivor = row(runtime, "sso-login"), row(runtime, "okta-loop")
    sandbox.drop_after_commit_next("POST", CREATE)
    report(client, "T4", "d@hooli.com", "pain-okta-loop")
    assert row(runtime, "okta-loop").jira_create_sent_at is not None  # made, answer lost

    assert merge(client, runtime, merged.id, survivor.id).status_code == 200
    runtime.queue.run_due_syncs()
    assert reconcile(runtime.engine, runtime.settings).duplicates == [survivor.id]

    assert live(sandbox) == ["PROD-1"] and row(runtime, "okta-loop").jira_key == "PROD-1"
    assert sandbox.issue("PROD-2")["fields"]["resolution"]["name"] == "Duplicate"


def test_a_merge_while_the_merged_problems_create_is_in_flight_leaves_one_issue_for_the_survivor(
    make_settings, sandbox
):
    """sso-login (M) reaches two customers and its create is on its way when it is merged
    into okta-loop (S), which has no issue: the merge found no issue to hand over, M's
    create then landed on M, and S created one of its own — two open issues, one for a
    merged problem. Now S waits for M's create, and the issue it makes is handed to S."""
    runtime = inline_runtime(
        make_settings(jira=jira_table(sandbox, min_customers=2), base_url="https://vr.example")
    )
    client = create_app(runtime=runtime).test_client()
    report(client, "T1", "a@acme.com", "pain-sso-login")
    report(client, "T3", "c@initech.com", "pain-okta-loop")
    merged, survivor = row(runtime, "sso-login"), row(runtime, "okta-loop")
    second = held_create(runtime, sandbox, "T2", "b@globex.io", "pain-sso-login")

    assert merge(client, runtime, merged.id, survivor.id).status_code == 200
    runtime.queue.run_due_syncs()  # the survivor's sync, while the create is held
    settle(runtime, sandbox, second)

    assert [i["key"] for i in sandbox.issues()] == ["PROD-1"]
    assert live(sandbox) == ["PROD-1"]
    kept, gone = row(runtime, "okta-loop"), row(runtime, "sso-login")
    assert kept.jira_key == "PROD-1" and gone.jira_key is None
    assert gone.jira_handed_key == "PROD-1"  # an unmerge gives it back
    fields = sandbox.issue("PROD-1")["fields"]
    assert label(runtime.engine, survivor.id) in fields["labels"]
    assert label(runtime.engine, merged.id) not in fields["labels"]
    assert "|3|3|" in fields["description"]  # the group's three customers
    runtime.engine.dispose()
