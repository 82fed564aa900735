"""The customer's voice reaches Jira (quotes in the impact block, contacts masked) and comes
back in the message drafts (the fix version Jira names)."""

from __future__ import annotations

import pytest

from tests.shipping.test_close_the_loop import notify_list, problem, report, seed

pytestmark = pytest.mark.usefixtures("jira_openapi_check")


def test_the_jira_block_quotes_customers_with_account_and_date_contacts_masked(make_loop):
    loop = make_loop()
    p = seed(loop)
    report(
        loop,
        "T4",
        "li@initech.example",
        company="Initech",
        subject="Loops forever, write to li.wei@initech.example",
        occurred_at="2026-11-22T09:00:00Z",
    )
    description = loop.sandbox.issue(p.jira_key)["fields"]["description"]
    block = description.split("*In their words*")[1].split("*Top accounts")[0]
    lines = [line for line in block.splitlines() if line.startswith("* ")]
    assert lines == [
        "* “Loops forever, write to \\[e\\-mail\\]” — Initech, 2026\\-11\\-22",
        "* “Still looping” — Acme Corp, 2026\\-11\\-21",
        "* “SSO sends me back” — globex.io, 2026\\-11\\-20",
    ]
    assert "li.wei" not in description


def test_each_draft_names_the_customer_their_words_the_fix_version_and_the_agent(make_loop):
    loop = make_loop()
    p = seed(loop)
    loop.sandbox.create_version("4.2.0", released=True)
    loop.sandbox.edit(p.jira_key, {"fixVersions": [{"name": "4.2.0"}]})
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    assert problem(loop).jira_fix_version == "4.2.0"
    drafts = {r["customer_email"]: r["draft"] for r in notify_list(loop, p.id)["recipients"]}
    maria = drafts["maria@acme-corp.com"]
    assert maria.startswith("Hi Maria,")
    assert "“Still looping”" in maria  # her latest ticket, in her words
    assert "the fix went out in version 4.2.0" in maria
    assert maria.rstrip().endswith("Agent Smith")
    assert drafts["dev@globex.io"].startswith("Hi Dev,")
    assert "“SSO sends me back”" in drafts["dev@globex.io"]
