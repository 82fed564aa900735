"""Her name as formatting splits it: Jira's wiki markup (`*Maria* Lopez`), white space of
any kind, HTML (`<b>Maria</b> Lopez`, also in a Jira webhook's rendered fields), and Jira's
document format (ADF JSON, where one name may be two text nodes, one of them bold). Forget
reads each as a reader does: what reads as her name is cut out of Jira's deliveries and
staff notes, and counted (never cut) in other customers' own words; what reads as another
name (`Maria Lopezova`, `MariaLopez`) stays. The webhooks come signed through the app."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, select

from tests.support import generic_delivery, post_signed, token
from tests.test_forget import dump
from tests.test_forget_late import EMAIL, maria
from tests.test_forget_late_jira import intake, jira_rows, post_jira  # noqa: F401  (a fixture)
from voice_router.intake import processing
from voice_router.models import Note
from voice_router.problems.privacy import forget

# How a comment spells her name, and what is left of it once she is forgotten.
FOUND = [
    ("*Maria* Lopez called", "*[forgotten]* called"),
    ("_Maria_ _Lopez_ called", "_[forgotten]_ called"),
    ("{{Maria}} Lopez called", "{{[forgotten]}} called"),
    ("{color:red}Maria{color} Lopez called", "{color:red}[forgotten]{color} called"),
    ("Maria  Lopez called", "[forgotten] called"),
    ("Maria\nLopez called", "[forgotten] called"),
    ("Maria\u00a0Lopez called", "[forgotten] called"),
    ("Maria\t \r\nLopez called", "[forgotten] called"),
    ("<p><b>Maria</b> Lopez called</p>", "<p><b>[forgotten]</b> called</p>"),
    ("<p>Maria<br/>Lopez called</p>", "<p>[forgotten]<br/> called</p>"),
    ("Maria&nbsp;Lopez called", "[forgotten] called"),
    ("MARIA lopez called", "[forgotten] called"),
]
# Other names, or no name a reader would see: left as they are.
KEPT = [
    "Maria Lopezova called",
    "*Maria* Lopezova called",
    "MariaLopez called",
    "Maria_Lopez called",
    "Ana-Maria-Lopez called",
    "<b>Maria</b>Lopez called",
]


def adf(*paragraphs: list[dict[str, Any]]) -> dict[str, Any]:
    """Jira's document format: a doc of paragraphs of text nodes."""
    content = [{"type": "paragraph", "content": list(nodes)} for nodes in paragraphs]
    return {"type": "doc", "version": 1, "content": content}


def text(words: str, *marks: str) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": words}
    if marks:
        node["marks"] = [{"type": mark} for mark in marks]
    return node


def jira_comment(number: int, body: Any, rendered: str | None = None) -> bytes:
    document: dict[str, Any] = {
        "timestamp": 1700000000000,
        "webhookEvent": "comment_created",
        "comment": {"id": str(number), "body": body, "author": {"displayName": "Sam Staff"}},
        "issue": {"id": "10001", "key": "PROD-1", "fields": {"description": "Export fails"}},
    }
    if rendered is not None:
        document["comment"]["renderedBody"] = rendered
    return json.dumps(document).encode()


def her_reports_and_forget(client: Any, runtime: Any, bodies: list[bytes]) -> list[Any]:
    """Her report, then the Jira comments, processed; forget; the comments as left."""
    assert post_signed(client, "generic", maria("M-1")).status_code == 202
    for body in bodies:
        post_jira(client, body)
    processing.drain(runtime.engine, runtime.settings)
    forget(runtime.engine, EMAIL, "test")
    rows = jira_rows(runtime.engine)
    assert [status for status, _ in rows] == ["processed"] * len(bodies)  # cut, never stubbed
    return [document["comment"] for _, document in rows]


def test_her_name_split_by_markup_or_white_space_is_cut_and_other_names_stay(intake):  # noqa: F811  (the fixture)
    client, runtime = intake
    written = [spelling for spelling, _ in FOUND] + KEPT
    bodies = [jira_comment(n, spelling) for n, spelling in enumerate(written)]
    comments = her_reports_and_forget(client, runtime, bodies)
    assert [c["body"] for c in comments] == [cut for _, cut in FOUND] + KEPT


def test_her_name_in_a_jira_webhooks_rendered_html_is_cut(intake):  # noqa: F811  (the fixture)
    client, runtime = intake
    rendered = "<p>Called <strong>Maria</strong>\n<em>Lopez</em> twice</p>"
    comments = her_reports_and_forget(client, runtime, [jira_comment(1, "Called", rendered)])
    assert comments[0]["renderedBody"] == (
        "<p>Called <strong>[forgotten]</strong><em></em> twice</p>"
    )


