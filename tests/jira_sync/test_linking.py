"""One issue, one problem; a person's issue stays theirs. Linking adds voice-router's labels
and block and nothing else, an issue another problem holds is refused (409), and unlinking
takes the block and the per-problem label off again — nothing else."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from integrations.jira.render import BEGIN, END
from tests.jira_sync.conftest import file_by_hand, jira_table, label, labels_naming
from tests.support import by_key, generic_delivery, inline_runtime, post_signed, token
from voice_router.models import Problem
from voice_router.platform.clock import utcnow
from voice_router.tracker import sync
from voice_router.web import create_app

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

THEIR_SUMMARY = "Pre-existing: SAML login broken for Oscorp"
THEIR_TEXT = "Steps: sign in through Okta.\nSeen by Jane in support."


def report(client, ticket, email, tag="pain-sso-login"):  # type: ignore[no-untyped-def]
    body = generic_delivery(ticket, email, [tag])
    assert post_signed(client, "generic", body).status_code == 202


def problem_row(runtime, key: str) -> Problem:  # type: ignore[no-untyped-def]
    with Session(runtime.engine) as session:
        return session.exec(select(Problem).where(Problem.key == key)).one()


def their_issue(sandbox, labels=("customer-login",)) -> str:  # type: ignore[no-untyped-def]
    """An issue a person filed, with their own summary, description and labels."""
    return file_by_hand(sandbox, THEIR_SUMMARY, THEIR_TEXT, labels=list(labels))


def one_linked(waiting, sandbox):  # type: ignore[no-untyped-def]
    """One problem (sso-login, one report) linked to an issue a person filed: the runtime,
    the client, the problem and the issue's key."""
    runtime, client = waiting
    report(client, "T1", "a@acme.com")
    problem = problem_row(runtime, "sso-login")
    key = their_issue(sandbox)
    assert link(client, runtime, problem.id, key).status_code == 200
    return runtime, client, problem, key


def two_problems_one_linked(waiting, sandbox):  # type: ignore[no-untyped-def]
    """Two problems, sso-login and okta-loop, the first linked to an issue a person filed:
    the runtime, the client, both problems and the issue's key."""
    runtime, client = waiting
    report(client, "T1", "a@acme.com", tag="pain-sso-login")
    report(client, "T2", "b@globex.io", tag="pain-okta-loop")
    linked, other = problem_row(runtime, "sso-login"), problem_row(runtime, "okta-loop")
    key = their_issue(sandbox)
    assert link(client, runtime, linked.id, key).status_code == 200
    return runtime, client, linked, other, key


@pytest.fixture
def waiting(make_settings, sandbox):  # type: ignore[no-untyped-def]
    """Problems collect but get no issue of their own (min_customers 5): people link one."""
    runtime = inline_runtime(
        make_settings(jira=jira_table(sandbox, min_customers=5), base_url="https://vr.example")
    )
    yield runtime, create_app(runtime=runtime).test_client()
    runtime.engine.dispose()


def link(client, runtime, problem_id: int, key: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/problems/{problem_id}/jira", json={"key": key}, headers=token(runtime, "pm")
    )


def test_a_linked_issue_keeps_its_summary_text_and_labels_and_gains_ours(waiting, sandbox):
    runtime, client = waiting
    report(client, "T1", "a@acme.com")
    problem = problem_row(runtime, "sso-login")
    key = their_issue(sandbox)

    assert link(client, runtime, problem.id, key).status_code == 200

    fields = sandbox.issue(key)["fields"]
    assert fields["summary"] == THEIR_SUMMARY
    assert fields["description"].startswith(THEIR_TEXT + "\n\n" + BEGIN)
    assert fields["description"].endswith(END)
    own = label(runtime.engine, problem.id)
    assert set(fields["labels"]) == {"customer-login", "voice-router", own}
    assert sandbox.remote_links(key)[0]["object"]["url"].endswith(f"/problems/{problem.id}")


def test_a_renamed_problem_never_reaches_a_persons_issue_but_reaches_ours(
    waiting, sandbox, make_settings
):
    runtime, client, theirs, key = one_linked(waiting, sandbox)
    pm = token(runtime, "pm")

    renamed = client.patch(
        f"/api/v1/problems/{theirs.id}", json={"title": "Saml broken"}, headers=pm
    )
    assert renamed.status_code == 200 and renamed.get_json()["title"] == "Saml broken"
    report(client, "T2", "b@globex.io")  # and the impact changes too

    fields = sandbox.issue(key)["fields"]
    assert fields["summary"] == THEIR_SUMMARY
    assert "|2|2|" in fields["description"]
    ours = inline_runtime(make_settings(jira=jira_table(sandbox)))
    ours_client = create_app(runtime=ours).test_client()
    report(ours_client, "T3", "c@initech.com", tag="pain-export")
    export = problem_row(ours, "export")
    ours_client.patch(
        f"/api/v1/problems/{export.id}", json={"title": "CSV export times out"}, headers=pm
    )
    assert sandbox.issue(export.jira_key)["fields"]["summary"] == "CSV export times out"
    ours.engine.dispose()


