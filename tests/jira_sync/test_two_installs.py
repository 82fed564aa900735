"""Two voice-router installs on one Jira project (staging and production, two teams) each
have a problem 1: neither takes the other's issue, whether it searches before a create or
reconcile sweeps for duplicates; issues labelled before installs were named (`vr-problem-1`)
still work for the install that holds them and are left alone by the other."""

from __future__ import annotations

import shutil

import pytest

from tests.jira_sync.conftest import file_by_hand, jira_table, label, problem_row
from tests.support import generic_delivery, inline_runtime, post_signed
from voice_router.problems.issue_labels import install_of, legacy_label
from voice_router.tracker import sync
from voice_router.tracker.reconcile import reconcile
from voice_router.web import create_app

pytestmark = pytest.mark.usefixtures("jira_openapi_check")


@pytest.fixture
def installs(make_settings, sandbox, tmp_path, sqlite_template):  # type: ignore[no-untyped-def]
    """Production on the test's database, staging on a SQLite file of its own; both keep
    issues in the sandbox's PROD."""
    shutil.copy(sqlite_template, tmp_path / "staging.db")
    built = [
        inline_runtime(make_settings(jira=jira_table(sandbox), base_url="https://vr.example")),
        inline_runtime(
            make_settings(
                jira=jira_table(sandbox),
                base_url="https://vr-staging.example",
                database_url=f"sqlite:///{tmp_path / 'staging.db'}",
            )
        ),
    ]
    yield built
    for runtime in built:
        runtime.engine.dispose()


def report(runtime, ticket: str, tag: str) -> None:  # type: ignore[no-untyped-def]
    client = create_app(runtime=runtime).test_client()
    body = generic_delivery(ticket, f"{ticket.lower()}@acme.com", [tag])
    assert post_signed(client, "generic", body).status_code == 202


def test_each_install_creates_its_own_issue_for_its_problem_1(installs, sandbox):
    """Fault audit: staging's create searched for `vr-problem-1`, found production's issue
    and adopted it: staging's impact block overwrote production's, and a Done on it shipped
    both installs' problem 1."""
    production, staging = installs
    report(production, "T1", "pain-sso-login")
    report(staging, "T2", "pain-okta-loop")

    ours, theirs = problem_row(production.engine, 1), problem_row(staging.engine, 1)
    assert (ours.jira_key, theirs.jira_key) == ("PROD-1", "PROD-2")
    assert install_of(production.engine) != install_of(staging.engine)
    assert sandbox.issue("PROD-1")["fields"]["summary"] == "SSO login"
    assert label(production.engine, 1) in sandbox.issue("PROD-1")["fields"]["labels"]
    assert label(staging.engine, 1) in sandbox.issue("PROD-2")["fields"]["labels"]

    for runtime in installs:
        assert reconcile(runtime.engine, runtime.settings).duplicates == []
    assert all(i["fields"]["status"]["name"] == "To Do" for i in sandbox.issues())

    sandbox.transition("PROD-1", "Done", resolution="Fixed")
    for runtime in installs:
        reconcile(runtime.engine, runtime.settings)
    assert problem_row(production.engine, 1).status == "shipped"
    assert problem_row(staging.engine, 1).status == "open"


def test_issues_labelled_before_installs_were_named_stay_with_the_install_holding_them(
    installs, sandbox
):
    """An upgrade: production's issue carries only `vr-problem-1`, and so does an issue
    another install made for its own problem 1. Reconcile took them for one problem's two
    issues and closed the other install's as a duplicate."""
    production = installs[0]
    report(production, "T1", "pain-sso-login")
    sandbox.edit(
        "PROD-1",
        update={"labels": [{"remove": label(production.engine, 1)}, {"add": legacy_label(1)}]},
    )
    other = file_by_hand(
        sandbox, "Okta loop", "another install's", labels=["voice-router", legacy_label(1)]
    )

    assert reconcile(production.engine, production.settings).duplicates == []

    assert sandbox.issue(other)["fields"]["status"]["name"] == "To Do"
    assert legacy_label(1) in sandbox.issue(other)["fields"]["labels"]
    assert problem_row(production.engine, 1).jira_key == "PROD-1"
    report(production, "T3", "pain-sso-login")  # production's next sync: its label again
    assert sync.sync_problem(production.engine, production.settings, 1).action == "unchanged"
    labels = set(sandbox.issue("PROD-1")["fields"]["labels"])
    assert labels == {"voice-router", legacy_label(1), label(production.engine, 1)}
