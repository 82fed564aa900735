"""An agent hears of a customer once per fix, whichever problem of a merge group told them:
a problem told of, then merged, does not name its customers again when its survivor ships,
and a merge into a shipped problem names only the customers it brought. A fix that
regressed and shipped again is new news: everyone hears again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.shipping.test_close_the_loop import problem
from tests.shipping.test_digests import smtp  # noqa: F401  (the loopback SMTP server)
from tests.shipping.test_merged_after_ship import merge
from tests.support import post_signed, zendesk_login_loop
from workers import jobs

pytestmark = pytest.mark.usefixtures("jira_openapi_check")
HOOK = "/hooks/T000/B000"


def report(loop, ticket, email, name, tags, at="2026-11-20T10:00:00Z"):  # type: ignore[no-untyped-def]
    """A Zendesk ticket of Alice's, tagged `tags`."""
    body = zendesk_login_loop(
        id=ticket,
        title=f"{name} cannot log in",
        tags=tags,
        updated_at=at,
        requester={"email": email, "name": name, "id": f"r-{ticket}"},
        assignee={"email": "alice@support.example", "name": "Alice"},
    )
    assert post_signed(loop.client, "zendesk", body).status_code == 202


def digests(httpserver) -> list[str]:  # type: ignore[no-untyped-def]
    import json

    return [json.loads(r.get_data())["text"] for r, _ in httpserver.log if r.path == HOOK]


def named(text: str) -> list[str]:
    return [who for who in ("Maria Lopez", "Erin Gold", "Nina Park") if who in text]


def slack_loop(make_loop, httpserver):  # type: ignore[no-untyped-def]
    httpserver.expect_request(HOOK, method="POST").respond_with_data("ok")
    return make_loop(notify={"slack_webhook_url": httpserver.url_for(HOOK)})


def test_a_customer_told_of_a_merged_problem_is_not_named_again_when_its_survivor_ships(
    make_loop, httpserver
):
    """Fault audit: Alice heard of Maria when the first problem shipped; it was merged into an
    open duplicate, and when that shipped her digest named Maria again."""
    loop = slack_loop(make_loop, httpserver)
    report(loop, "2001", "maria@acme-corp.com", "Maria Lopez", "pain-sso-login")
    first = problem(loop)
    loop.sandbox.transition(first.jira_key, "Done", resolution="Done")
    assert [named(text) for text in digests(httpserver)] == [["Maria Lopez"]]
    report(loop, "2002", "erin@initech.example", "Erin Gold", "pain-sso-loop")
    survivor = problem(loop, "sso-loop")
    merge(loop, first.id, survivor.id)
    loop.sandbox.transition(survivor.jira_key, "Done", resolution="Done")
    jobs.deliver_outbound(runtime=loop.runtime)
    assert [named(text) for text in digests(httpserver)] == [["Maria Lopez"], ["Erin Gold"]]
    assert "One of your customers" in digests(httpserver)[1]


def test_a_merge_into_a_shipped_problem_names_only_the_customers_it_brought_by_email(
    make_loop,
    smtp,  # noqa: F811
):
    """Fault audit: the merge told Alice again, and her e-mail named Maria, of whom she had
    heard when the survivor shipped, beside Erin, whom the merge brought."""
    controller, inbox = smtp
    loop = make_loop(notify={"smtp_url": f"smtp://{controller.hostname}:{controller.port}"})
    report(loop, "2001", "maria@acme-corp.com", "Maria Lopez", "pain-sso-login")
    survivor = problem(loop)
    loop.sandbox.transition(survivor.jira_key, "Done", resolution="Done")
    report(loop, "2002", "erin@initech.example", "Erin Gold", "pain-sso-loop")
    merge(loop, problem(loop, "sso-loop").id, survivor.id)
    jobs.deliver_outbound(runtime=loop.runtime)
    mails = [content.decode() for _, _, content in inbox.messages]
    assert [named(text) for text in mails] == [["Maria Lopez"], ["Erin Gold"]]


def test_after_a_regression_the_next_fix_names_every_customer_again(make_loop, httpserver):
    """Told of the first fix (through the merged problem and the survivor), warned when it
    came back: the fix that ships after names them all again, and the one who reported since."""
    loop = slack_loop(make_loop, httpserver)
    report(loop, "2001", "maria@acme-corp.com", "Maria Lopez", "pain-sso-login")
    first = problem(loop)
    loop.sandbox.transition(first.jira_key, "Done", resolution="Done")
    report(loop, "2002", "erin@initech.example", "Erin Gold", "pain-sso-loop")
    survivor = problem(loop, "sso-loop")
    merge(loop, first.id, survivor.id)
    loop.sandbox.transition(survivor.jira_key, "Done", resolution="Done")
    later = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    report(loop, "2003", "nina@umbrella.example", "Nina Park", "pain-sso-loop", at=later)
    assert problem(loop, "sso-loop").status == "regressed"
    loop.sandbox.transition(survivor.jira_key, "In Progress")
    loop.sandbox.transition(survivor.jira_key, "Done", resolution="Done")
    jobs.deliver_outbound(runtime=loop.runtime)
    texts = digests(httpserver)
    assert [named(text) for text in texts[:2]] == [["Maria Lopez"], ["Erin Gold"]]
    assert "is back" in texts[2] and "has shipped" in texts[-1]
    assert named(texts[-1]) == ["Maria Lopez", "Erin Gold", "Nina Park"]
