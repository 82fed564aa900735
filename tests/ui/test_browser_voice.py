"""The customer's voice in a real browser: quotes on the problem page, a PM's rename, the
notify list's message drafts (selectable with one click, no JavaScript), and the weekly
digest for product as its e-mail reads. Screenshots for the docs, like test_browser.py."""

from __future__ import annotations

import html
from dataclasses import replace
from email import message_from_bytes
from email.policy import default

from playwright.sync_api import Page, expect
from sqlmodel import Session

from tests.shipping.test_digests import smtp  # noqa: F401  (the loopback SMTP server)
from tests.support import post_signed
from tests.ui.test_browser import (
    DESKTOP,
    Live,
    browser,
    checked,
    live,
    page,
    screenshot,
    sign_in,
)
from tests.ui.ui_support import days_ago
from voice_router.closing import weekly
from voice_router.models import Note, Problem

__all__ = ["browser", "live", "page"]  # fixtures shared with test_browser.py

FIRST_MESSAGE = (
    "<p>Hi team,</p><p>Every time I sign in with Okta I end up on the login page again. "
    "Our finance team can't get in before month-end. Call me on +44 20 7946 0958.</p>"
)


def first_message_ticket(live: Live) -> None:
    body = {
        "freshdesk_webhook": {
            "ticket_id": "F7",
            "ticket_url": "https://desk.example/t/F7",
            "ticket_subject": "Okta login loop",
            "ticket_description": FIRST_MESSAGE,
            "ticket_tags": "pain-sso-login",
            "ticket_updated_at": days_ago(1),
            "requester_email": "fay@initech.example",
            "requester_name": "Fay Initech",
            "company_name": "Initech",
            "agent_email": "sam@support.example",
            "agent_name": "Sam Rivera",
        }
    }
    assert post_signed(live.client, "freshdesk", body).status_code == 202


def jira_and_arr(live: Live, key: str, status: str = "open", version: str | None = None) -> None:
    """A Jira issue, ARR at risk from a business note, and a status with a fix version."""
    with Session(live.runtime.engine) as session:
        problem = session.get(Problem, live.ids()[key])
        problem.status, problem.jira_fix_version = status, version
        problem.jira_key = f"PROD-{problem.id + 11}"
        problem.jira_url = f"https://jira.example/browse/{problem.jira_key}"
        session.add(problem)
        note = Note(
            problem_id=problem.id, body="Renewal at stake", author="Priya", arr_at_risk=48000
        )
        session.add(note)
        session.commit()


def test_quotes_a_rename_and_ready_to_send_drafts(page: Page, live: Live):
    first_message_ticket(live)
    jira_and_arr(live, "sso-login", "shipped", "2026.12")
    sign_in(page, live.pm)
    page.get_by_role("link", name="SSO login", exact=True).click()
    checked(page)

    quotes = page.locator("#quotes")
    expect(quotes).to_contain_text("Every time I sign in with Okta I end up on the login page")
    expect(quotes).to_contain_text("Initech")
    expect(quotes).to_contain_text("[phone]")
    assert "7946" not in quotes.inner_text() and quotes.locator("li").count() == 3

    page.get_by_label("Title", exact=True).fill("Okta sign-in loop")
    page.get_by_role("button", name="Rename", exact=True).click()
    expect(page.get_by_role("heading", name="Okta sign-in loop", level=1)).to_be_visible()
    expect(page.locator("#rename-answer")).to_contain_text("Renamed.")
    checked(page)

    draft = page.locator("#notify pre.draft").filter(has_text="Hi Fay,")
    expect(draft).to_contain_text("Every time I sign in with Okta")
    expect(draft).to_contain_text("the fix went out in version 2026.12")
    expect(draft).to_contain_text("Sam Rivera")
    assert draft.evaluate("e => getComputedStyle(e).userSelect") == "all"
    screenshot(page, live, "problem-voice", sizes=(("1280", DESKTOP),))
    if live.sqlite:
        page.locator("#notify").screenshot(path=str(screenshot_path("notify-drafts-1280")))


def screenshot_path(name: str):  # type: ignore[no-untyped-def]
    from tests.ui.test_browser import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


def test_the_weekly_digest_reads_in_thirty_seconds(page: Page, live: Live, smtp):  # noqa: F811
    controller, inbox = smtp
    first_message_ticket(live)
    jira_and_arr(live, "sso-login")
    jira_and_arr(live, "pdf-invoice", "shipped")  # not among the open problems
    notify = replace(
        live.runtime.settings.notify,
        smtp_url=f"smtp://127.0.0.1:{controller.port}",
        weekly_top=5,
        weekly_to=("product@example.com",),
    )
    settings = replace(live.runtime.settings, notify=notify, base_url=live.base)
    assert weekly.send_weekly(live.runtime.engine, settings) == {"sent": 1}
    [(_, _, content)] = inbox.messages
    text = message_from_bytes(content, policy=default).get_content()
    assert "1. SSO login" in text and "2. CSV export" in text and "PDF invoice" not in text
    assert "“Every time I sign in with Okta" in text and "[phone]" in text
    assert (
        "ARR at risk 48,000 USD" in text and "PROD-12: https://jira.example/browse/PROD-12" in text
    )
    page.set_viewport_size(DESKTOP)
    subject = message_from_bytes(content, policy=default)["Subject"]
    page.set_content(  # the e-mail as a mail client shows it: subject, sender, text
        "<!doctype html><html lang=en><meta charset=utf-8><title>Weekly digest</title>"
        "<body style='font:15px/1.45 sans-serif;max-width:52rem;margin:1.5rem auto;"
        "color:#1d1d1f'><main>"
        f"<h1 style='font-size:1.2rem;margin:0'>{html.escape(subject)}</h1>"
        "<p style='color:#555;margin:0.2rem 0 1rem'>From voice-router to product@example.com</p>"
        f"<pre style='white-space:pre-wrap;font:inherit'>{html.escape(text)}</pre>"
        "</main></body></html>"
    )
    expect(page.locator("pre")).to_contain_text("Top 2 customer problems")
    checked(page)
    page.set_viewport_size({"width": 1000, "height": 200})
    if live.sqlite:
        page.screenshot(path=str(screenshot_path("weekly-digest-1280")), full_page=True)
