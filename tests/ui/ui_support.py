"""Seeding problems through signed webhooks, and signing in to the UI like a browser does."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from tests.support import generic_delivery, post_signed
from voice_router.models import Problem
from voice_router.platform.tokens import create_token

CSRF = re.compile(r'name="(?:[a-z]+-)?csrf_token"[^>]*value="([^"]+)"')

# Hostile customer text: each would run or navigate if it were ever rendered as markup.
SCRIPT = "<script>window.__pwned = 'script'; alert('pwned')</script>"
IMG = "<img src=x onerror=\"window.__pwned = 'img'\">"
JS_URL = "javascript:window.__pwned='link'"


def days_ago(days: int, hour: int = 10) -> str:
    moment = datetime.now(UTC) - timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def post(client: Any, ticket: str, email: str | None, tag: str, **fields: Any) -> None:
    response = post_signed(client, "generic", generic_delivery(ticket, email, [tag], **fields))
    assert response.status_code == 202, response.get_data(as_text=True)


# Who reported the seeded tickets, as the generic webhook names them.
CUSTOMERS: dict[str, dict[str, Any]] = {
    "ana@northwind.example": {"name": "Ana Northwind", "company": "Northwind", "mrr": 1200},
    "bo@contoso.example": {"name": "Bo Contoso", "company": "Contoso", "mrr": 300},
    "cy@gmail.com": {"name": "Cy Free"},
    "dee@tyrell.example": {"name": "Dee Tyrell", "company": "Tyrell", "mrr": 9000},
    "eve@soylent.example": {"name": "Eve Soylent", "company": "Soylent", "mrr": 50},
}
# ticket, customer, tag, days ago, subject
THREE_PROBLEMS = [
    ("L1", "ana@northwind.example", "pain-sso-login", 20, "SSO loops back to the login page"),
    ("L2", "bo@contoso.example", "pain-sso-login", 9, "Cannot sign in with Okta"),
    ("L3", "cy@gmail.com", "pain-sso-login", 2, "Login page keeps reloading"),
    ("E1", "dee@tyrell.example", "pain-csv-export", 12, "Export hangs"),
    ("E2", "ana@northwind.example", "pain-csv-export", 3, "CSV export times out"),
    ("P1", "eve@soylent.example", "pain-pdf-invoice", 0, "Invoice PDF is blank"),
]


def seed_three_problems(client: Any) -> None:
    """sso-login (3 customers, 2 accounts), csv-export (2 customers, one of them also on
    sso-login, through Northwind), pdf-invoice (1 small account, reported today). E2 was
    answered by zoe@support.example, every other ticket by the default agent."""
    for ticket, email, tag, days, subject in THREE_PROBLEMS:
        agent = {"agent_email": "zoe@support.example"} if ticket == "E2" else {}
        post(
            client,
            ticket,
            email,
            tag,
            **CUSTOMERS[email],
            occurred_at=days_ago(days),
            subject=subject,
            **agent,
        )


def seed_okta_signin(client: Any, subjects: tuple[str, str]) -> None:
    """pain-okta-signin: sso-login in other words, from two of its accounts (Northwind and
    Contoso), so that the real suggestions offer each for the other."""
    for n, (email, subject) in enumerate(
        zip(("kim@northwind.example", "lee@contoso.example"), subjects, strict=True)
    ):
        company = email.split("@")[1].split(".")[0].title()
        post(client, f"K{n}", email, "pain-okta-signin", company=company, subject=subject)


def seed_hostile(client: Any) -> None:
    post(
        client,
        "X1",
        "mallory@evil.example",
        "pain-sso-login",
        name=IMG,
        company=SCRIPT,
        mrr=10,
        subject=SCRIPT,
        occurred_at=days_ago(1),
    )
    # The generic source refuses non-http ticket URLs; Freshdesk passes its field through.
    freshdesk = {
        "freshdesk_webhook": {
            "ticket_id": "X2",
            "ticket_url": JS_URL,
            "ticket_subject": IMG,
            "ticket_tags": "pain-sso-login",
            "ticket_updated_at": days_ago(1),
            "requester_email": "trudy@evil.example",
            "requester_name": SCRIPT,
            "agent_email": "agent@support.example",
            "agent_name": IMG,
        }
    }
    assert post_signed(client, "freshdesk", freshdesk).status_code == 202


def section(html: str, heading: str) -> str:
    """The part of a page from the heading `<heading>-h` to the end of its section."""
    return html.split(f'id="{heading}-h"')[1].split("</section>")[0]


def problem_ids(runtime: Any) -> dict[str, int]:
    with Session(runtime.engine) as session:
        return {p.key: p.id for p in session.exec(select(Problem)).all()}


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client: Any, runtime: Any, role: str = "agent", name: str | None = None) -> str:
    token = create_token(runtime.engine, role, name or f"{role.title()} Person")
    page = client.get("/login")
    response = client.post(
        "/login", data={"token": token, "csrf_token": csrf_token(page.get_data(as_text=True))}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return token


def form_post(client: Any, page_url: str, url: str, data: dict[str, Any] | None = None) -> Any:
    """POST a form the way the browser would: with the CSRF token from the page it is on."""
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    return client.post(
        url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **(data or {})}
    )
