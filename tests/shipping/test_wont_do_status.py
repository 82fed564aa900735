"""A workflow's own done status for what was decided not to do ("Won't Do", "Declined",
"Cancelled"): an issue moved there is closed without a fix, whatever its resolution says. A
workflow that resolves every done status as Done (team-managed projects are reported to) made
the resolution alone read it as a fix: agents were told it shipped, and tickets that it was
fixed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.shipping.test_close_the_loop import problem, seed
from tests.shipping.test_notes_when_it_came_back import shipped_with_notes
from tests.shipping.test_notes_when_wont_do import Slack
from voice_router.closing.shipping import IssueState, closed_as, decide, readable
from voice_router.platform.settings import Settings, load_settings
from workers import jobs

pytestmark = pytest.mark.usefixtures("jira_openapi_check")


def test_moved_to_a_wont_do_status_resolved_done_tells_nobody_it_is_fixed(make_loop, httpserver):
    slack = Slack(httpserver)
    loop = make_loop(notify={"slack_webhook_url": httpserver.url_for("/hook")})
    p = seed(loop)

    loop.sandbox.transition(p.jira_key, "Won't Do", comment="We are retiring SSO.")

    closed = problem(loop)
    assert (closed.status, closed.jira_status, closed.jira_resolution) == (
        "wont_fix",
        "Won't Do",
        "Done",
    )
    assert len(slack.texts) == 2, slack.texts
    assert all("will not be fixed" in text for text in slack.texts)
    assert all("Why: it was closed in Jira as “Won't Do”." in text for text in slack.texts)
    assert not any("Good news" in text or "shipped" in text for text in slack.texts)
    assert (
        loop.client.get(f"/api/v1/problems/{p.id}/notify", headers=_pm(loop)).get_json()[
            "recipients"
        ]
        == []
    )
    jobs.reconcile(loop.runtime, force=True)  # reads the issue from Jira: the same answer
    assert problem(loop).status == "wont_fix" and len(slack.texts) == 2


def test_a_shipped_fix_moved_to_wont_do_follows_up_on_each_noted_ticket(make_loop, httpserver):
    loop, desk, key = shipped_with_notes(make_loop, httpserver)

    loop.sandbox.transition(key, "Won't Do")  # resolved Done again (the sandbox's default)
    jobs.deliver_outbound(runtime=loop.runtime)

    tom = desk.notes["2002"]
    assert len(tom) == 2, tom
    assert tom[1].startswith("Not fixed after all for Tom Reed")
    assert "its issue was closed in Jira as “Won't Do”" in tom[1]


def _pm(loop):  # type: ignore[no-untyped-def]
    from tests.support import token

    return token(loop.runtime, "pm")


AT = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "category", "resolution", "expected"),
    [
        ("Done", "done", "Done", "shipped"),
        ("Done", "done", "Won't Do", "wont_fix"),
        ("Won't Do", "done", "Done", "wont_fix"),
        ("Won\u2019t Do", "done", "Done", "wont_fix"),  # a typographic apostrophe
        ("Declined", "done", "Done", "wont_fix"),
        ("Cancelled", "done", None, "wont_fix"),
        ("Won't Do", None, "Done", "wont_fix"),  # an older Jira leaves the category out
        ("Closed", "done", "Fixed", "shipped"),
        ("Won't Do", "indeterminate", None, "in_progress"),  # its category is what counts
    ],
)
def test_a_done_status_named_for_no_fix_is_wont_fix(status, category, resolution, expected):
    state = IssueState(status, category, resolution, (), AT)
    assert readable(Settings(), state)
    assert decide(Settings(), "open", state) == expected


def test_why_names_the_status_when_only_it_says_there_was_no_fix():
    settings = Settings()
    assert closed_as(settings, "Won't Do", "Done") == "Won't Do"
    assert closed_as(settings, "Done", "Won't Do") == "Won't Do"
    assert closed_as(settings, "Declined", "Duplicate") == "Duplicate"
    assert closed_as(settings, "Done", "Done") == "Done"
    assert closed_as(settings, None, None) is None


def test_names_in_another_language_are_configured(tmp_path):
    """A German Jira resolves as "Wird nicht erledigt": read as resolved, the fix "shipped"
    and agents were told so, until `[jira].not_a_fix` names it."""
    config = tmp_path / "vr.toml"
    config.write_text('[jira]\nnot_a_fix = ["Wird nicht erledigt", "Geparkt"]\n')
    german = load_settings(config, env={})
    closed = IssueState("Fertig", "done", "Wird nicht erledigt", (), AT)
    parked = IssueState("Geparkt", "done", "Erledigt", (), AT)
    assert decide(Settings(), "open", closed) == "shipped"
    assert decide(german, "open", closed) == "wont_fix"
    assert decide(german, "open", parked) == "wont_fix"
    assert closed_as(german, "Geparkt", "Erledigt") == "Geparkt"
    # An older Jira's webhook without the status category: the name alone says done.
    uncategorized = IssueState("Geparkt", None, None, (), AT)
    assert not readable(Settings(), uncategorized) and readable(german, uncategorized)
    assert decide(german, "open", uncategorized) == "wont_fix"
    from_env = load_settings(env={"VOICE_ROUTER_JIRA_NOT_A_FIX": "Wird nicht erledigt, Geparkt"})
    assert from_env.jira.not_a_fix == ("Wird nicht erledigt", "Geparkt")