def test_her_name_across_text_nodes_of_jiras_document_format_is_cut(intake):  # noqa: F811  (the fixture)
    """ADF: `Maria` bold, ` Lopez called` plain; a name across two paragraphs (read as a
    line break); `Maria Lopez` then a bold `ova` reads `Maria Lopezova`, someone else."""
    client, runtime = intake
    bodies = [
        jira_comment(1, adf([text("Maria", "strong"), text(" Lopez called")])),
        jira_comment(2, adf([text("Call "), text("Maria")], [text("Lopez"), text(" today")])),
        jira_comment(3, adf([text("Maria Lopez"), text("ova", "strong"), text(" called")])),
        jira_comment(4, adf([text("Ma"), text("ria Lo", "em"), text("pez called")])),
    ]
    comments = her_reports_and_forget(client, runtime, bodies)
    assert comments[0]["body"] == adf([text("[forgotten]", "strong"), text(" called")])
    assert comments[1]["body"] == adf(
        [text("Call "), text("[forgotten]")], [text(""), text(" today")]
    )
    assert comments[2]["body"] == adf([text("Maria Lopez"), text("ova", "strong"), text(" called")])
    assert comments[3]["body"] == adf([text("[forgotten]"), text("", "em"), text(" called")])


def test_staff_notes_lose_her_name_as_markup_splits_it(client, runtime):
    """A business note typed with emphasis, or pasted from HTML, still names her."""
    assert post_signed(client, "generic", maria("M-1")).status_code == 202
    processing.drain(runtime.engine, runtime.settings)
    agent = token(runtime)
    [problem] = client.get("/api/v1/problems", headers=agent).get_json()["problems"]
    written = ["*Maria* Lopez may churn", "<b>Maria</b>\nLopez may churn", "Maria Lopezova is fine"]
    for body in written:
        path = f"/api/v1/problems/{problem['id']}/notes"
        answer = client.post(path, json={"body": body}, headers=agent)
        assert answer.status_code == 201, answer.get_json()

    report = forget(runtime.engine, EMAIL, "test")

    assert report.scrubbed.get("note.body") == 2
    with Session(runtime.engine) as session:
        bodies = session.exec(select(Note.body).order_by(Note.id)).all()  # type: ignore[arg-type]
    assert list(bodies) == ["*[forgotten]* may churn", "<b>[forgotten]</b> may churn", written[2]]


def test_her_name_in_another_customers_html_is_found_counted_and_kept(client, runtime):
    """Another customer's own words may name a namesake: forget leaves them, and counts
    them for the operator to review; HTML around the name does not hide it from the count."""
    assert post_signed(client, "generic", maria("M-1")).status_code == 202
    ben = generic_delivery(
        "B-1",
        "ben@acme-corp.com",
        ["pain-export"],
        name="Ben Ode",
        subject="Export for <b>Maria</b> Lopez fails",
    )
    assert post_signed(client, "generic", ben).status_code == 202
    processing.drain(runtime.engine, runtime.settings)

    report = forget(runtime.engine, EMAIL, "test")

    assert report.name_mentions_kept == {"delivery.body": 1, "painpoint.subject": 1}
    assert dump(runtime.engine).count(b"<b>maria</b> lopez") == 2  # her words, and the row


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_megabyte_of_near_misses_is_read_in_linear_time(intake):  # noqa: F811  (the fixture)
    """No pattern that can go quadratic: a body of a megabyte of `Maria` followed by every
    kind of gap, never `Lopez`, is read and left as it is (a few seconds at most on a
    loaded machine; a quadratic read would take hours)."""
    client, runtime = intake
    gaps = ["Maria " * 35000, "Maria" + " " * 250000, "Maria<br>" * 25000, "*Maria*_ " * 30000]
    body = jira_comment(1, "".join(gaps) + "Lopezova")
    assert 900_000 < len(body) < 1_048_576  # max_body_bytes
    comments = her_reports_and_forget(client, runtime, [body])
    assert comments[0]["body"] == "".join(gaps) + "Lopezova"


def test_a_name_whose_word_holds_an_emphasis_mark_is_cut_whole(client, runtime):
    """`_` is an emphasis mark between words, and part of a word inside one: forget once
    took the `_` of `Anna_Lena` for a gap between words, and failed."""
    email = "anna.lena@acme-corp.com"
    her = generic_delivery("A-1", email, ["pain-export"], name="Anna_Lena Berg")
    assert post_signed(client, "generic", her).status_code == 202
    processing.drain(runtime.engine, runtime.settings)
    agent = token(runtime)
    [problem] = client.get("/api/v1/problems", headers=agent).get_json()["problems"]
    path = f"/api/v1/problems/{problem['id']}/notes"
    answer = client.post(path, json={"body": "*Anna_Lena* Berg called"}, headers=agent)
    assert answer.status_code == 201

    forget(runtime.engine, email, "test")

    with Session(runtime.engine) as session:
        assert session.exec(select(Note.body)).one() == "*[forgotten]* called"
