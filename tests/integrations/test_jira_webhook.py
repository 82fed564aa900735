"""Jira webhooks: signed raw bytes, one delivery id across retries, and every real body
read into the event it means (or acknowledged and ignored)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jira import JIRA

from integrations.events import PayloadError, SignatureError
from integrations.jira import webhook
from integrations.jira.webhook import (
    FixVersion,
    IssueDeleted,
    IssueUpdated,
    VersionChanged,
    VersionReleased,
)
from integrations.signing import body_fingerprint
from jira_sandbox import JiraSandbox
from jira_sandbox import sign as sandbox_sign
from tests.integrations.helpdesks import encode, json_values

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

FIXTURES = Path(__file__).parents[1] / "fixtures" / "jira"
FIXTURE_FILES = sorted(FIXTURES.glob("*.json"))
SECRET = "jira-test-secret"
MATTERMOST_ACCOUNT = "5c5f880629be9642ba529340"


def at(epoch_ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=epoch_ms)


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def document(name: str) -> dict[str, Any]:
    return json.loads(raw(name))


def parse(body: bytes) -> webhook.JiraEvent | None:
    return webhook.parse({}, body)


def tes_41(
    timestamp: datetime,
    status_name: str,
    status_category: str,
    resolution: str | None,
    labels: tuple[str, ...],
    changed: set[str],
    move: tuple[str | None, str | None] = (None, None),
) -> IssueUpdated:
    """An update of the Mattermost fixtures' issue TES-41 (no fix versions, one actor); `move`
    is the status it moved from and to."""
    return IssueUpdated(
        issue_key="TES-41",
        issue_id="10040",
        timestamp=timestamp,
        status_name=status_name,
        status_category=status_category,
        resolution=resolution,
        fix_versions=(),
        labels=labels,
        changed_fields=frozenset(changed),
        status_from=move[0],
        status_to=move[1],
        actor=MATTERMOST_ACCOUNT,
    )


DONE = "jira_issue_updated__status_done_resolution_set_mattermost.json"
REOPENED = "jira_issue_updated__reopened_resolution_cleared_mattermost.json"
IN_PROGRESS = "jira_issue_updated__status_in_progress_zulip.json"
LABELS = "jira_issue_updated__labels_mattermost.json"
OLD_CREATED = "jira_issue_created__zulip.json"
RELEASED = "jira_version_released__putit.json"

EXPECTED: dict[str, webhook.JiraEvent | None] = {
    "comment_created__mattermost.json": None,
    "comment_created__zulip.json": None,
    "jira_issue_created__mattermost.json": None,
    OLD_CREATED: None,
    "jira_issue_deleted__mattermost.json": IssueDeleted("IDT-19", "10303", at(1562177136176)),
    "jira_issue_deleted__zulip.json": IssueDeleted("BUG-15", "10400", at(1364403969102)),
    LABELS: tes_41(at(1550351530065), "To Do", "new", None, ("sad", "test-label"), {"labels"}),
    REOPENED: tes_41(
        at(1550287026531),
        "To Do",
        "new",
        None,
        ("test-label",),
        {"resolution", "status"},
        move=("Done", "To Do"),
    ),
    DONE: tes_41(
        at(1550286940507),
        "Done",
        "done",
        "Done",
        ("test-label",),
        {"resolution", "status"},
        move=("In Progress", "Done"),
    ),
    IN_PROGRESS: IssueUpdated(
        issue_key="TEST-1",
        issue_id="10000",
        timestamp=at(1485797534721),
        status_name="In Progress",
        status_category="indeterminate",
        resolution=None,
        fix_versions=(),
        labels=(),
        changed_fields=frozenset({"status"}),
        status_from="To Do",
        status_to="In Progress",
        actor="99:b8d8a054-2e12-4839-bd5f-5f2b7c5f5e3a",
    ),
    RELEASED: VersionReleased("10000", "1.0", "10002", at(1599604370956)),
}


# -- every captured body ---------------------------------------------------------------------


def test_every_fixture_has_an_expectation_and_every_expectation_a_fixture() -> None:
    assert {path.name for path in FIXTURE_FILES} == set(EXPECTED)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda path: path.stem)
def test_each_fixture_parses_to_its_event(path: Path) -> None:
    assert path.name in EXPECTED, f"add the expected event for {path.name}"

    event = webhook.parse({}, path.read_bytes())

    assert event == EXPECTED[path.name]
    if event is not None:
        assert event.timestamp.tzinfo is UTC


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda path: path.stem)
def test_each_fixture_signed_with_the_test_secret_verifies(path: Path) -> None:
    body = path.read_bytes()
    webhook.verify(webhook.sign(body, SECRET), body, SECRET)


def test_moved_to_done_reads_done_category_and_resolution() -> None:
    event = parse(raw(DONE))
    assert isinstance(event, IssueUpdated)
    assert (event.status_category, event.resolution) == ("done", "Done")


def test_reopened_clears_the_resolution_and_leaves_done() -> None:
    event = parse(raw(REOPENED))
    assert isinstance(event, IssueUpdated)
    assert event.resolution is None
    assert event.status_category != "done"


def test_a_changelog_with_only_a_resolution_item_has_no_status_move() -> None:
    payload = document(DONE)
    payload["changelog"]["items"] = [payload["changelog"]["items"][0]]

    event = parse(encode(payload))

    assert isinstance(event, IssueUpdated)
    assert event.changed_fields == {"resolution"}
    assert (event.status_from, event.status_to) == (None, None)
    assert (event.status_category, event.resolution) == ("done", "Done")


def test_changelog_field_names_are_lower_cased() -> None:
    payload = document(IN_PROGRESS)
    payload["changelog"]["items"].append({"field": "Fix Version", "toString": "2.0"})
    payload["changelog"]["items"][0]["field"] = "Status"

    event = parse(encode(payload))

    assert isinstance(event, IssueUpdated)
    assert event.changed_fields == {"status", "fix version"}
    assert event.status_to == "In Progress"


def test_an_update_without_changelog_changes_nothing() -> None:
    payload = document(IN_PROGRESS)
    del payload["changelog"]

    event = parse(encode(payload))

    assert isinstance(event, IssueUpdated)
    assert event.changed_fields == frozenset()
    assert event.status_category == "indeterminate"


def test_old_self_hosted_status_without_category_leaves_the_category_to_the_caller() -> None:
    payload = document(OLD_CREATED)
    payload["webhookEvent"] = "jira:issue_updated"

    event = parse(encode(payload))

    assert isinstance(event, IssueUpdated)
    assert (event.issue_key, event.issue_id) == ("BUG-15", "10400")
    assert event.status_name == "Open"
    assert event.status_category is None
    assert event.changed_fields == frozenset()
    assert event.actor == "99:27935d01-92a7-4687-8272-a9b8d3b2ae2e"


def test_a_category_outside_jiras_three_keys_is_left_to_the_caller() -> None:
    payload = document(DONE)
    payload["issue"]["fields"]["status"]["statusCategory"]["key"] = "undefined"
    event = parse(encode(payload))
    assert isinstance(event, IssueUpdated)
    assert event.status_category is None


@pytest.mark.parametrize(
    ("user", "actor"),
    [
        ({"accountId": "abc", "emailAddress": "a@x.io", "name": "admin"}, "abc"),
        ({"emailAddress": "a@x.io", "name": "admin"}, "a@x.io"),
        ({"name": "admin", "key": "admin"}, "admin"),
        ({"displayName": "Nobody"}, None),
        (None, None),
    ],
)
def test_the_actor_is_the_account_id_else_email_else_name(
    user: dict[str, str] | None, actor: str | None
) -> None:
    payload = document(LABELS)
    payload["user"] = user
    event = parse(encode(payload))
    assert isinstance(event, IssueUpdated)
    assert event.actor == actor


def test_an_update_without_user_has_no_actor() -> None:
    payload = document(LABELS)
    del payload["user"]
    event = parse(encode(payload))
    assert isinstance(event, IssueUpdated)
    assert event.actor is None


def test_fix_versions_are_read_with_their_released_flag() -> None:
    payload = document(DONE)
    payload["issue"]["fields"]["fixVersions"] = [
        {"self": "x", "id": "10000", "name": "1.0", "archived": False, "released": True},
        {"id": 10001, "name": "1.1", "released": False},
    ]
    event = parse(encode(payload))
    assert isinstance(event, IssueUpdated)
    assert event.fix_versions == (
        FixVersion("10000", "1.0", True),
        FixVersion("10001", "1.1", False),
    )


def test_labels_fall_back_to_the_space_separated_changelog_when_the_issue_omits_them() -> None:
    payload = document(LABELS)
    del payload["issue"]["fields"]["labels"]
    event = parse(encode(payload))
    assert isinstance(event, IssueUpdated)
    assert event.labels == ("sad", "test-label")


def test_version_released_with_a_string_project_id() -> None:
    payload = document(RELEASED)
    payload["version"]["projectId"] = "10002"
    del payload["version"]["userReleaseDate"]
    assert parse(encode(payload)) == EXPECTED[RELEASED]


# -- ignored events ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event_name", ["comment_created", "jira:issue_created", "worklog_updated", "board_created"]
)
def test_other_events_are_acknowledged_ignored_and_logged(
    event_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=webhook.__name__)

    assert parse(encode({"webhookEvent": event_name, "timestamp": 1})) is None

    [record] = [r for r in caplog.records if r.getMessage() == "jira.webhook.ignored"]
    assert record.jira_event == event_name  # type: ignore[attr-defined]
    assert record.known is (event_name in webhook.IGNORED_EVENTS)  # type: ignore[attr-defined]


def test_handled_events_log_no_ignore_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=webhook.__name__)
    parse(raw(DONE))
    assert "jira.webhook.ignored" not in caplog.messages


# -- signatures ------------------------------------------------------------------------------


def test_sign_gives_the_hub_signature_and_a_fresh_identifier() -> None:
    body = raw(DONE)
    first, second = webhook.sign(body, SECRET), webhook.sign(body, SECRET)
    assert first["X-Hub-Signature"].startswith("sha256=")
    assert len(first["X-Hub-Signature"]) == len("sha256=") + 64
    assert first["X-Hub-Signature"] == second["X-Hub-Signature"]
    assert first["X-Atlassian-Webhook-Identifier"] != second["X-Atlassian-Webhook-Identifier"]


def test_the_right_secret_verifies_with_headers_in_any_case() -> None:
    body = raw(DONE)
    headers = {k.lower(): v for k, v in webhook.sign(body, SECRET).items()}
    webhook.verify(headers, body, SECRET)


def test_a_wrong_secret_fails() -> None:
    body = raw(DONE)
    with pytest.raises(SignatureError):
        webhook.verify(webhook.sign(body, "another-secret"), body, SECRET)


@pytest.mark.parametrize("secret", ["", None])
def test_no_configured_secret_fails_even_when_signed_with_it(secret: str | None) -> None:
    body = raw(DONE)
    with pytest.raises(SignatureError):
        webhook.verify(webhook.sign(body, ""), body, secret)  # type: ignore[arg-type]


def test_a_missing_signature_header_fails() -> None:
    body = raw(DONE)
    headers = webhook.sign(body, SECRET)
    del headers["X-Hub-Signature"]
    with pytest.raises(SignatureError):
        webhook.verify(headers, body, SECRET)


def test_a_sha1_signature_fails() -> None:
    body = raw(DONE)
    hex_digest = webhook.sign(body, SECRET)["X-Hub-Signature"].removeprefix("sha256=")
    for value in (f"sha1={hex_digest}", hex_digest, f"sha512={hex_digest}"):
        with pytest.raises(SignatureError):
            webhook.verify({"X-Hub-Signature": value}, body, SECRET)


def test_the_sandbox_signs_as_we_verify() -> None:
    body = raw(RELEASED)
    webhook.verify({"X-Hub-Signature": sandbox_sign(body, SECRET)}, body, SECRET)


@given(st.data())
def test_any_flipped_body_byte_fails(data: st.DataObject) -> None:
    body = raw(RELEASED)
    headers = webhook.sign(body, SECRET)
    index = data.draw(st.integers(0, len(body) - 1))
    flip = data.draw(st.integers(1, 255))
    tampered = body[:index] + bytes([body[index] ^ flip]) + body[index + 1 :]
    with pytest.raises(SignatureError):
        webhook.verify(headers, tampered, SECRET)


@given(st.data())
def test_any_changed_signature_character_fails(data: st.DataObject) -> None:
    body = raw(RELEASED)
    signature = webhook.sign(body, SECRET)["X-Hub-Signature"]
    index = data.draw(st.integers(0, len(signature) - 1))
    replacement = data.draw(st.sampled_from("0123456789abcdefABCDEF=x"))
    changed = signature[:index] + replacement + signature[index + 1 :]
    assume(changed != signature)
    with pytest.raises(SignatureError):
        webhook.verify({"X-Hub-Signature": changed}, body, SECRET)


# -- unsigned deliveries: the secret in the webhook URL (Data Center before 10) --------------


def test_an_unsigned_delivery_with_the_secret_in_the_url_verifies() -> None:
    webhook.verify({}, raw(DONE), SECRET, url_secret=SECRET)


@pytest.mark.parametrize("given", ["", "jira-test-secre", "jira-test-secret ", SECRET.upper()])
def test_an_unsigned_delivery_with_another_url_secret_fails(given: str) -> None:
    with pytest.raises(SignatureError):
        webhook.verify({}, raw(DONE), SECRET, url_secret=given)


def test_an_unsigned_delivery_without_a_url_secret_fails() -> None:
    with pytest.raises(SignatureError):
        webhook.verify({}, raw(DONE), SECRET)


def test_a_signed_delivery_must_match_its_signature_even_with_the_url_secret() -> None:
    body = raw(DONE)
    with pytest.raises(SignatureError):
        webhook.verify(webhook.sign(body, "another-secret"), body, SECRET, url_secret=SECRET)
    webhook.verify(webhook.sign(body, SECRET), body, SECRET, url_secret="anything")


@pytest.mark.parametrize("secret", ["", None])
def test_no_configured_secret_fails_whatever_the_url_says(secret: str | None) -> None:
    with pytest.raises(SignatureError):
        webhook.verify({}, raw(DONE), secret, url_secret="")  # type: ignore[arg-type]


# -- delivery ids ----------------------------------------------------------------------------


def test_delivery_id_is_jiras_identifier_which_survives_retries() -> None:
    body = raw(DONE)
    first = {"X-Atlassian-Webhook-Identifier": "0a1b2c3d", "X-Atlassian-Webhook-Retry": "0"}
    retry = {"x-atlassian-webhook-identifier": "0a1b2c3d", "X-Atlassian-Webhook-Retry": "1"}
    assert webhook.delivery_id(first, body) == webhook.delivery_id(retry, body) == "0a1b2c3d"


def test_different_identifiers_are_different_deliveries_even_with_equal_bodies() -> None:
    body = raw(DONE)
    assert webhook.delivery_id(webhook.sign(body, SECRET), body) != webhook.delivery_id(
        webhook.sign(body, SECRET), body
    )


@pytest.mark.parametrize("headers", [{}, {"X-Atlassian-Webhook-Identifier": "  "}])
def test_without_an_identifier_the_body_fingerprint_names_the_delivery(
    headers: dict[str, str],
) -> None:
    assert webhook.delivery_id(headers, raw(DONE)) == body_fingerprint(raw(DONE))
    assert webhook.delivery_id(headers, raw(DONE)) != webhook.delivery_id(headers, raw(REOPENED))


@given(st.binary())
def test_delivery_id_never_raises(body: bytes) -> None:
    assert webhook.delivery_id({}, body) == body_fingerprint(body)


# -- malformed bodies ------------------------------------------------------------------------


DELETE = object()


def with_change(name: str, path: tuple[str | int, ...], value: Any) -> bytes:
    """The fixture with the value at `path` replaced (or removed when value is DELETE)."""
    payload = document(name)
    parent: Any = payload
    for step in path[:-1]:
        parent = parent[step]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return encode(payload)


MALFORMED = {
    "not json": b"webhookEvent=jira:issue_updated",
    "not utf-8": b"\xff\xfe{}",
    "empty": b"",
    "array": b"[]",
    "string": b'"jira:issue_updated"',
    "no webhookEvent": encode({"timestamp": 1, "issue": {}}),
    "webhookEvent not a string": encode({"webhookEvent": 7}),
    "updated without issue": with_change(DONE, ("issue",), DELETE),
    "updated with null issue": with_change(DONE, ("issue",), None),
    "issue without key": with_change(DONE, ("issue", "key"), DELETE),
    "issue key blank": with_change(DONE, ("issue", "key"), " "),
    "issue id a list": with_change(DONE, ("issue", "id"), [1]),
    "issue without fields": with_change(DONE, ("issue", "fields"), DELETE),
    "status a string": with_change(DONE, ("issue", "fields", "status"), "Done"),
    "category a list": with_change(DONE, ("issue", "fields", "status", "statusCategory"), []),
    "resolution a string": with_change(DONE, ("issue", "fields", "resolution"), "Done"),
    "resolution without name": with_change(DONE, ("issue", "fields", "resolution", "name"), DELETE),
    "fixVersions an object": with_change(DONE, ("issue", "fields", "fixVersions"), {}),
    "fix version without id": with_change(
        DONE, ("issue", "fields", "fixVersions"), [{"name": "1.0", "released": True}]
    ),
    "fix version released a string": with_change(
        DONE, ("issue", "fields", "fixVersions"), [{"id": "1", "name": "1.0", "released": "yes"}]
    ),
    "labels a string": with_change(DONE, ("issue", "fields", "labels"), "a b"),
    "label a number": with_change(DONE, ("issue", "fields", "labels"), [3]),
    "no timestamp": with_change(DONE, ("timestamp",), DELETE),
    "timestamp a string": with_change(DONE, ("timestamp",), "1550286940507"),
    "timestamp true": with_change(DONE, ("timestamp",), True),
    "timestamp out of range": with_change(DONE, ("timestamp",), 10**30),
    "timestamp NaN": with_change(DONE, ("timestamp",), float("nan")),
    "timestamp Infinity": with_change(RELEASED, ("timestamp",), float("-inf")),
    "changelog a list": with_change(DONE, ("changelog",), []),
    "changelog items an object": with_change(DONE, ("changelog", "items"), {}),
    "changelog item without field": with_change(DONE, ("changelog", "items", 0, "field"), DELETE),
    "status toString a number": with_change(DONE, ("changelog", "items", 1, "toString"), 10002),
    "user a string": with_change(DONE, ("user",), "admin"),
    "deleted without issue": with_change("jira_issue_deleted__zulip.json", ("issue",), DELETE),
    "released without version": with_change(RELEASED, ("version",), DELETE),
    "version without id": with_change(RELEASED, ("version", "id"), DELETE),
    "version name a number": with_change(RELEASED, ("version", "name"), 1.0),
    "projectId an object": with_change(RELEASED, ("version", "projectId"), {"id": 1}),
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_bodies_raise_payload_error(body: bytes) -> None:
    with pytest.raises(PayloadError):
        parse(body)


def test_nesting_too_deep_for_the_json_parser_is_a_payload_error() -> None:
    with pytest.raises(PayloadError):
        parse(b"[" * 100_000 + b"]" * 100_000)


JSON_VALUES = json_values(max_leaves=20)
# Places in real bodies where a wrong shape or a missing key could surface as a crash.
PLACES = [
    (DONE, ("issue",)),
    (DONE, ("issue", "id")),
    (DONE, ("issue", "fields")),
    (DONE, ("issue", "fields", "status")),
    (DONE, ("issue", "fields", "status", "name")),
    (DONE, ("issue", "fields", "status", "statusCategory")),
    (DONE, ("issue", "fields", "resolution")),
    (DONE, ("issue", "fields", "fixVersions")),
    (DONE, ("issue", "fields", "labels")),
    (DONE, ("changelog",)),
    (DONE, ("changelog", "items")),
    (DONE, ("changelog", "items", 1)),
    (DONE, ("user",)),
    (DONE, ("timestamp",)),
    (LABELS, ("changelog", "items", 0, "toString")),
    ("jira_issue_deleted__mattermost.json", ("issue",)),
    (RELEASED, ("version",)),
    (RELEASED, ("version", "projectId")),
    (RELEASED, ("timestamp",)),
]


def parses_or_refuses(body: bytes) -> None:
    """The only two outcomes allowed for a signed body."""
    try:
        event = parse(body)
    except PayloadError:
        return
    assert event is None or isinstance(
        event, IssueUpdated | IssueDeleted | VersionReleased | VersionChanged
    )


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(JSON_VALUES)
def test_any_json_body_parses_or_raises_payload_error(value: Any) -> None:
    parses_or_refuses(json.dumps(value).encode())


@pytest.mark.parametrize(
    "event_name", ["jira:issue_updated", "jira:issue_deleted", "jira:version_released"]
)
def test_a_handled_event_name_with_nothing_else_is_a_payload_error(event_name: str) -> None:
    with pytest.raises(PayloadError):
        parse(encode({"webhookEvent": event_name}))


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(st.sampled_from(PLACES), JSON_VALUES)
def test_any_json_value_anywhere_in_a_real_body_parses_or_raises_payload_error(
    place: tuple[str, tuple[str | int, ...]], value: Any
) -> None:
    name, path = place
    parses_or_refuses(with_change(name, path, value))


@given(st.binary())
def test_any_bytes_parse_or_raise_payload_error(body: bytes) -> None:
    parses_or_refuses(body)


# -- the sandbox and the parser agree --------------------------------------------------------

SANDBOX_EMAIL, SANDBOX_TOKEN = "bot@example.com", "t0k"
CLOCK = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def sandbox() -> Iterator[JiraSandbox]:
    with JiraSandbox(SANDBOX_EMAIL, SANDBOX_TOKEN, "PROD", clock=lambda: CLOCK) as running:
        yield running


@pytest.fixture
def issue_key(sandbox: JiraSandbox) -> str:
    client = JIRA(
        server=sandbox.url, basic_auth=(SANDBOX_EMAIL, SANDBOX_TOKEN), max_retries=0, timeout=5
    )
    fields = {
        "project": {"key": "PROD"},
        "issuetype": {"name": "Bug"},
        "summary": "SSO login loop",
        "labels": ["voice-router", "vr-problem-7"],
    }
    return client.create_issue(fields=fields).key


def updated(body: bytes | None) -> IssueUpdated:
    assert body is not None
    event = parse(body)
    assert isinstance(event, IssueUpdated)
    assert CLOCK <= event.timestamp < CLOCK + timedelta(seconds=1)
    return event


def test_sandbox_transitions_read_as_moves_into_and_out_of_done(
    sandbox: JiraSandbox, issue_key: str
) -> None:
    person = sandbox.state.human.account_id

    started = updated(sandbox.transition(issue_key, "In Progress", send=False))
    done = updated(sandbox.transition(issue_key, "Done", resolution="Fixed", send=False))
    reopened = updated(sandbox.transition(issue_key, "To Do", send=False))

    assert (started.issue_key, started.actor) == (issue_key, person)
    assert started.issue_id == sandbox.issue(issue_key)["id"]
    assert (started.status_category, started.resolution) == ("indeterminate", None)
    assert (started.status_from, started.status_to) == ("To Do", "In Progress")
    assert started.changed_fields == {"status"}
    assert (done.status_name, done.status_category, done.resolution) == ("Done", "done", "Fixed")
    assert (done.status_from, done.status_to) == ("In Progress", "Done")
    assert done.changed_fields == {"status", "resolution"}
    assert (reopened.status_category, reopened.resolution) == ("new", None)
    assert reopened.changed_fields == {"status", "resolution"}
    assert reopened.labels == ("voice-router", "vr-problem-7")


def test_sandbox_fix_version_edit_and_release_read_as_their_events(
    sandbox: JiraSandbox, issue_key: str
) -> None:
    version = sandbox.create_version("2.0", send=False)

    edited = updated(sandbox.edit(issue_key, {"fixVersions": [{"name": "2.0"}]}, send=False))
    released = parse(sandbox.release_version("2.0", send=False))

    assert edited.changed_fields == {"fix version"}
    assert edited.fix_versions == (FixVersion(version["id"], "2.0", False),)
    assert isinstance(released, VersionReleased)
    assert (released.version_id, released.version_name) == (version["id"], "2.0")
    assert released.project_id == str(sandbox.state.project("PROD").id)
    assert CLOCK <= released.timestamp < CLOCK + timedelta(seconds=1)


def test_sandbox_version_rename_and_unrelease_read_as_version_changes(
    sandbox: JiraSandbox,
) -> None:
    version = sandbox.create_version("2.0-rc1", released=True, send=False)

    renamed = parse(sandbox.rename_version("2.0-rc1", "2.0", send=False))
    unreleased = parse(sandbox.unrelease_version("2.0", send=False))

    project = str(version["projectId"])  # each version event names its project by id
    assert renamed == VersionChanged(version["id"], "2.0", True, renamed.timestamp, project)  # type: ignore[union-attr]  # checked by the comparison
    assert unreleased == VersionChanged(version["id"], "2.0", False, unreleased.timestamp, project)  # type: ignore[union-attr]  # as above
    assert CLOCK <= renamed.timestamp < CLOCK + timedelta(seconds=1)  # type: ignore[union-attr]  # as above


@pytest.mark.parametrize("event", ["jira:version_updated", "jira:version_unreleased"])
@pytest.mark.parametrize(
    "version", [None, [], {"name": "2.0"}, {"id": True}, {"id": "1 OR 1=1"}, {"id": "x y"}]
)
def test_a_version_change_without_a_usable_id_is_ignored_not_refused(
    event: str, version: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=webhook.__name__)
    body: dict[str, Any] = {"webhookEvent": event, "timestamp": 1764000000000}
    if version is not None:
        body["version"] = version
    assert parse(encode(body)) is None
    assert [r.msg for r in caplog.records] == ["jira.webhook.ignored"]


def test_sandbox_label_edit_reads_as_a_labels_change(sandbox: JiraSandbox, issue_key: str) -> None:
    body = sandbox.edit(issue_key, update={"labels": [{"remove": "vr-problem-7"}]}, send=False)
    event = updated(body)
    assert event.changed_fields == {"labels"}
    assert event.labels == ("voice-router",)


def test_sandbox_webhook_payloads_read_as_their_events(
    sandbox: JiraSandbox, issue_key: str
) -> None:
    current = updated(sandbox.webhook_payload("jira:issue_updated", issue_key))
    created = parse(sandbox.webhook_payload("jira:issue_created", issue_key))
    deleted = parse(sandbox.delete_issue(issue_key, send=False))

    assert current.changed_fields == frozenset()
    assert (current.status_name, current.status_category) == ("To Do", "new")
    assert created is None
    assert isinstance(deleted, IssueDeleted)
    assert (deleted.issue_key, deleted.issue_id) == (issue_key, current.issue_id)


def test_sandbox_bodies_verify_with_our_signature(sandbox: JiraSandbox, issue_key: str) -> None:
    body = sandbox.transition(issue_key, "Done", send=False)
    webhook.verify({"X-Hub-Signature": sandbox_sign(body, SECRET)}, body, SECRET)
    assert webhook.sign(body, SECRET)["X-Hub-Signature"] == sandbox_sign(body, SECRET)
