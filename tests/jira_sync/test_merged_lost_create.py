"""A merged problem's create whose answer was lost: Jira made the issue, voice-router never
learnt its key, and the problem was merged before its sync could find it. The issue is the
group's, handed to the survivor as a merge hands one over — never left open beside the
survivor's own. The sandbox's search lags 30 s behind, on the test clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from integrations.jira.errors import JiraUnavailable
from tests.jira_sync.conftest import drive, jira_table, label, problem_row
from tests.support import generic_delivery, inline_runtime, post_signed, token
from voice_router.models import Problem
from voice_router.tracker import create, sync
from voice_router.tracker.reconcile import reconcile
from voice_router.web import create_app

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

CREATE = r"/rest/api/2/issue"
LAGGING = [{"index_lag": 30}]


def merged_after_a_lost_create(make_settings, jira):  # type: ignore[no-untyped-def]
    """sso-login (M) and okta-loop (S), one report each; M's create reaches Jira, which
    makes the issue, and its answer is lost; then a PM merges M into S. Returns the
    runtime, the settings under which both get issues, M's id and S's."""
    waiting = inline_runtime(make_settings(jira=jira_table(jira, min_customers=9)))
    client = create_app(runtime=waiting).test_client()
    for ticket, email, tag in (
        ("T1", "a@acme.com", "sso-login"),
        ("T2", "b@globex.io", "okta-loop"),
    ):
        body = generic_delivery(ticket, email, [f"pain-{tag}"])
        assert post_signed(client, "generic", body).status_code == 202
    with Session(waiting.engine) as session:
        ids = {p.key: p.id for p in session.exec(select(Problem))}
    merged, survivor = ids["sso-login"], ids["okta-loop"]
    settings = make_settings(jira=jira_table(jira, min_customers=1), base_url="https://vr.example")

    jira.drop_after_commit_next("POST", CREATE)
    with pytest.raises(JiraUnavailable):
        sync.sync_problem(waiting.engine, settings, merged)
    assert len(jira.issues()) == 1 and problem_row(waiting.engine, merged).jira_key is None

    pm = token(waiting, "pm")
    answer = client.post(f"/api/v1/problems/{merged}/merge", json={"into": survivor}, headers=pm)
    assert answer.status_code == 200, answer.get_json()
    return waiting, settings, merged, survivor


def live(jira) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(
        i["key"] for i in jira.issues() if i["fields"]["status"]["statusCategory"]["key"] != "done"
    )


@pytest.mark.parametrize("jira", LAGGING, indirect=True)
def test_the_survivor_takes_the_issue_the_merged_problems_lost_create_made(
    make_settings, jira, clock
):
    """Before: the survivor waited out M's confirm window, found nothing under its own
    label and created a second issue; M's stayed open, labelled for a merged problem."""
    runtime, settings, merged, survivor = merged_after_a_lost_create(make_settings, jira)
    [made] = jira.issues()

    actions = drive(runtime.engine, settings, survivor, clock, 0.5)

    assert actions[-1] == "adopted", actions
    assert jira.count_calls("POST", CREATE) == 1  # the survivor sent none of its own
    assert live(jira) == [made["key"]]
    kept, gone = problem_row(runtime.engine, survivor), problem_row(runtime.engine, merged)
    assert kept.jira_key == made["key"] and gone.jira_key is None
    assert gone.jira_handed_key == made["key"]  # an unmerge gives it back
    assert gone.jira_create_sent_at is None
    fields = jira.issue(made["key"])["fields"]
    assert label(runtime.engine, survivor) in fields["labels"]
    assert label(runtime.engine, merged) not in fields["labels"]
    assert "|2|2|" in fields["description"]  # the group's two customers
    assert sync.sync_problem(runtime.engine, settings, survivor).action == "unchanged"
    runtime.engine.dispose()


@pytest.mark.parametrize("jira", LAGGING, indirect=True)
def test_an_index_slower_than_the_window_leaves_the_lost_issue_to_reconcile(
    make_settings, jira, clock, monkeypatch
):
    """With the window (wrongly) shorter than the lag, the survivor cannot see M's issue and
    creates its own; reconcile, once the index shows M's label, closes M's as a duplicate of
    the survivor's. Before: reconcile passed over every merged problem's label."""
    monkeypatch.setattr(create, "CONFIRM_WINDOW", timedelta(seconds=2))
    runtime, settings, merged, survivor = merged_after_a_lost_create(make_settings, jira)
    [lost] = jira.issues()

    assert drive(runtime.engine, settings, survivor, clock, 0.5)[-1] == "created"
    own = problem_row(runtime.engine, survivor).jira_key
    assert sorted(live(jira)) == sorted([lost["key"], own])
    clock.advance(jira.state.search_lag)

    reconcile(runtime.engine, settings)

    assert live(jira) == [own]
    fields = jira.issue(lost["key"])["fields"]
    assert fields["resolution"]["name"] == "Duplicate"
    assert label(runtime.engine, merged) not in fields["labels"]
    assert fields["issuelinks"][0]["outwardIssue"]["key"] == own
    assert problem_row(runtime.engine, merged).jira_create_sent_at is None
    assert problem_row(runtime.engine, survivor).jira_key == own
    assert reconcile(runtime.engine, settings).duplicates == []
    runtime.engine.dispose()
