"""A customer told of a fix that did not hold hears so in their next draft. Maria was
marked told when the fix shipped; it came back, its issue was worked again, and a new fix
shipped. Her drafts say, each time, that we wrote to her that it was fixed and that it was
not so, with an apology, never a second "I'm glad to say it's fixed" as if it were the
first. Dev, marked told before any fix shipped (a slip), heard of no fix: his drafts stay
the plain ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.shipping.test_close_the_loop import notify_list, problem, report, seed
from tests.support import token

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

MARIA, DEV = "maria@acme-corp.com", "dev@globex.io"
WROTE = "Earlier today we wrote to you that it was fixed"


def drafts(loop, problem_id: int) -> dict[str, tuple[bool, str]]:  # type: ignore[no-untyped-def]
    listed = notify_list(loop, problem_id)["recipients"]
    return {r["customer_email"]: (r["notified"], r["draft"]) for r in listed}


def mark(loop, problem_id: int, email: str) -> None:  # type: ignore[no-untyped-def]
    marked = loop.client.post(
        f"/api/v1/problems/{problem_id}/notify/mark-sent",
        json={"customer_emails": [email]},
        headers=token(loop.runtime, "agent", "Carol"),
    )
    assert marked.get_json()["marked"] == [email]


def test_a_customer_told_of_a_fix_that_did_not_hold_hears_so_in_each_draft(make_loop):
    loop = make_loop()
    p = seed(loop)
    mark(loop, p.id, DEV)  # before any fix: no fix he heard of
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    shipped = drafts(loop, p.id)
    assert shipped[DEV][0] is False and "I'm glad to say it's fixed" in shipped[DEV][1]
    mark(loop, p.id, MARIA)
    assert drafts(loop, p.id)[MARIA][0] is True

    later = (datetime.now(UTC) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    report(loop, "T9", "new@initech.com", occurred_at=later)
    assert problem(loop).status == "regressed"
    came_back = drafts(loop, p.id)
    assert f"{WROTE}, but it has come back, and I'm sorry about that." in came_back[MARIA][1]
    assert "We shipped a fix, but it has come back" in came_back[DEV][1]
    assert "we wrote" not in came_back[DEV][1]

    loop.sandbox.transition(p.jira_key, "In Progress")
    assert problem(loop).status == "in_progress"
    reopened = drafts(loop, p.id)
    assert f"{WROTE}, but that fix didn't hold, and I'm sorry" in reopened[MARIA][1]
    assert "The team is on it again" in reopened[MARIA][1]
    assert "isn't fixed yet" in reopened[DEV][1] and "we wrote" not in reopened[DEV][1]

    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    assert problem(loop).status == "shipped"
    fixed_again = drafts(loop, p.id)
    notified, maria = fixed_again[MARIA]
    assert notified is False  # told of the fix that did not hold, not of this one
    assert maria.startswith("Hi Maria,\n\n")
    assert f"{WROTE}, but that fix didn't hold, and I'm sorry about that." in maria
    assert "Now a new fix has gone out" in maria and "I'm glad to say" not in maria
    assert "I'm glad to say it's fixed" in fixed_again[DEV][1]
    assert "we wrote" not in fixed_again[DEV][1]
    mark(loop, p.id, MARIA)  # told of this one: her draft is the plain one again
    assert "I'm glad to say it's fixed" in drafts(loop, p.id)[MARIA][1]
