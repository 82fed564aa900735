"""The customer's voice: titles spelled as tickets spell them, quotes in their own words
(contacts masked) on the page and in the API, gone with `forget`, and a warm, specific
message draft for every notify-list entry."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from integrations.freshdesk.parse import parse as freshdesk_parse
from integrations.helpscout.parse import parse as helpscout_parse
from integrations.intercom.parse import parse as intercom_parse
from integrations.zendesk.parse import read as zendesk_read
from tests.support import generic_delivery, post_signed, token
from tests.ui.ui_support import IMG, SCRIPT, form_post, sign_in
from voice_router.closing.drafts import draft_message, first_name, when_told
from voice_router.models import Problem
from voice_router.problems.privacy import forget
from voice_router.problems.quotes import excerpt
from voice_router.problems.titles import title_for


@pytest.mark.parametrize(
    ("key", "texts", "title"),
    [
        ("sso-login-loop", [], "SSO login loop"),
        ("csv-export-timeout", ["CSV Export Times Out"], "CSV export timeout"),
        ("okta-signin", ["Cannot sign in with Okta since Monday"], "Okta signin"),
        ("ios-app-crash", ["the app crashes on iOS 18"], "iOS app crash"),
        ("acme-sync", ["Our AcMe sync is stuck"], "AcMe sync"),
        ("export-broken", ["Export broken. Export fails again"], "Export broken"),
        ("login-broken", ["LOGIN IS BROKEN FOR EVERYONE"], "Login broken"),
        ("pdf-invoice", ["the invoice pdf is blank"], "PDF invoice"),
    ],
)
def test_a_title_spells_the_tag_as_tickets_and_common_acronyms_do(key, texts, title):
    assert title_for(key, texts) == title


def test_a_quote_is_one_short_line_with_contacts_masked():
    said = (
        "Hi team,\nI can't sign in with Okta, it loops. Call me on +1 (555) 123-4567 or "
        "write to maria.lopez@acme-corp.com. Since 2026-11-20, order 1.2.3."
    )
    quote = excerpt(said)
    assert quote.startswith("I can't sign in with Okta, it loops.")
    assert "[phone]" in quote and "[e-mail]" in quote
    assert "555" not in quote and "maria.lopez" not in quote
    assert "2026-11-20" in quote and "1.2.3" in quote  # dates and versions are not phones
    long = excerpt("word " * 100)
    assert len(long) <= 160 and long.endswith("…") and "  " not in long


FIXTURES = Path(__file__).parent / "fixtures"


def test_helpdesks_give_the_customers_first_message_where_their_bodies_carry_it():
    def body(name: str) -> bytes:
        return (FIXTURES / name).read_bytes()

    zulip = json.loads(body("zendesk/trigger__ticket_create_update_zulip.json"))
    assert zendesk_read(zulip).first_message == "I am writing this to create a ticket."
    (fresh,) = freshdesk_parse({}, body("freshdesk/automation__ticket_created_zulip.json"))
    assert fresh.first_message == "Test ticket description ☃."  # HTML read as text
    (user,) = intercom_parse({}, body("intercom/conversation.user.created__zulip.json"))
    assert user.first_message == "Hello everyone!"
    convo = json.loads(body("helpscout/convo.created__legacy_doc_example.json"))
    event = {"X-HelpScout-Event": "convo.created"}
    (agent_wrote,) = helpscout_parse(event, json.dumps(convo).encode())
    assert agent_wrote.first_message is None  # the only thread is an agent's
    convo["threads"] += [
        {"type": "customer", "body": "<p>Second</p>", "createdAt": "2012-07-24T00:00:00Z"},
        {
            "type": "customer",
            "body": "<p>First &amp; foremost</p>",
            "createdAt": "2012-07-23T00:00:00Z",
        },
    ]
    (customer_wrote,) = helpscout_parse(event, json.dumps(convo).encode())
    assert customer_wrote.first_message == "First & foremost"


def freshdesk(ticket, email, name, tag, description, company="Acme Corp", subject="Login trouble"):
    return {
        "freshdesk_webhook": {
            "ticket_id": ticket,
            "ticket_url": f"https://desk.example/{ticket}",
            "ticket_subject": subject,
            "ticket_description": description,
            "ticket_tags": tag,
            "ticket_updated_at": "2026-11-20T10:00:00Z",
            "requester_email": email,
            "requester_name": name,
            "company_name": company,
            "agent_email": "sam@support.example",
            "agent_name": "Sam Rivera",
        }
    }


def test_quotes_from_first_messages_reach_the_page_and_the_api_and_forget_removes_them(
    client, runtime
):
    said = (
        "<p>Every time I sign in with <b>Okta</b> I land on the login page again. "
        "Reach me at 555-123-4567.</p>"
    )
    body = freshdesk("F1", "maria@acme-corp.com", "Maria Lopez", "pain-sso-login-loop", said)
    assert post_signed(client, "freshdesk", body).status_code == 202
    other = generic_delivery(
        "G1",
        "dev@globex.io",
        ["pain-sso-login-loop"],
        company="Globex",
        subject="SSO loops",
        occurred_at="2026-11-19T10:00:00Z",
    )
    assert post_signed(client, "generic", other).status_code == 202
    with Session(runtime.engine) as session:
        problem = session.exec(select(Problem)).one()
    assert problem.title == "SSO login loop"
    detail = client.get(f"/api/v1/problems/{problem.id}", headers=token(runtime)).get_json()
    maria = "Every time I sign in with Okta I land on the login page again. Reach me at [phone]."
    assert detail["quotes"] == [
        {"text": maria, "account": "Acme Corp", "date": "2026-11-20"},
        {"text": "SSO loops", "account": "Globex", "date": "2026-11-19"},
    ]
    sign_in(client, runtime, "agent")
    page = client.get(f"/problems/{problem.id}").text
    assert "In their words" in page and maria in page and "555-123" not in page
    forget(runtime.engine, "maria@acme-corp.com", "test")
    detail = client.get(f"/api/v1/problems/{problem.id}", headers=token(runtime)).get_json()
    assert [q["text"] for q in detail["quotes"]] == ["SSO loops"]


def test_a_draft_names_the_customer_their_words_the_version_and_the_agent():
    text = draft_message(
        "Maria Lopez", "Stuck in a login loop", "SSO login loop", "shipped", "4.2.0", "Sam Rivera"
    )
    assert text.startswith("Hi Maria,")
    assert "“Stuck in a login loop”" in text and "version 4.2.0" in text
    assert text.rstrip().endswith("Sam Rivera")
    assert "Dear user" not in text and "your issue is resolved" not in text.lower()
    unknown = draft_message(None, "", "SSO login loop", "open", None, None)
    assert unknown.startswith("Hi there,") and "SSO login loop" in unknown
    assert "isn't fixed yet" in unknown


@pytest.mark.parametrize(
    ("name", "greeted"),
    [
        ("Maria Lopez", "Maria"),
        ("Dr. Maria Lopez", "Maria"),
        ("Prof. Dr. Anna Berg", "Anna"),
        ("Ms Jane Doe", "Jane"),
        ("Reed, Tom", "Tom"),
        ("Lopez, Dr. Maria", "Maria"),
        ("Maria Lopez, PhD", "Maria"),
        ("Tom Reed,", "Tom"),
        ("Dr. Lopez", "Dr. Lopez"),  # which name is the first? the name as written
        ("J. Smith", "J. Smith"),
        ("Smith, J.", "J. Smith"),
        ("山田 太郎", "山田 太郎"),  # family name first, no capitals to tell
        ("Dr.", ""),
        ("sam.r@gmail.com", ""),
        ("???", ""),
        (None, ""),
    ],
)
def test_a_draft_greets_by_a_name_a_person_would_use(name, greeted):
    assert first_name(name) == greeted
    assert draft_message(name, "", "SSO", "shipped", None, None).startswith(
        f"Hi {greeted or 'there'},\n"
    )


def test_a_draft_for_someone_who_reported_after_the_fix_thanks_them_for_the_news():
    text = draft_message(
        "Nina Park", "It is back!", "SSO login loop", "regressed", "4.2.0", "Bob", after_ship=True
    )
    assert text.startswith("Hi Nina,\n\nThank you for letting us know: “It is back!”.")
    assert "A while ago" not in text and "version 4.2.0" in text
    before = draft_message("Maria Lopez", "Loops", "SSO login loop", "regressed", None, "Bob")
    assert "A while ago you told us: “Loops”" in before and "come back" in before


@pytest.mark.parametrize(
    ("status", "after_ship", "said"),
    [
        ("shipped", False, "On 3 November we wrote to you that it was fixed, but that fix "
         "didn't hold, and I'm sorry about that. Now a new fix has gone out in version 4.2.1"),
        ("regressed", False, "On 3 November we wrote to you that it was fixed, but it has come "
         "back, and I'm sorry about that."),
        ("in_progress", False, "On 3 November we wrote to you that it was fixed, but that fix "
         "didn't hold, and I'm sorry about that.\n\nThe team is on it again"),
        ("regressed", True, "so your report tells us it isn't over yet. On 3 November we wrote "
         "to you that it was fixed, and I'm sorry it wasn't so."),
    ],
)  # fmt: skip
def test_a_draft_for_someone_told_of_a_fix_that_did_not_hold_says_so(status, after_ship, said):
    text = draft_message(
        "Maria Lopez",
        "Loops",
        "SSO login loop",
        status,
        "4.2.1",
        "Bob",
        after_ship=after_ship,
        told_when="On 1 November",
        fix_told_when="On 3 November",
    )
    assert said in text
    assert "I'm glad to say" not in text and "isn't fixed yet" not in text
    plain = draft_message("Maria Lopez", "Loops", "SSO login loop", status, "4.2.1", "Bob")
    assert "we wrote" not in plain


def test_drafts_are_in_the_api_the_csv_and_the_page_and_hostile_text_stays_text(client, runtime):
    body = generic_delivery(
        "H1",
        "mallory@evil.example",
        ["pain-sso-login"],
        name=f"Mallory {IMG}",
        subject=SCRIPT,
        agent_email="sam@support.example",
    )
    assert post_signed(client, "generic", body).status_code == 202
    with Session(runtime.engine) as session:
        problem = session.exec(select(Problem)).one()
        problem.status, problem.jira_fix_version = "shipped", "2026.12 <b>"
        session.add(problem)
        session.commit()
        problem_id = problem.id
    listed = client.get(f"/api/v1/problems/{problem_id}/notify", headers=token(runtime))
    [entry] = listed.get_json()["recipients"]
    draft = entry["draft"]
    assert draft.startswith("Hi Mallory,") and f"“{SCRIPT}”" in draft
    assert "version 2026.12 <b>" in draft and draft.rstrip().endswith("Agent Smith")
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(f"/api/v1/problems/{problem_id}/notify.csv", headers=token(runtime)).text
            )
        )
    )
    assert rows[0]["draft"] == draft
    sign_in(client, runtime, "agent")
    page = client.get(f"/problems/{problem_id}").text
    assert '<pre class="draft"' in page and SCRIPT not in page
    assert "“&lt;script&gt;window.__pwned" in page and "2026.12 &lt;b&gt;" in page


def test_a_pm_renames_a_problem_on_its_page(app, client, runtime):
    body = generic_delivery("T1", "a@acme.com", ["pain-sso-login"])
    assert post_signed(client, "generic", body).status_code == 202
    with Session(runtime.engine) as session:
        problem = session.exec(select(Problem)).one()
    url = f"/problems/{problem.id}"
    sign_in(client, runtime, "agent")
    assert 'id="rename"' not in client.get(url).text  # agents see no form
    client = app.test_client()
    sign_in(client, runtime, "pm", name="Pat PM")
    assert 'id="rename"' in client.get(url).text
    blank = form_post(client, url, f"{url}/rename", {"rename-title": "  "})
    assert blank.status_code == 400
    done = form_post(client, url, f"{url}/rename", {"rename-title": "Okta  sign-in loop"})
    assert done.status_code == 303
    with Session(runtime.engine) as session:
        renamed = session.get(Problem, problem.id)
    assert (renamed.title, renamed.renamed_by) == ("Okta sign-in loop", "Pat PM")


def test_0012_respells_titles_still_as_the_tag_made_them_and_keeps_renamed_ones(database_url):
    import sqlalchemy as sa
    from alembic import command

    from voice_router.platform.db import alembic_config, make_engine, upgrade

    engine = make_engine(database_url)
    try:
        command.downgrade(alembic_config(engine), "0011")
        insert = sa.text(
            "INSERT INTO problem (id, key, title, status, customers, accounts, mrr, tickets, "
            "created_at, updated_at, jira_sync_attempts, jira_person_issue) VALUES "
            "(:id, :key, :title, 'open', 0, 0, 0, 0, :now, :now, 0, false)"
        )
        now = "2026-12-01 10:00:00"
        with engine.begin() as connection:
            for pid, key, title in (
                (1, "sso-login-loop", "Sso login loop"),
                (2, "pdf-invoice", "Invoices as PDF"),  # a person's title
            ):
                connection.execute(insert, {"id": pid, "key": key, "title": title, "now": now})
        upgrade(engine)
        with engine.connect() as connection:
            titles = dict(connection.execute(sa.text("SELECT id, title FROM problem")).all())
        assert titles == {1: "SSO login loop", 2: "Invoices as PDF"}
    finally:
        engine.dispose()


def test_the_notify_list_has_each_customer_once_with_their_latest_ticket_and_account(
    client, runtime
):
    """One entry per customer: their latest ticket, its agent and subject, the account by
    its name, else its domain, and none for a free-mail sender."""
    deliveries = [
        generic_delivery(
            "A1", "ann@acme.example", ["pain-export"], name="Ann Lee", company="Acme Corp",
            occurred_at="2026-11-10T10:00:00Z", agent_email="old@support.example",
        ),
        generic_delivery(
            "A2", "ann@acme.example", ["pain-export"], name="Ann Lee", company="Acme Corp",
            subject="Export still broken", occurred_at="2026-11-12T10:00:00Z",
        ),
        generic_delivery(
            "B1", "bo@initech.example", ["pain-export"], occurred_at="2026-11-11T10:00:00Z"
        ),
        generic_delivery(
            "C1", "cy@gmail.com", ["pain-export"], name="Cy", occurred_at="2026-11-09T10:00:00Z"
        ),
    ]  # fmt: skip
    for body in deliveries:
        assert post_signed(client, "generic", body).status_code == 202
    with Session(runtime.engine) as session:
        problem_id = session.exec(select(Problem.id)).one()
    listed = client.get(f"/api/v1/problems/{problem_id}/notify", headers=token(runtime))
    entries = [
        {k: r[k] for k in ("customer_email", "customer_name", "account", "ticket_id",
                           "ticket_url", "agent_email", "reported_at", "notified")}
        for r in listed.get_json()["recipients"]
    ]  # fmt: skip
    assert entries == [
        {
            "customer_email": "ann@acme.example",
            "customer_name": "Ann Lee",
            "account": "Acme Corp",
            "ticket_id": "A2",
            "ticket_url": "https://desk.example/t/A2",
            "agent_email": "agent@support.example",
            "reported_at": "2026-11-12T10:00:00Z",
            "notified": False,
        },
        {
            "customer_email": "bo@initech.example",
            "customer_name": None,
            "account": "initech.example",
            "ticket_id": "B1",
            "ticket_url": "https://desk.example/t/B1",
            "agent_email": "agent@support.example",
            "reported_at": "2026-11-11T10:00:00Z",
            "notified": False,
        },
        {
            "customer_email": "cy@gmail.com",
            "customer_name": "Cy",
            "account": None,
            "ticket_id": "C1",
            "ticket_url": "https://desk.example/t/C1",
            "agent_email": "agent@support.example",
            "reported_at": "2026-11-09T10:00:00Z",
            "notified": False,
        },
    ]
    [ann] = [r for r in listed.get_json()["recipients"] if r["ticket_id"] == "A2"]
    assert "Export still broken" in ann["draft"] and ann["draft"].startswith("Hi Ann,")


def test_a_draft_says_when_the_customer_told_us_as_a_person_would(client, runtime):
    """Found reading every message (fix-words): every draft began "A while ago you told
    us", for yesterday's report as for last year's."""
    now = datetime.now(UTC)
    reports = {
        "ann@acme.example": now - timedelta(days=1),
        "bo@globex.example": now - timedelta(days=40),
    }
    for n, (email, when) in enumerate(reports.items()):
        body = generic_delivery(
            f"W{n}", email, ["pain-sso-login"], subject="Loops", occurred_at=when.isoformat()
        )
        assert post_signed(client, "generic", body).status_code == 202
    with Session(runtime.engine) as session:
        problem_id = session.exec(select(Problem)).one().id
    listed = client.get(f"/api/v1/problems/{problem_id}/notify", headers=token(runtime))
    drafts = {r["customer_email"]: r["draft"] for r in listed.get_json()["recipients"]}
    assert "Yesterday you told us: “Loops”" in drafts["ann@acme.example"]
    earlier = reports["bo@globex.example"]
    assert f"On {earlier.day} {earlier:%B} you told us" in drafts["bo@globex.example"]
    assert not any("A while ago" in draft for draft in drafts.values())


@pytest.mark.parametrize(
    ("reported", "said"),
    [
        ("2026-12-07T08:00:00+00:00", "Earlier today"),
        ("2026-12-07T23:00:00+00:00", "Earlier today"),  # a clock ahead: not "in the future"
        ("2026-12-06T23:59:00+00:00", "Yesterday"),
        ("2026-12-02T10:00:00+00:00", "On Wednesday"),
        ("2026-11-30T10:00:00+00:00", "On 30 November"),
        ("2026-03-03T10:00:00+00:00", "On 3 March"),
        ("2025-12-01T10:00:00+00:00", "Back in December 2025"),
        (None, "A while ago"),
    ],
)
def test_when_told_counts_utc_days(reported, said):
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert when_told(datetime.fromisoformat(reported) if reported else None, now) == said
