"""What the people on the other end read, through the whole loop: the agent's digest (Slack
and e-mail), the note on the ticket, the comments on the Jira issue. Each names what changed
as Jira says it, and the customer's problem in their own words where we have them."""

from __future__ import annotations

import email
import json
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest

from tests.shipping.test_close_the_loop import notify_list, problem, report
from tests.shipping.test_digests import slack_texts, smtp  # noqa: F401  (loopback SMTP)
from tests.support import ZENDESK_ASSIGNED, post_signed, token, zendesk_login_loop
from voice_router.platform.clock import iso, utcnow
from workers import jobs

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

SAMPLES = Path(__file__).parents[2] / "voice_router" / "samples"


def plain_texts(inbox) -> list[str]:  # type: ignore[no-untyped-def]
    """The plain-text body of every e-mail the loopback SMTP server took."""
    found = []
    for _, _, content in inbox.messages:
        message = email.message_from_bytes(content, policy=policy.default)
        found.append(f"{message['subject']}\n{message.get_body(('plain',)).get_content()}")
    return found


def test_the_digests_and_the_ticket_note_name_the_version_the_fix_went_out_in(
    make_loop,
    httpserver,
    smtp,  # noqa: F811
):
    """Before: the draft for the customer said "the fix went out in version 2.4.0", while the
    agent's digest and the note on the ticket only said it "has shipped": the agent could
    not tell the customer which version to update to without opening Jira."""
    controller, inbox = smtp
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    httpserver.expect_request("/api/v2/tickets/2002.json", method="PUT").respond_with_json(
        {"audit": {"events": [{"type": "Comment", "id": 9}]}}
    )
    base = httpserver.url_for("").rstrip("/")
    loop = make_loop(
        sources={"zendesk": {"writeback": True, "api_token": "zd", "api_base": base}},
        notify={
            "slack_webhook_url": httpserver.url_for("/hook"),
            "smtp_url": f"smtp://127.0.0.1:{controller.port}",
        },
    )
    body = zendesk_login_loop(**ZENDESK_ASSIGNED)
    assert post_signed(loop.client, "zendesk", body).status_code == 202
    p = problem(loop)
    loop.sandbox.create_version("2.4.0")
    loop.sandbox.edit(p.jira_key, {"fixVersions": [{"name": "2.4.0"}]})
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")

    [slack] = slack_texts(_only(httpserver, "/hook"))
    [mail] = plain_texts(inbox)
    [note] = [
        json.loads(r.get_data())["ticket"]["comment"]["body"]
        for r, _ in httpserver.log
        if r.path == "/api/v2/tickets/2002.json"
    ]
    assert "has shipped in version 2.4.0" in slack, slack
    assert "fixed in version 2.4.0" in mail.split("\n")[0], mail  # the subject
    assert "has shipped in version 2.4.0" in mail, mail
    # The note opens with what changed for the ticket's customer, then the version.
    assert note.split("\n")[1].startswith("The fix shipped in version 2.4.0 ("), note
    assert "Tom Reed" in slack and "Tom Reed" in mail and "Tom Reed" in note.split("\n")[0]


def _only(httpserver, path: str):  # type: ignore[no-untyped-def]
    """`httpserver` seen through its requests to `path` alone."""

    class Seen:
        log = [(request, answer) for request, answer in httpserver.log if request.path == path]

    return Seen


def test_a_chat_without_a_subject_is_quoted_in_the_digest_from_its_first_message(
    make_loop, httpserver
):
    """Before: an Intercom Messenger chat has no subject, only the customer's first message;
    the draft quoted it, but the agent's digest listed the customer with "intercom #3001"
    alone, nothing of what they wrote."""
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    loop = make_loop(notify={"slack_webhook_url": httpserver.url_for("/hook")})
    sample = json.loads((SAMPLES / "intercom" / "01_sso_login_loop.json").read_text())
    sample["body"]["data"]["item"]["conversation_message"]["subject"] = ""
    answer = post_signed(loop.client, "intercom", sample["body"], headers=sample["headers"])
    assert answer.status_code == 202
    p = problem(loop, "sso-login-loop")
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")

    [digest] = slack_texts(httpserver)
    maria = digest.split("• ")[1]
    assert maria.startswith("*Maria Lopez* at Acme Corp"), digest
    assert "“After signing in with Okta I land on the login page again, every time.”" in maria


def test_a_business_note_on_the_issue_names_the_configured_currency(make_loop):
    """Before: with `currency = "EUR"` the issue's impact block said "48,000 EUR" and the
    note's comment just below it "ARR at risk: $48,000"."""
    loop = make_loop(currency="EUR")
    report(loop, "T1", "maria@acme-corp.com", name="Maria Lopez", subject="Stuck in a loop")
    p = problem(loop)
    note = {"body": "Acme's renewal depends on it", "arr_at_risk": 48000}
    answer = loop.client.post(
        f"/api/v1/problems/{p.id}/notes", json=note, headers=token(loop.runtime)
    )
    assert answer.status_code == 201
    jobs.reconcile(loop.runtime, force=True)

    [comment] = [c["body"] for c in loop.sandbox.comments(p.jira_key)]
    assert "ARR at risk: 48,000 EUR." in comment, comment
    assert "$" not in comment


