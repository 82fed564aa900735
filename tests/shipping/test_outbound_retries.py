"""What a shipped problem owes survives a helpdesk that is away for hours: transient failures
are tried again for about a day (a rate limit does not count), a 408 is tried again, a
connection closed after the note went out is given up rather than posted twice, and what was
given up can be listed and sent again with `voice-router outbound failed` / `resend`."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlmodel import Session, select
from werkzeug import Request, Response

from tests.integrations.misbehaving import HangsUp
from tests.shipping.test_close_the_loop import problem
from tests.support import (
    ZENDESK_ASSIGNED,
    config_file,
    post_signed,
    zendesk_login_loop,
    zendesk_writeback,
)
from voice_router.cli import cli
from voice_router.closing.notify import MAX_ATTEMPTS
from voice_router.models import Outbound
from voice_router.platform.clock import to_utc, utcnow
from workers import jobs

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

NOTE = "/api/v2/tickets/2002.json"


def created() -> Response:
    return Response(json.dumps({"audit": {"events": [{"type": "Comment", "id": 77}]}}))


def ship(loop) -> None:  # type: ignore[no-untyped-def]
    assert (
        post_signed(loop.client, "zendesk", zendesk_login_loop(**ZENDESK_ASSIGNED)).status_code
        == 202
    )
    loop.sandbox.transition(problem(loop).jira_key, "Done", resolution="Done")


def note(loop) -> Outbound:  # type: ignore[no-untyped-def]
    with Session(loop.runtime.engine) as session:
        return session.exec(select(Outbound)).one()


def next_pass(loop) -> None:  # type: ignore[no-untyped-def]
    """The row's retry time comes (time travel, not a wait), and the messages lane runs."""
    with loop.runtime.engine.begin() as connection:
        connection.execute(sa.update(Outbound).values(next_attempt_at=utcnow() - timedelta(1)))
    jobs.deliver_outbound(None, loop.runtime)


def desk_answering(httpserver, answers: list[Response]) -> list[Request]:  # type: ignore[no-untyped-def]
    """The helpdesk answers the notes with `answers` in turn, the last one from then on."""
    seen: list[Request] = []

    def answer(request: Request) -> Response:
        seen.append(request)
        return answers[min(len(seen), len(answers)) - 1]

    httpserver.expect_request(NOTE, method="PUT").respond_with_handler(answer)
    return seen


def test_a_helpdesk_down_for_most_of_a_day_still_gets_its_note(make_loop, httpserver):
    down = Response("maintenance", status=503)
    seen = desk_answering(httpserver, [down] * (MAX_ATTEMPTS - 1) + [created()])
    loop = make_loop(sources=zendesk_writeback(httpserver.url_for("").rstrip("/")))
    ship(loop)
    waits = []
    while note(loop).status == "pending":
        row = note(loop)
        waits.append((to_utc(row.next_attempt_at) - utcnow()).total_seconds())
        next_pass(loop)
    assert (note(loop).status, note(loop).attempts, len(seen)) == (
        "sent",
        MAX_ATTEMPTS,
        MAX_ATTEMPTS,
    )
    assert max(waits) <= 3600 and sum(waits) > 20 * 3600  # backoff capped at an hour: ~a day


def test_a_helpdesk_down_for_longer_is_given_up_visibly(make_loop, httpserver):
    desk_answering(httpserver, [Response("maintenance", status=503)])
    loop = make_loop(sources=zendesk_writeback(httpserver.url_for("").rstrip("/")))
    ship(loop)
    while note(loop).status == "pending":
        next_pass(loop)
    given_up = note(loop)
    assert (given_up.status, given_up.attempts) == ("failed", MAX_ATTEMPTS)
    assert given_up.last_error.startswith("unavailable: zendesk answered 503")
    assert f"given up after {MAX_ATTEMPTS} failed tries" in given_up.last_error


def test_rate_limits_do_not_count_towards_giving_up(make_loop, httpserver):
    limited = Response("slow down", status=429, headers={"Retry-After": "60"})
    seen = desk_answering(httpserver, [limited] * (MAX_ATTEMPTS + 5) + [created()])
    loop = make_loop(sources=zendesk_writeback(httpserver.url_for("").rstrip("/")))
    ship(loop)
    row = note(loop)
    assert row.status == "pending" and 50 <= (to_utc(row.next_attempt_at) - utcnow()).seconds <= 60
    while note(loop).status == "pending":
        next_pass(loop)
    assert (note(loop).status, note(loop).attempts, len(seen)) == ("sent", 1, MAX_ATTEMPTS + 6)


def test_a_408_is_tried_again(make_loop, httpserver):
    seen = desk_answering(httpserver, [Response("", status=408), created()])
    loop = make_loop(sources=zendesk_writeback(httpserver.url_for("").rstrip("/")))
    ship(loop)
    assert (note(loop).status, note(loop).last_error.split(":")[0]) == (
        "pending",
        "request_timeout",
    )
    next_pass(loop)
    assert (note(loop).status, len(seen)) == ("sent", 2)


def test_a_note_whose_answer_never_came_is_not_posted_twice_until_an_operator_says_so(
    make_loop, tmp_path
):
    with HangsUp() as desk:
        loop = make_loop(sources=zendesk_writeback(desk.url))
        ship(loop)  # the helpdesk reads the note whole, then hangs up
        next_pass(loop)
        failed = note(loop)
        assert (failed.status, len(desk.received)) == ("failed", 1)  # posted once, not again
        assert failed.last_error.startswith("connection_lost: the connection to zendesk at ")
        assert "closed before an answer" in failed.last_error
        assert "it may have gone through" in failed.last_error

        config = config_file(tmp_path, loop.runtime.settings.database_url)
        listing = CliRunner().invoke(cli, ["--config", str(config), "outbound", "failed"])
        assert listing.exit_code == 0, listing.output
        [line] = [x for x in listing.output.splitlines() if "zendesk:2002" in x]
        assert line.split()[:3] == [str(failed.id), str(failed.problem_id), "writeback"]
        assert "it may have gone through" in line or "connection_lost" in line

        resent = CliRunner().invoke(cli, ["--config", str(config), "outbound", "resend", "--all"])
        assert resent.exit_code == 0 and "resending 1 message(s)" in resent.output
        assert (note(loop).status, note(loop).attempts) == ("pending", 0)
        jobs.deliver_outbound(None, loop.runtime)  # what the running service's lane does next
        assert len(desk.received) == 2

    again = CliRunner().invoke(cli, ["--config", str(config), "outbound", "resend", "999"])
    assert again.exit_code == 1 and "no message with id 999" in again.output  # as replay says
    bare = CliRunner().invoke(cli, ["--config", str(config), "outbound", "resend"])
    assert bare.exit_code == 2 and "--all" in bare.output
