"""What the problem page says about whom to tell, read by an agent signed in to the UI, once
Jira has decided: a shipped fix with nobody left to tell says so (not "tell these customers"),
and a won't-fix shows the customers its agents were asked, in their digests, to let know
(not "nobody to tell"), while the API's notify list of a won't-fix stays empty (DESIGN)."""

from __future__ import annotations

import re

import pytest

from tests.shipping.test_close_the_loop import notify_list, report, seed
from tests.shipping.test_regression_warnings import (
    ALICE,
    BOB,
    CAROL,
    MARIA,
    after_the_ship,
    back,
    mark_told,
    ship,
    slack_loop,
)
from tests.ui.ui_support import section, sign_in
from voice_router.problems.privacy import forget

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

DEV = ("T2", "dev@globex.io", "Dev Patel", BOB)


def said(loop, problem_id: int) -> str:  # type: ignore[no-untyped-def]
    """The notify section of the problem's page as an agent reads it: tags out, one line."""
    return words(_notify_html(loop, problem_id))


def rows(loop, problem_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Each row of the notify section's table, as words."""
    body = _notify_html(loop, problem_id).split("<tbody>")[1]
    return [words(row) for row in body.split("</tr>") if "<td" in row]


def words(html: str) -> str:
    text = re.sub(r"<[^>]+>", " ", html)
    return " ".join(text.replace("&#39;", "'").split())


def _notify_html(loop, problem_id: int) -> str:  # type: ignore[no-untyped-def]
    page = loop.client.get(f"/problems/{problem_id}")
    assert page.status_code == 200, page.status_code
    return section(page.text, "notify")


def test_a_shipped_fix_whose_customers_were_all_forgotten_has_nobody_left_to_tell(
    make_loop, httpserver
):
    """Left by an earlier session: both customers were erased (`forget`) after the fix
    shipped; the page still said "The fix shipped: tell these customers, then mark them as
    told." above "Nobody on the list."."""
    loop = slack_loop(make_loop, httpserver)
    p = ship(loop, MARIA, DEV)
    forget(loop.runtime.engine, "maria@acme-corp.com", "test:dpo")
    forget(loop.runtime.engine, "dev@globex.io", "test:dpo")
    sign_in(loop.client, loop.runtime, "agent", name="Ann Agent")

    text = said(loop, p.id)

    assert "The fix shipped, and nobody is left to tell" in text, text
    assert "tell these customers" not in text and "tell this customer" not in text


def test_a_shipped_fix_says_how_many_are_left_to_tell_and_when_everyone_was(make_loop, httpserver):
    """The same page once customers are marked told: it asked to "tell these customers" when
    one or none was left."""
    loop = slack_loop(make_loop, httpserver)
    p = ship(loop, MARIA, DEV)
    sign_in(loop.client, loop.runtime, "agent", name="Ann Agent")
    assert "The fix shipped: tell these customers, then mark them as told." in said(loop, p.id)

    mark_told(loop, p.id, "maria@acme-corp.com")
    text = said(loop, p.id)
    assert "The fix shipped: 1 customer still to tell (1 told already)" in text, text

    mark_told(loop, p.id, "dev@globex.io")
    text = said(loop, p.id)
    assert "The fix shipped, and all 2 customers on the list have been told." in text, text
    assert "tell these customers" not in text and "still to tell" not in text


def test_a_fix_that_came_back_asks_nobody_to_tell_customers_it_is_fixed(make_loop, httpserver):
    """Left by fix-pages: once a report after the ship brought the problem back (`regressed`),
    the page still said "Tell these customers" and "The fix shipped: tell these customers,
    then mark them as told."."""
    loop = slack_loop(make_loop, httpserver)
    p = ship(loop, MARIA, DEV)
    mark_told(loop, p.id, "maria@acme-corp.com")
    back(loop, "T3", "erin@initech.com", "Erin Gold", ALICE, subject="Broken again")
    sign_in(loop.client, loop.runtime, "agent", name="Ann Agent")

    text = said(loop, p.id)

    assert "The fix came back The fix shipped, then it was reported again: tell nobody" in text
    assert "it is fixed until the next fix ships (each draft below says it came back)." in text
    assert "We shipped a fix, but it has come back" in text, text  # Maria's draft
    assert "1 customer on the list was told it was fixed." in text, text
    assert "Tell these customers" not in text and "tell these customers" not in text


def test_a_wont_fix_shows_whom_the_agents_were_asked_to_tell(make_loop, httpserver):
    """Left by an earlier session: the page of a won't-fix said "Won't fix: nobody to tell."
    while Bob's and Carol's digests had just asked them to let Dev and Maria know. Now it
    names them, each with whether their agent was asked; a customer who reported after the
    digests went is shown as not asked."""
    loop = slack_loop(make_loop, httpserver)
    p = seed(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Won't Do")
    assert len(httpserver.log) == 2  # Bob's digest and Carol's
    report(
        loop,
        "T9",
        "erin@initech.com",
        name="Erin Gold",
        agent_email=ALICE,
        occurred_at=after_the_ship(),
    )
    sign_in(loop.client, loop.runtime, "agent", name="Ann Agent")

    text = said(loop, p.id)

    assert "nobody to tell" not in text and "Nobody on the list" not in text
    assert "Won't fix: each agent is asked to let their customers know" in text, text
    assert "the agent of 1 customer below has not been asked (yet)." in text, text
    [erin, dev, maria] = rows(loop, p.id)  # by agent: Alice (Erin), Bob, Carol
    assert dev.startswith("Asked ") and "Dev Patel dev@globex.io" in dev, dev
    assert maria.startswith("Asked ") and "Maria Lopez" in maria and CAROL in maria, maria
    assert erin.startswith("No: reported after the decision Erin Gold"), erin
    # The API's contract is unchanged: a won't-fix has no notify list.
    assert notify_list(loop, p.id)["recipients"] == []


def test_a_wont_fix_without_digests_says_nobody_asked_the_agents(make_loop):
    """With no Slack or e-mail configured no digest goes: the page does not claim the agents
    were asked."""
    loop = make_loop()
    p = seed(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Won't Do")
    sign_in(loop.client, loop.runtime, "agent", name="Ann Agent")

    text = said(loop, p.id)

    assert "no digest goes to agents (no Slack or e-mail is configured)" in text, text
    assert [row.split("@")[0] for row in rows(loop, p.id)] == [
        "No: no digest went to the agent Dev Patel dev",
        "No: no digest went to the agent Maria Lopez maria",
    ]