def test_linking_an_issue_another_problem_holds_is_409_naming_that_problem(waiting, sandbox):
    runtime, client, holder, other, key = two_problems_one_linked(waiting, sandbox)
    before = sandbox.issue(key)["fields"]["description"]

    for given in (key, key.lower()):
        refused = link(client, runtime, other.id, given)
        assert refused.status_code == 409
        body = refused.get_json()
        assert body["error"] == "conflict"
        assert f"problem {holder.id}" in body["message"] and holder.title in body["message"]
        assert "merge" in body["message"]

    assert by_key(client, runtime)["okta-loop"]["jira"] is None
    assert sandbox.issue(key)["fields"]["description"] == before
    assert not labels_naming(sandbox.issue(key)["fields"]["labels"], other.id)


def test_the_database_holds_one_issue_to_one_problem(waiting, sandbox):
    runtime, client = waiting
    report(client, "T1", "a@acme.com", tag="pain-sso-login")
    report(client, "T2", "b@globex.io", tag="pain-okta-loop")
    with Session(runtime.engine) as session:
        for problem in session.exec(select(Problem)):
            problem.jira_key = "PROD-22"
            session.add(problem)
        with pytest.raises(sa.exc.IntegrityError):
            session.commit()


def test_unlinking_takes_off_the_block_and_the_problem_label_and_nothing_else(waiting, sandbox):
    runtime, client, problem, key = one_linked(waiting, sandbox)
    links_before = sandbox.remote_links(key)

    response = client.delete(f"/api/v1/problems/{problem.id}/jira", headers=token(runtime, "pm"))

    assert response.status_code == 200 and response.get_json()["jira"] is None
    fields = sandbox.issue(key)["fields"]
    assert fields["summary"] == THEIR_SUMMARY
    assert fields["description"] == THEIR_TEXT
    assert set(fields["labels"]) == {"customer-login", "voice-router"}
    assert sandbox.remote_links(key) == links_before
    report(client, "T2", "b@globex.io")  # no new issue by itself
    report(client, "T3", "c@initech.com")
    assert [i["key"] for i in sandbox.issues()] == [key]
    again = client.delete(f"/api/v1/problems/{problem.id}/jira", headers=token(runtime, "pm"))
    assert again.status_code == 409 and again.get_json()["error"] == "conflict"


def test_unlinking_waits_out_jira_and_is_retried(waiting, sandbox):
    from workers.jobs import sync_jira

    runtime, client, problem, key = one_linked(waiting, sandbox)
    sandbox.fail_next("GET", rf"/rest/api/2/issue/{key}", 503)

    assert (
        client.delete(
            f"/api/v1/problems/{problem.id}/jira", headers=token(runtime, "pm")
        ).status_code
        == 200
    )
    assert BEGIN in sandbox.issue(key)["fields"]["description"]  # Jira was down
    with Session(runtime.engine) as session:
        row = session.get(Problem, problem.id)
        row.jira_sync_due_at = utcnow()
        session.add(row)
        session.commit()
    sync_jira(problem.id, runtime)

    assert sandbox.issue(key)["fields"]["description"] == THEIR_TEXT
    assert problem_row(runtime, "sso-login").jira_detach_keys is None


def test_linking_another_issue_moves_the_block_and_label_off_the_first(waiting, sandbox):
    runtime, client = waiting
    report(client, "T1", "a@acme.com")
    problem = problem_row(runtime, "sso-login")
    first, second = their_issue(sandbox), their_issue(sandbox, labels=())
    assert link(client, runtime, problem.id, first).status_code == 200

    assert link(client, runtime, problem.id, second).status_code == 200

    assert sandbox.issue(first)["fields"]["description"] == THEIR_TEXT
    assert not labels_naming(sandbox.issue(first)["fields"]["labels"], problem.id)
    assert BEGIN in sandbox.issue(second)["fields"]["description"]
    assert label(runtime.engine, problem.id) in sandbox.issue(second)["fields"]["labels"]


def test_a_merged_problems_issue_moves_to_a_survivor_without_one(waiting, sandbox):
    runtime, client, merged, survivor, key = two_problems_one_linked(waiting, sandbox)
    pm = token(runtime, "pm")

    response = client.post(
        f"/api/v1/problems/{merged.id}/merge", json={"into": survivor.id}, headers=pm
    )

    assert response.status_code == 200 and response.get_json()["jira"]["key"] == key
    assert problem_row(runtime, "sso-login").jira_key is None
    fields = sandbox.issue(key)["fields"]
    assert fields["summary"] == THEIR_SUMMARY  # still a person's issue
    assert label(runtime.engine, survivor.id) in fields["labels"]
    assert sync.sync_problem(runtime.engine, runtime.settings, survivor.id).action == "unchanged"