def test_the_regression_comment_counts_right_and_quotes_the_new_report(make_loop):
    """Before: one customer, reporting again after the fix shipped, made the issue say
    "(1 customers in all now)", and nothing of what they wrote: product had to open
    voice-router to learn what came back."""
    loop = make_loop()
    maria = {"name": "Maria Lopez", "company": "Acme Corp"}
    report(loop, "T1", "maria@acme-corp.com", subject="Stuck in a login loop", **maria)
    p = problem(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    later = iso(utcnow() + timedelta(seconds=5))
    words = "The *loop* is back since Monday"
    report(loop, "T2", "maria@acme-corp.com", subject=words, occurred_at=later, **maria)
    assert problem(loop).status == "regressed"
    jobs.reconcile(loop.runtime, force=True)

    [comment] = [c["body"] for c in loop.sandbox.comments(p.jira_key) if "regression" in c["body"]]
    assert "1 customers" not in comment, comment
    assert "1 customer in all" in comment, comment
    assert "“The \\*loop\\* is back since Monday” — Acme Corp" in comment, comment
    assert "Stuck in a login loop" not in comment  # the report from before the fix
    assert "maria@acme-corp.com" not in comment  # quotes never carry a way to reach them


def zendesk_desk(make_loop, httpserver, smtp_port: int | None = None):  # type: ignore[no-untyped-def]
    """A service writing notes back to a Zendesk on `httpserver` (ticket 2002, Tom Reed's),
    its digests to a Slack hook there (and to a loopback SMTP server, given its port)."""
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    httpserver.expect_request("/api/v2/tickets/2002.json", method="PUT").respond_with_json(
        {"audit": {"events": [{"type": "Comment", "id": 9}]}}
    )
    notify = {"slack_webhook_url": httpserver.url_for("/hook")}
    if smtp_port is not None:
        notify["smtp_url"] = f"smtp://127.0.0.1:{smtp_port}"
    base = httpserver.url_for("").rstrip("/")
    loop = make_loop(
        sources={"zendesk": {"writeback": True, "api_token": "zd", "api_base": base}},
        notify=notify,
    )
    body = zendesk_login_loop(**ZENDESK_ASSIGNED)
    assert post_signed(loop.client, "zendesk", body).status_code == 202
    return loop


def ticket_note(httpserver) -> str:  # type: ignore[no-untyped-def]
    [note] = [
        json.loads(r.get_data())["ticket"]["comment"]["body"]
        for r, _ in httpserver.log
        if r.path == "/api/v2/tickets/2002.json"
    ]
    return str(note)


def test_the_ticket_note_opens_with_what_changed_for_its_customer_in_their_words(
    make_loop, httpserver
):
    """Before: the note opened with "the fix for "<problem title>" has shipped": the tag
    spelled as words, or what a PM renamed it to, which the agent opening Tom's ticket had
    never seen; what Tom reported came after it."""
    loop = zendesk_desk(make_loop, httpserver)
    p = problem(loop)
    renamed = {"title": "Okta session cookie dropped on redirect"}
    answer = loop.client.patch(
        f"/api/v1/problems/{p.id}", json=renamed, headers=token(loop.runtime, "pm")
    )
    assert answer.status_code == 200
    loop.sandbox.create_version("2.4.0")
    loop.sandbox.edit(p.jira_key, {"fixVersions": [{"name": "2.4.0"}]})
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")

    lines = ticket_note(httpserver).split("\n")
    assert lines[0] == (
        'Fixed for Tom Reed at acme-corp.com: "Login loop", as they reported on this ticket. '
        "Let them know, in your own words."
    )
    assert lines[1].startswith("The fix shipped in version 2.4.0 (PROD-1: http"), lines
    assert lines[2] == (
        'voice-router problem "Okta session cookie dropped on redirect": '
        f"https://vr.example/problems/{p.id}"
    )


def test_several_fix_versions_are_named_as_a_list_everywhere(
    make_loop,
    httpserver,
    smtp,  # noqa: F811
):
    """Before: every message said "in version 2.4.0, 2.5.0" (the names joined as stored), and
    a version whose name holds ", " could not be told from two."""
    controller, inbox = smtp
    loop = zendesk_desk(make_loop, httpserver, controller.port)
    p = problem(loop)
    for name in ("2.4.0", "2.5.0, LTS"):
        loop.sandbox.create_version(name)
    versions = [{"name": "2.4.0"}, {"name": "2.5.0, LTS"}]
    loop.sandbox.edit(p.jira_key, {"fixVersions": versions})
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")

    named = "in versions 2.4.0 and 2.5.0, LTS"
    [slack] = slack_texts(_only(httpserver, "/hook"))
    [mail] = plain_texts(inbox)
    [draft] = [r["draft"] for r in notify_list(loop, p.id)["recipients"]]
    assert f"has shipped {named} (" in slack, slack
    assert f"is fixed {named} (" in mail.split("\n")[0] and f"has shipped {named} (" in mail
    assert ticket_note(httpserver).split("\n")[1].startswith(f"The fix shipped {named} (")
    assert f"the fix went out {named}, so" in draft, draft

    later = iso(utcnow() + timedelta(seconds=5))
    report(loop, "T9", "nina@umbrella.example", subject="Back again", occurred_at=later)
    assert problem(loop).status == "regressed"
    [_, warning] = slack_texts(_only(httpserver, "/hook"))
    assert f"is back: it was reported again after the fix shipped {named} (" in warning
