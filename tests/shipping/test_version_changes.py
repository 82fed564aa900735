"""A fix version that changes after the fact: renamed in Jira (`jira:version_updated`), or
released and then unreleased (`jira:version_unreleased`). The drafts used to keep saying
"the fix went out in version <old name>", and with `shipped_when = "released"` the problem
stayed shipped; now the version's issues are read again, as for a release (a job of its own,
never inside the inbox's batch), and what voice-router stores and says follows Jira."""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import Session, select

from integrations.jira import webhook
from tests.shipping.conftest import JIRA_SECRET
from tests.shipping.test_close_the_loop import notify_list, problem, seed
from voice_router.models import Outbound
from voice_router.tracker import releases
from voice_router.tracker.reconcile import reconcile

pytestmark = pytest.mark.usefixtures("jira_openapi_check")


def shipped_in(loop, version: str, shipped_when: str):  # type: ignore[no-untyped-def]
    """The seeded problem, its issue in `version` and Done (and the version released when
    that is what ships it)."""
    p = seed(loop)
    loop.sandbox.create_version(version)
    loop.sandbox.edit(p.jira_key, {"fixVersions": [{"name": version}]})
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    if shipped_when == "released":
        loop.sandbox.release_version(version)
    shipped = problem(loop)
    assert shipped.status == "shipped" and shipped.jira_fix_version == version
    return shipped


