"""Merges after a fix shipped: customers a merge brings to a shipped problem are told, and a
ticket noted for one problem of a group is not noted again when another ships."""

from __future__ import annotations

import pytest

from tests.shipping.test_close_the_loop import problem
from tests.shipping.test_who_is_told import NOTE_ANSWER, desk_and_slack, notes, slack_texts
from tests.support import post_signed, token, zendesk_login_loop
from workers import jobs

pytestmark = pytest.mark.usefixtures("jira_openapi_check")


def zendesk(loop, ticket, email, name, agent, tags="pain-sso-login", **more):  # type: ignore[no-untyped-def]
    body = zendesk_login_loop(
        **more,
        id=ticket,
        tags=tags,
        requester={"email": email, "name": name, "id": f"r-{ticket}"},
        assignee={"email": f"{agent.lower()}@support.example", "name": agent},
    )
    assert post_signed(loop.client, "zendesk", body).status_code == 202


def merge(loop, merged_id: int, into_id: int) -> None:  # type: ignore[no-untyped-def]
    pm = token(loop.runtime, "pm")
    answer = loop.client.post(
        f"/api/v1/problems/{merged_id}/merge", json={"into": into_id}, headers=pm
    )
    assert answer.status_code == 200, answer.get_json()


def notes_posted(httpserver) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(
        request.path for request, _ in httpserver.log if request.path.startswith("/api/v2/")
    )


def test_customers_merged_into_a_shipped_problem_are_told(make_loop, httpserver):
    """Fault audit: their messages were planned when the survivor shipped, without them, and
    never after: no note on Tom's ticket, no word to his agent, for good. The merge also
    tells the message sender: they go out with it, not at its next sweep (minutes later in
    a running service)."""
    for ticket in ("2001", "2002"):
        httpserver.expect_request(f"/api/v2/tickets/{ticket}.json", method="PUT").respond_with_json(
            NOTE_ANSWER
        )
    loop = desk_and_slack(make_loop, httpserver)
    zendesk(loop, "2001", "maria@acme-corp.com", "Maria Lopez", "Alice")
    shipped = problem(loop)
    loop.sandbox.transition(shipped.jira_key, "Done", resolution="Done")
    assert list(notes(httpserver)) == ["2001"] and len(slack_texts(httpserver)) == 1
    zendesk(loop, "2002", "tom@acme-corp.com", "Tom Reed", "Bob", tags="pain-sso-loop")
    merge(loop, problem(loop, "sso-loop").id, shipped.id)
    assert sorted(notes(httpserver)) == ["2001", "2002"]
    [bob] = [text for text in slack_texts(httpserver) if "For Bob" in text]
    assert "Tom Reed" in bob and "has shipped" in bob


def test_a_ticket_noted_for_a_shipped_problem_is_not_noted_again_when_its_survivor_ships(
    make_loop, httpserver
):
    """Fault audit: a shipped problem merged into an open duplicate; when that one shipped,
    the first problem's ticket got a second note."""
    for ticket in ("2001", "2002"):
        httpserver.expect_request(f"/api/v2/tickets/{ticket}.json", method="PUT").respond_with_json(
            NOTE_ANSWER
        )
    loop = desk_and_slack(make_loop, httpserver)
    zendesk(loop, "2001", "maria@acme-corp.com", "Maria Lopez", "Alice")
    first = problem(loop)
    loop.sandbox.transition(first.jira_key, "Done", resolution="Done")
    zendesk(loop, "2002", "tom@acme-corp.com", "Tom Reed", "Bob", tags="pain-sso-loop")
    survivor = problem(loop, "sso-loop")
    merge(loop, first.id, survivor.id)
    loop.sandbox.transition(survivor.jira_key, "Done", resolution="Done")
    jobs.deliver_outbound(runtime=loop.runtime)
    assert notes_posted(httpserver) == [
        "/api/v2/tickets/2001.json",
        "/api/v2/tickets/2002.json",
    ]
