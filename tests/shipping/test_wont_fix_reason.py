"""A won't-fix digest says why, as Jira has it: the resolution, and the latest comment a person
made on the issue around then (not voice-router's own), escaped for Slack, as is in the
e-mail, cut when long; and with the resolution alone when Jira cannot be asked."""

from __future__ import annotations

import pytest

from tests.shipping.test_close_the_loop import notify_list, seed
from tests.shipping.test_digests import (  # noqa: F401  (smtp: loopback SMTP)
    slack_and_mail,
    slack_texts,
    smtp,
)
from tests.shipping.test_what_agents_read import plain_texts
from tests.support import token
from workers import jobs

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

REASON = (
    "Legacy SSO is retired in June <all plans> & SAML replaces it: "
    "see [the migration plan|https://wiki.example/sso]."
)


def comment_reads(loop) -> int:  # type: ignore[no-untyped-def]
    """How often the issue's newest comments were read (the reason's look-up)."""
    return sum(1 for c in loop.sandbox.calls if "orderBy" in c.query and c.method == "GET")


def test_the_digest_quotes_the_resolution_and_the_comment_a_person_made(
    make_loop,
    httpserver,
    smtp,  # noqa: F811
):
    """Before: the digest said the problem "will not be fixed" and nothing of why, though the
    product team had said it on the issue: the agent could only tell the customer "no"."""
    controller, inbox = smtp
    loop = slack_and_mail(make_loop, httpserver, controller.port)
    p = seed(loop)
    loop.sandbox.comment(p.jira_key, REASON)  # a person, in Jira
    note = {"body": "Acme's renewal depends on it", "arr_at_risk": 48000}
    answer = loop.client.post(
        f"/api/v1/problems/{p.id}/notes", json=note, headers=token(loop.runtime)
    )
    assert answer.status_code == 201
    jobs.reconcile(loop.runtime, force=True)  # our comment: newer than the person's
    assert [c["author"]["displayName"] for c in loop.sandbox.comments(p.jira_key)] == [
        "Pat Human",
        "bot",
    ]

    loop.sandbox.transition(p.jira_key, "Done", resolution="Won't Do")

    slack = slack_texts(httpserver)
    mails = [text.replace("\r\n", "\n") for text in plain_texts(inbox)]
    assert len(slack) == 2 and len(mails) == 2  # Bob and Carol, each by both
    for text in slack:
        assert (
            "Why: it was closed in Jira as “Won't Do”. Pat Human wrote on the issue: “Legacy "
            "SSO is retired in June &lt;all plans&gt; &amp; SAML replaces it: see the migration "
            "plan.”\n"
        ) in text, text
    for text in mails:
        assert (
            "Why: it was closed in Jira as “Won't Do”. Pat Human wrote on the issue: “Legacy "
            "SSO is retired in June <all plans> & SAML replaces it: see the migration plan.”\n"
        ) in text, text
    assert not any("renewal" in text or "Business note" in text for text in slack + mails)
    assert comment_reads(loop) == 1  # one read for all four digests
    # The customers have no draft to be told "it isn't fixed yet": no list for a won't-fix.
    assert notify_list(loop, p.id)["recipients"] == []


def test_a_reason_given_on_the_transition_screen_is_quoted_and_cut_when_long(make_loop, httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    loop = make_loop(notify={"slack_webhook_url": httpserver.url_for("/hook")})
    p = seed(loop)
    long = "We will not support the embedded browser.\n\n" + "It cannot keep cookies. " * 60

    loop.sandbox.transition(p.jira_key, "Done", resolution="Won't Do", comment=long)

    for text in slack_texts(httpserver):
        [why] = [line for line in text.split("\n") if line.startswith("Why: ")]
        assert why.startswith(
            "Why: it was closed in Jira as “Won't Do”. Pat Human wrote on the issue: “We will "
            "not support the embedded browser. It cannot keep cookies. It cannot"
        ), why
        assert why.endswith("…”") and len(why) < 520, why


def test_with_jira_refusing_the_read_the_digest_still_names_the_resolution(make_loop, httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    loop = make_loop(notify={"slack_webhook_url": httpserver.url_for("/hook")})
    p = seed(loop)
    loop.sandbox.comment(p.jira_key, "Nobody uses this any more.")
    loop.sandbox.fail_next("GET", r"/rest/api/2/issue/[^/]+/comment", 503, times=5)

    loop.sandbox.transition(p.jira_key, "Done", resolution="Won't Do")

    texts = slack_texts(httpserver)
    assert len(texts) == 2, texts  # the digests went out, without waiting for Jira
    for text in texts:
        assert "Why: it was closed in Jira as “Won't Do”.\n" in text, text
        assert "wrote on the issue" not in text and "Nobody uses" not in text
    assert comment_reads(loop) == 1  # asked once, not once a digest