def drafts(loop, problem_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [r["draft"] for r in notify_list(loop, problem_id)["recipients"]]


@pytest.mark.parametrize("shipped_when", ["done", "released"])
def test_a_renamed_version_is_what_the_drafts_name(make_loop, shipped_when):
    loop = make_loop(shipped_when=shipped_when)
    p = shipped_in(loop, "2.4.0-rc1", shipped_when)
    assert all("in version 2.4.0-rc1" in d for d in drafts(loop, p.id))

    loop.sandbox.rename_version("2.4.0-rc1", "2.4.0")

    assert problem(loop).jira_fix_version == "2.4.0"
    assert problem(loop).status == "shipped"
    texts = drafts(loop, p.id)
    assert texts and all("the fix went out in version 2.4.0," in d for d in texts), texts
    assert not any("rc1" in d for d in texts)
    assert not releases.any_due(loop.runtime.engine)  # looked up and applied once


def test_an_unreleased_version_unships_its_problem_and_cancels_its_unsent_news(
    make_loop, httpserver
):
    httpserver.expect_request("/hook", method="POST").respond_with_data("busy", status=503)
    loop = make_loop(
        shipped_when="released", notify={"slack_webhook_url": httpserver.url_for("/hook")}
    )
    p = shipped_in(loop, "2.4.0", "released")
    with Session(loop.runtime.engine) as session:
        waiting = session.exec(select(Outbound.status).where(Outbound.problem_id == p.id)).all()
    assert waiting and set(waiting) == {"pending"}  # Slack is down: the digests wait

    loop.sandbox.unrelease_version("2.4.0")

    unshipped = problem(loop)
    assert unshipped.status == "in_progress" and unshipped.jira_fix_version == "2.4.0"
    listed = notify_list(loop, p.id)
    assert listed["shipped"] is False
    assert all("It isn't fixed yet" in r["draft"] for r in listed["recipients"])
    assert not any("went out" in r["draft"] for r in listed["recipients"])
    with Session(loop.runtime.engine) as session:
        after = session.exec(select(Outbound.status).where(Outbound.problem_id == p.id)).all()
    assert set(after) == {"cancelled"}  # as when an issue is reopened: "shipped" never goes

    loop.sandbox.release_version("2.4.0")  # released again: shipped again, the news owed
    assert problem(loop).status == "shipped"


def test_an_unreleased_version_under_shipped_when_done_only_changes_the_name_shown(make_loop):
    loop = make_loop()
    p = shipped_in(loop, "2.4.0", "done")
    loop.sandbox.create_version("2.3.9", released=True)
    loop.sandbox.edit(p.jira_key, {"fixVersions": [{"name": "2.4.0"}, {"name": "2.3.9"}]})
    assert problem(loop).jira_fix_version == "2.3.9"  # the released one, where there is one

    loop.sandbox.unrelease_version("2.3.9")

    assert problem(loop).status == "shipped"  # Done ships it, whatever the versions say
    assert problem(loop).jira_fix_version == "2.4.0\n2.3.9"
    assert all("the fix went out in versions 2.4.0 and 2.3.9," in d for d in drafts(loop, p.id))


def post_jira(loop, body: bytes):  # type: ignore[no-untyped-def]
    return loop.client.post("/webhooks/jira", data=body, headers=webhook.sign(body, JIRA_SECRET))


@pytest.mark.parametrize(
    "version",
    [None, "2.4.0", {"name": "2.4.0"}, {"id": "10 OR 1=1", "name": "x"}, {"id": ["1"]}],
    ids=["no-version", "not-an-object", "no-id", "id-not-a-number", "id-a-list"],
)
@pytest.mark.parametrize("event", ["jira:version_updated", "jira:version_unreleased"])
def test_a_malformed_version_event_is_acknowledged_and_ignored(make_loop, event, version):
    loop = make_loop(shipped_when="released")
    p = shipped_in(loop, "2.4.0", "released")
    body = {"timestamp": 1764000000000, "webhookEvent": event}
    if version is not None:
        body["version"] = version
    answer = post_jira(loop, json.dumps(body).encode())
    assert answer.status_code == 202, answer.get_json()
    assert not releases.any_due(loop.runtime.engine)
    assert (problem(loop).status, problem(loop).jira_fix_version) == ("shipped", "2.4.0")
    assert p.id == problem(loop).id


def test_an_unknown_version_event_is_acknowledged_and_ignored(make_loop):
    loop = make_loop()
    body = json.dumps(
        {"timestamp": 1764000000000, "webhookEvent": "jira:version_frobnicated", "version": {}}
    ).encode()
    assert post_jira(loop, body).status_code == 202
    assert not releases.any_due(loop.runtime.engine)


# -- the webhook lost: the reconcile pass catches up -----------------------------------------


def labelled_searches(loop) -> int:  # type: ignore[no-untyped-def]
    """The reconcile pass's searches by problem label (`labels in (...)`)."""
    return sum(
        1
        for call in loop.sandbox.calls
        if re.fullmatch(r"/rest/api/\d/search.*", call.path) and "labels+in" in call.query
    )


@pytest.mark.parametrize("shipped_when", ["done", "released"])
def test_a_rename_whose_webhook_was_lost_reaches_the_drafts_at_the_next_reconcile(
    make_loop, shipped_when
):
    """Renaming a version changes no issue's `updated`: the pass's search for what changed
    never saw it, and the drafts named the old version for good."""
    loop = make_loop(shipped_when=shipped_when)
    p = shipped_in(loop, "2.4.0-rc1", shipped_when)
    reconcile(loop.runtime.engine, loop.runtime.settings)
    searches = labelled_searches(loop)
    reconcile(loop.runtime.engine, loop.runtime.settings)
    assert labelled_searches(loop) == searches  # nothing to catch up: no issue read again

    loop.sandbox.rename_version("2.4.0-rc1", "2.4.0", send=False)  # its webhook lost
    reconcile(loop.runtime.engine, loop.runtime.settings)

    assert problem(loop).jira_fix_version == "2.4.0" and problem(loop).status == "shipped"
    assert all("in version 2.4.0," in d for d in drafts(loop, p.id))
    reconcile(loop.runtime.engine, loop.runtime.settings)
    assert labelled_searches(loop) == searches + 1  # caught up once, then quiet again


def test_an_unrelease_whose_webhook_was_lost_unships_at_the_next_reconcile(make_loop):
    loop = make_loop(shipped_when="released")
    shipped_in(loop, "2.4.0", "released")
    reconcile(loop.runtime.engine, loop.runtime.settings)

    loop.sandbox.unrelease_version("2.4.0", send=False)  # its webhook lost
    reconcile(loop.runtime.engine, loop.runtime.settings)

    assert problem(loop).status == "in_progress"
    loop.sandbox.release_version("2.4.0", send=False)  # and released again, also unheard
    reconcile(loop.runtime.engine, loop.runtime.settings)
    assert problem(loop).status == "shipped"


# -- another project's versions ---------------------------------------------------------------


def change(loop, version: str, how: str) -> None:  # type: ignore[no-untyped-def]
    """Release, rename or unrelease `version` of project OPS in Jira (its webhook sent)."""
    if how == "released":
        loop.sandbox.release_version(version, project="OPS")
    elif how == "renamed":
        loop.sandbox.rename_version(version, f"{version}-final", project="OPS")
    else:
        loop.sandbox.release_version(version, project="OPS", send=False)
        loop.sandbox.unrelease_version(version, project="OPS")


@pytest.mark.parametrize("how", ["released", "renamed", "unreleased"])
def test_another_projects_version_events_cost_no_jira_call(make_loop, how):
    """Jira sends every project's version events to a site's webhooks: each one made a
    `fixVersion = <id>` search, whatever project the version was in. Now the project's id
    is asked of Jira once, and another project's version costs nothing after that."""
    loop = make_loop(shipped_when="released")
    loop.sandbox.state.add_project("OPS")
    loop.sandbox.create_version("9.0", project="OPS")
    loop.sandbox.create_version("9.1", project="OPS")
    loop.sandbox.reset_calls()

    change(loop, "9.0", how)
    assert [(c.method, c.path) for c in loop.sandbox.calls] == [
        ("GET", "/rest/api/2/serverInfo"),  # the process's Jira client, made once
        ("GET", "/rest/api/2/project/PROD"),  # our project's id, asked for the first time
    ]
    loop.sandbox.reset_calls()
    change(loop, "9.1", how)
    assert loop.sandbox.calls == []
    assert not releases.any_due(loop.runtime.engine)

    shipped_in(loop, "2.4.0", "released")  # our own project's release is still looked up
