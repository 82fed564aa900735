"""The whole loop against Jira Data Center / Server (the sandbox's Data Center mode): a
personal access token sent as Bearer, the classic `/search`, wiki-markup strings, and
webhooks that are either signed (Data Center 10 with a secret) or unsigned with the secret
in the webhook URL, compared in constant time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session, select

from jira_sandbox import JiraSandbox
from tests.jira_sync.conftest import TOKEN
from tests.shipping.conftest import JIRA_SECRET
from tests.support import fresh_sandbox, generic_delivery, inline_runtime, post_signed
from voice_router.demo import serving
from voice_router.models import Problem
from voice_router.tracker.reconcile import reconcile
from voice_router.web import create_app

pytestmark = pytest.mark.usefixtures("jira_openapi_check")


@pytest.fixture
def datacenter() -> Iterator[JiraSandbox]:
    with fresh_sandbox("bot@example.com", TOKEN, "PROD", deployment="datacenter") as running:
        yield running


@pytest.fixture
def loop(make_settings, datacenter) -> Iterator[tuple[Any, Any, str]]:
    settings = make_settings(
        jira={
            "url": datacenter.url,
            "auth": "token",
            "email": "",  # a personal access token needs no user name: Basic would fail
            "api_token": TOKEN,
            "project": "PROD",
            "webhook_secret": JIRA_SECRET,
            "update_interval_seconds": 0,
        },
        base_url="https://vr.example",
    )
    runtime = inline_runtime(settings)
    app = create_app(runtime=runtime)
    with serving(app) as base:
        yield runtime, app.test_client(), base
    runtime.engine.dispose()


def report(client, ticket: str, email: str) -> None:  # type: ignore[no-untyped-def]
    body = generic_delivery(ticket, email, ["pain-sso-login"])
    assert post_signed(client, "generic", body).status_code == 202


def problem(runtime) -> Problem:  # type: ignore[no-untyped-def]
    with Session(runtime.engine) as session:
        return session.exec(select(Problem)).one()


def test_issues_are_created_and_kept_with_a_token_and_the_classic_search(loop, datacenter):
    runtime, client, _ = loop
    report(client, "T1", "a@acme.com")
    report(client, "T2", "b@globex.io")

    [issue] = datacenter.issues()
    assert isinstance(issue["fields"]["description"], str)  # wiki markup, as Server takes
    assert "|2|2|" in issue["fields"]["description"]
    assert problem(runtime).jira_key == issue["key"] and problem(runtime).jira_error is None
    assert datacenter.count_calls("GET", r"/rest/api/2/search") == 1  # the label, before create
    assert datacenter.count_calls("*", r".*/search/jql") == 0
    assert datacenter.remote_links(issue["key"])


def test_an_unsigned_webhook_with_the_secret_in_its_url_ships_the_problem(loop, datacenter):
    runtime, client, base = loop
    datacenter.register_webhook(f"{base}/webhooks/jira?secret={JIRA_SECRET}")  # unsigned
    report(client, "T1", "a@acme.com")

    datacenter.transition(problem(runtime).jira_key, "Done", resolution="Fixed")

    assert datacenter.deliveries[-1].status == 202
    assert "X-Hub-Signature" not in datacenter.deliveries[-1].headers
    assert problem(runtime).status == "shipped"


@pytest.mark.parametrize("url_end", ["?secret=wrong", "", "?secret="])
def test_an_unsigned_webhook_without_the_right_url_secret_is_refused(loop, datacenter, url_end):
    runtime, client, base = loop
    datacenter.register_webhook(f"{base}/webhooks/jira{url_end}")
    report(client, "T1", "a@acme.com")

    datacenter.transition(problem(runtime).jira_key, "Done", resolution="Fixed")

    assert datacenter.deliveries[-1].status == 401
    assert problem(runtime).status == "open"


def test_a_signed_data_center_webhook_is_verified_by_its_signature(loop, datacenter):
    runtime, client, base = loop
    datacenter.register_webhook(f"{base}/webhooks/jira", secret=JIRA_SECRET)
    report(client, "T1", "a@acme.com")

    datacenter.transition(problem(runtime).jira_key, "Done", resolution="Fixed")

    assert datacenter.deliveries[-1].status == 202
    assert problem(runtime).status == "shipped"


def test_reconcile_reads_data_center_through_the_classic_search(loop, datacenter):
    runtime, client, _ = loop
    report(client, "T1", "a@acme.com")
    datacenter.transition(problem(runtime).jira_key, "Done", resolution="Fixed")  # no webhook
    assert problem(runtime).status == "open"

    result = reconcile(runtime.engine, runtime.settings)

    assert result.issues_seen == 1 and problem(runtime).status == "shipped"
    assert datacenter.count_calls("*", r".*/search/jql") == 0
