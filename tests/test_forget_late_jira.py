"""Jira's webhook deliveries quote people too (our impact block in a description, a staff
comment), and forget cuts the person's address out of the ones it reads. One received while
forget runs reaches the table after forget read it: as it reaches processing, it loses every
address that forget erased (the hashes in the audit entry), and is processed as any other
(problems/forget_late.py). Forget runs as the operator runs it, held mid-way by something it
really waits for (tests/test_forget_late.py); the webhooks come signed through the app."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from integrations.jira import webhook
from tests.support import generic_delivery, post_signed
from tests.test_forget import dump
from tests.test_forget_late import EMAIL, forget_held, forget_process
from voice_router.intake import processing

JIRA_SECRET = "jira-webhook-secret"
NAME = "Maria Lopez"
MARKUP = EMAIL.replace("@", "\\@").replace("-", "\\-")  # as Jira's wiki markup escapes it
FORMER = "m.lopez@acme-corp.com"  # an address of hers forget followed, not the one given


@pytest.fixture
def intake(make_settings):  # type: ignore[no-untyped-def]
    """The web app taking Jira's webhooks (the embedded queue: this test drains by itself)."""
    from voice_router.web import create_app
    from workers.runtime import build_runtime

    settings = make_settings(
        jira={
            "url": "http://127.0.0.1:9",
            "email": "bot@example.com",
            "api_token": "token",
            "project": "PROD",
            "webhook_secret": JIRA_SECRET,
        }
    )
    runtime = build_runtime(settings)
    yield create_app(runtime=runtime).test_client(), runtime
    runtime.engine.dispose()


def comment(comment_id: str, text: str, description: str = f"* {MARKUP} \\- export fails") -> bytes:
    return json.dumps(
        {
            "timestamp": 1700000000000,
            "webhookEvent": "comment_created",
            "comment": {"id": comment_id, "body": text, "author": {"displayName": "Sam Staff"}},
            "issue": {
                "id": "10001",
                "key": "PROD-1",
                "fields": {"description": description},
            },
        }
    ).encode()


def post_jira(client: Any, body: bytes | str) -> None:
    body = body.encode() if isinstance(body, str) else body
    answer = client.post("/webhooks/jira", data=body, headers=webhook.sign(body, JIRA_SECRET))
    assert answer.status_code == 202, answer.get_data()


def jira_rows(engine: Any) -> list[tuple[str, dict[str, Any]]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT status, body FROM delivery WHERE kind = 'jira' ORDER BY id")
        ).all()
    return [(status, json.loads(bytes(body))) for status, body in rows]


def test_her_address_in_jira_markup_is_cut_from_a_jira_delivery_stored_before_forget(
    tmp_path, intake, database_url
):
    """Jira's wiki markup escapes `@` and `-` (`maria.lopez\\@acme\\-corp.com`), and JSON
    escapes the backslash again. Before, forget looked for her address in the raw text,
    in its JSON-decoded strings and in its markup-unescaped text, never in both undone: a
    description or comment that spelled her address that way, and named her in no other
    way, kept it for good."""
    client, runtime = intake
    her = generic_delivery("M-1", EMAIL, ["pain-export"], name=NAME)
    assert post_signed(client, "generic", her).status_code == 202
    post_jira(client, comment("1", "Export fails for her again"))
    processing.drain(runtime.engine, runtime.settings)
    eraser = forget_process(tmp_path, database_url, EMAIL)
    assert eraser.wait(60) == 0, eraser.communicate()[1]

    [(status, document)] = jira_rows(runtime.engine)
    assert status == "processed"
    assert document["issue"]["fields"]["description"] == "* [forgotten] - export fails"
    assert document["comment"]["body"] == "Export fails for her again"
    assert b"maria.lopez" not in dump(runtime.engine)


