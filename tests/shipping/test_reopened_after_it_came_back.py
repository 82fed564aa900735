"""A fix that came back (`regressed`) whose Jira issue is then reopened. Whoever heard that it
came back hears nothing more: a second "came back" (or "maybe not fixed") says nothing new.
What was still owed of that news (the helpdesk or Slack was away) still goes: the fix is still
back while its issue is worked; and when the next fix ships before it went, the shipped news
goes instead, saying what became of the earlier fix. A fix that shipped after it and comes
back again is news again."""

from __future__ import annotations

import pytest

from tests.shipping.test_close_the_loop import problem
from tests.shipping.test_digests import make_messages_due
from tests.shipping.test_fixed_again import BOB, shipped_in_240, ships_in_241
from tests.shipping.test_regression_warnings import back, to
from workers import jobs

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

CAME_BACK = "The earlier fix in version 2.4.0 came back: it was reported again after it shipped."


def reopened_for_good(loop, key: str) -> None:  # type: ignore[no-untyped-def]
    """The issue of the fix that came back is reopened, past any grace period."""
    loop.sandbox.transition(key, "In Progress")
    assert problem(loop).status == "in_progress"
    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)


def test_a_reopen_after_the_fix_came_back_says_nothing_new_until_a_fix_ships_again(
    make_loop, httpserver
):
    """Tom's ticket and Bob heard that 2.4.0 came back; the issue reopened adds nothing. 2.4.1
    ships (news, saying what became of 2.4.0) and comes back too: news again; reopened once
    more: nothing."""
    loop, desk, key = shipped_in_240(make_loop, httpserver, "regressed", desk=[], slack=[])
    back(loop, "T9", "nina@initech.com", "Nina Park", "alice@support.example")
    assert desk.notes[1].startswith("Not fixed after all for Tom Reed")
    assert "is back" in to(BOB, httpserver)[1]

    reopened_for_good(loop, key)
    assert len(desk.notes) == 2 and len(to(BOB, httpserver)) == 2  # nothing new to say

    ships_in_241(loop, key, "reopened")  # from In Progress
    assert desk.notes[2].startswith("Fixed now for Tom Reed") and CAME_BACK in desk.notes[2]
    assert CAME_BACK in to(BOB, httpserver)[2]

    back(loop, "T10", "omar@initech.com", "Omar Diaz", "alice@support.example")  # news
    assert desk.notes[3].startswith("Not fixed after all for Tom Reed")
    assert "The fix that shipped in version 2.4.1" in desk.notes[3]
    bob = to(BOB, httpserver)
    assert len(bob) == 4 and "is back" in bob[3] and "Tom Reed" in bob[3]

    reopened_for_good(loop, key)
    assert len(desk.notes) == 4 and len(to(BOB, httpserver)) == 4


def test_what_was_owed_of_the_fix_coming_back_still_goes_after_a_reopen(make_loop, httpserver):
    """Zendesk and Slack were away when 2.4.0 came back; the issue was reopened before they
    were back. Tom's ticket read "Fixed ... 2.4.0" for good, and Bob never heard: the reopen
    had cancelled the note and the warning."""
    loop, desk, key = shipped_in_240(make_loop, httpserver, "regressed", desk=[503], slack=[503])
    back(loop, "T9", "nina@initech.com", "Nina Park", "alice@support.example")
    assert len(desk.notes) == 1 and len(to(BOB, httpserver)) == 1  # away: tried again later

    reopened_for_good(loop, key)  # both are back by now

    [_, came_back] = desk.notes
    assert came_back.startswith('Not fixed after all for Tom Reed at acme-corp.com: "Login loop"')
    assert "The fix that shipped in version 2.4.0" in came_back and "has come back" in came_back
    [_, warning] = to(BOB, httpserver)
    assert "is back" in warning and "Tom Reed" in warning
    assert desk.tries == 3  # once each, and no note that it was reopened


def test_a_fix_that_ships_before_the_news_it_came_back_went_sends_the_shipped_news_instead(
    make_loop, httpserver
):
    """Zendesk and Slack were away from 2.4.0's coming back until 2.4.1 shipped: Tom's ticket
    and Bob get the one note (digest) that is true by then, saying what became of 2.4.0,
    never a stale "not fixed after all" after the fix."""
    loop, desk, key = shipped_in_240(make_loop, httpserver, "regressed", desk=[503], slack=[503])
    back(loop, "T9", "nina@initech.com", "Nina Park", "alice@support.example")
    loop.sandbox.transition(key, "In Progress")

    ships_in_241(loop, key, "reopened")  # from In Progress
    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)

    [_, again] = desk.notes
    assert again.startswith('Fixed now for Tom Reed at acme-corp.com: "Login loop"')
    assert f"{CAME_BACK} The fix has shipped now in version 2.4.1" in again
    [_, digest] = to(BOB, httpserver)
    assert "has shipped in version 2.4.1" in digest and CAME_BACK in digest
    assert "Tom Reed" in digest and "“Login loop”" in digest
    assert "Let them know, in your own words" in again  # Tom's latest ticket: the word goes here