def test_a_jira_delivery_received_while_forget_runs_loses_her_addresses(
    tmp_path, intake, database_url
):
    """Before, a Jira delivery received while forget ran kept her address (in the issue
    description and in a staff comment, also one she no longer used) for good: processing
    stubbed helpdesk deliveries only, and forget had read the table before it arrived."""
    client, runtime = intake
    # She wrote from her former address first, then from the one forget is given: the same
    # generic customer id, so forget follows her to the former one.
    first = generic_delivery("M-0", FORMER, ["pain-export"], name=NAME, customer_id="c-7")
    second = generic_delivery("M-1", EMAIL, ["pain-export"], name=NAME, customer_id="c-7")
    for body in (first, second):
        assert post_signed(client, "generic", body).status_code == 202
    post_jira(client, comment("1", f"Called {NAME} at {EMAIL}", "Export fails"))
    processing.drain(runtime.engine, runtime.settings)
    with forget_held(tmp_path, database_url, runtime.engine, EMAIL):
        post_jira(client, comment("2", f"Wrote to {EMAIL.upper()} and mailto:{FORMER}."))
        # A comment about somebody else, received meanwhile, is left as it is.
        post_jira(client, comment("3", "Called ben@acme-corp.com", "Export fails"))
    processing.drain(runtime.engine, runtime.settings)

    (before, during, other) = jira_rows(runtime.engine)
    # Read by forget: her address and name cut (forget knew her name).
    assert before[0] == "processed"
    assert before[1]["comment"]["body"] == "Called [forgotten] at [forgotten]"
    # Received while it ran: her addresses cut as it reached processing, and processed.
    assert during[0] == "processed"
    assert during[1]["comment"]["body"] == "Wrote to [forgotten] and mailto:[forgotten]."
    assert during[1]["issue"]["fields"]["description"] == "* [forgotten] - export fails"
    assert other == (
        "processed",
        json.loads(comment("3", "Called ben@acme-corp.com", "Export fails")),
    )
    everything = dump(runtime.engine)
    assert b"lopez@" not in everything and b"lopez\\\\@" not in everything


@pytest.mark.slow
def test_a_jira_delivery_received_while_forget_runs_loses_her_name_too(
    tmp_path, intake, database_url
):
    """Before, such a delivery lost her addresses only: the audit keeps hashes, and a hash
    of a name is no use for finding it in free text. Forget now stays, once it committed,
    as long as a delivery received before that can take to be stored, and cuts her out of
    those with what it knows of her; then it ends, and nothing keeps her name."""
    client, runtime = intake
    her = generic_delivery("M-1", EMAIL, ["pain-export"], name=NAME)
    assert post_signed(client, "generic", her).status_code == 202
    processing.drain(runtime.engine, runtime.settings)
    description = {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "Maria", "marks": [{"type": "strong"}]},
                    {"type": "text", "text": " Lopez cannot export"},
                ],
            }
        ],
    }
    with forget_held(tmp_path, database_url, runtime.engine, EMAIL, JIRA_SECRET) as eraser:
        post_jira(client, comment("2", f"Called *Maria*  Lopez at {EMAIL}", "Export fails"))
        post_jira(client, json.dumps({**json.loads(comment("3", "ok")), "adf": description}))
        # Somebody else, received meanwhile: left as it is.
        post_jira(client, comment("4", "Called Maria Lopezova", "Export fails"))
    printed = eraser.stdout.read()
    processing.drain(runtime.engine, runtime.settings)

    (during, adf, other) = jira_rows(runtime.engine)
    assert during == (
        "processed",
        json.loads(comment("2", "Called *[forgotten]* at [forgotten]", "Export fails")),
    )
    assert adf[0] == "processed"
    assert adf[1]["adf"]["content"][0]["content"] == [
        {"type": "text", "text": "[forgotten]", "marks": [{"type": "strong"}]},
        {"type": "text", "text": " cannot export"},
    ]
    assert adf[1]["issue"]["fields"]["description"] == "* [forgotten] - export fails"
    assert other == ("processed", json.loads(comment("4", "Called Maria Lopezova", "Export fails")))
    everything = dump(runtime.engine)
    assert b"lopez@" not in everything
    assert everything.count(b"lopez") == 1  # Lopezova's
    with runtime.engine.connect() as connection:
        details = connection.execute(sa.text("SELECT details FROM auditentry")).scalar_one()
    assert json.loads(details)["late"] == 2
    assert b"Jira deliveries received while it ran, cut afterwards: 2" in printed
