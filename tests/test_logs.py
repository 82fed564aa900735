"""Logs are JSON events with ids as fields and a request id, and no configured secret, token,
signature or payload body ever reaches them, whatever the code logs."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from integrations import registry
from jira_sandbox import JiraSandbox
from tests.conftest import source_table
from tests.support import SECRETS, fresh_sandbox, generic_delivery, inline_runtime
from voice_router.intake import inbox
from voice_router.platform import logs, masking
from voice_router.platform.settings import parse_settings
from voice_router.platform.tokens import create_token
from voice_router.web import create_app

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

FIXTURES = Path(__file__).parent / "fixtures"
JIRA_EMAIL, JIRA_TOKEN = "bot@example.com", "jira-api-token-5f2c9e"
JIRA_WEBHOOK_SECRET = "jira-webhook-secret-a81d"
SLACK_URL = "https://hooks.slack.com/services/T0001/B0002/slackpathsecret9"
SMTP_PASSWORD = "smtp-pass-77e1"
WRITEBACK_TOKEN = "zd-writeback-token-3c4d"
DB_PASSWORD = "db-pass-0b9f"
SAMPLES = {
    "helpscout": "convo.created__legacy_doc_example.json",
    "zendesk": "trigger__ticket_create_update_zulip.json",
    "intercom": "conversation_part.tag.created__zulip.json",
    "freshdesk": "automation__ticket_created_zulip.json",
    "front": "tag__rule_webhook_zulip.json",
}


@pytest.fixture
def sandbox() -> Iterator[JiraSandbox]:
    with fresh_sandbox(JIRA_EMAIL, JIRA_TOKEN, "PROD") as running:
        yield running


class Sent:
    """Everything secret that went over the wire, to look for afterwards."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self.bodies: list[bytes] = []

    def post(self, client, kind: str, raw: bytes, secret: str, **headers: str):  # type: ignore[no-untyped-def]
        signed = registry.adapter(kind).sign(raw, secret)
        self.values += [v for k, v in signed.items() if "timestamp" not in k.lower()]
        self.bodies.append(raw)
        all_headers = {"Content-Type": "application/json", **signed, **headers}
        return client.post(f"/webhooks/{kind}", data=raw, headers=all_headers)


def lines_of(text: str) -> list[dict[str, Any]]:
    parsed = []
    for line in text.splitlines():
        if line.strip():
            parsed.append(json.loads(line))  # every line is one JSON object
    return parsed


def test_a_whole_run_logs_json_events_and_never_a_secret_or_body(
    database_url, sandbox, capsys, monkeypatch
):
    zendesk = {
        "api_token": WRITEBACK_TOKEN,
        "writeback": True,
        "api_base": "https://acme.zendesk.com",
    }
    sources = source_table(zendesk=zendesk)
    settings = parse_settings(
        {
            "database_url": database_url,
            "sources": sources,
            "jira": {
                "url": sandbox.url,
                "email": JIRA_EMAIL,
                "api_token": JIRA_TOKEN,
                "project": "PROD",
                "webhook_secret": JIRA_WEBHOOK_SECRET,
                "update_interval_seconds": 0,  # every change syncs, so the refusal is seen
            },
            "notify": {
                "slack_webhook_url": SLACK_URL,
                "smtp_url": f"smtp://mailer:{SMTP_PASSWORD}@127.0.0.1:2525",
            },
        },
        {},
        "test",
    )
    runtime = inline_runtime(settings)
    client = create_app(runtime=runtime).test_client()
    sent = Sent()
    capsys.readouterr()

    # Signed deliveries from every kind, a bad signature, and one with the caller's request id.
    for number in range(3):
        body = generic_delivery(f"T{number}", f"p{number}@acme.com", ["pain-sso-login"])
        raw = json.dumps(body).encode()
        response = sent.post(client, "generic", raw, SECRETS["generic"], **{"X-Request-ID": "rq-1"})
        assert response.status_code == 202
        assert response.headers["X-Request-ID"] == "rq-1"
    for kind, name in SAMPLES.items():
        raw = (FIXTURES / kind / name).read_bytes()
        assert sent.post(client, kind, raw, SECRETS[kind]).status_code in (202, 400)
    raw = json.dumps(generic_delivery("T9", "x@acme.com", ["pain-other"])).encode()
    assert sent.post(client, "generic", raw, "a-wrong-secret").status_code == 401

    # A Jira refusal on the next sync, logged as jira.sync.error.
    sandbox.fail_next("GET", r"/rest/api/2/issue/[^/]+", 401)
    raw = json.dumps(generic_delivery("T3", "q@globex.io", ["pain-sso-login"])).encode()
    assert sent.post(client, "generic", raw, SECRETS["generic"]).status_code == 202

    # The API with a bearer token, and with a wrong one.
    api_token = create_token(runtime.engine, "agent", "Ann")
    bearer = {"Authorization": f"Bearer {api_token}"}
    assert client.get("/api/v1/problems", headers=bearer).status_code == 200
    wrong = "vr_" + "W" * 43
    bearer = {"Authorization": f"Bearer {wrong}"}
    assert client.get("/api/v1/problems", headers=bearer).status_code == 401

    # A crash whose message carries secrets: the traceback is logged, the secrets are not.
    def crash(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError(f"cannot reach {SLACK_URL} with {JIRA_TOKEN} and {SECRETS['generic']}")

    monkeypatch.setattr(inbox, "receive", crash)
    raw = json.dumps(generic_delivery("T4", "z@acme.com", ["pain-sso-login"])).encode()
    assert sent.post(client, "generic", raw, SECRETS["generic"]).status_code == 500
    runtime.engine.dispose()

    text = capsys.readouterr().err
    lines = lines_of(text)
    events = [line["event"] for line in lines]
    for line in lines:
        assert {"timestamp", "level", "event", "logger", "pid"} <= set(line)
        assert line["timestamp"].endswith("Z")
    requests = [line for line in lines if line["event"] == "http.request"]
    # Accepted webhooks are counted, not logged line by line; refusals and the API are.
    assert len(requests) >= 4
    assert all(line.get("request_id") for line in requests)
    assert len({line["request_id"] for line in requests}) == len(requests)  # one id each
    assert any(r["path"] == "/webhooks/generic" and r["status"] == 401 for r in requests)
    assert not any(r["path"].startswith("/webhooks/") and r["status"] == 202 for r in requests)
    # What happens while a webhook is handled carries the sender's X-Request-ID.
    assert any(
        line.get("request_id") == "rq-1" for line in lines if line["event"] != "http.request"
    )
    assert "jira.sync.created" in events and "jira.sync.error" in events
    created = next(line for line in lines if line["event"] == "jira.sync.created")
    assert created["request_id"] and created["problem_id"] and created["issue"]
    [crashed] = [line for line in lines if line["event"] == "http.unhandled_error"]
    assert "RuntimeError" in crashed["exc_info"] and masking.MASK in crashed["exc_info"]

    secrets = [
        *SECRETS.values(),
        JIRA_TOKEN,
        JIRA_WEBHOOK_SECRET,
        SLACK_URL,
        "slackpathsecret9",
        SMTP_PASSWORD,
        WRITEBACK_TOKEN,
        api_token,
        wrong,
        *sent.values,
    ]
    for secret in secrets:
        assert secret not in text, f"a secret reached the logs: {secret[:6]}..."
    for raw in sent.bodies:
        body = raw.decode()
        assert body not in text and json.dumps(body)[1:-1] not in text


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("tests.logs.captured")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def only_line(stream: io.StringIO) -> dict[str, Any]:
    [line] = lines_of(stream.getvalue())
    return line


def test_existing_call_sites_become_events_with_their_fields(captured):
    logger, stream = captured
    logger.info("jira.sync.%s", "created", extra={"problem_id": 7, "issue": "PROD-1"})
    line = only_line(stream)
    assert line["event"] == "jira.sync.created"
    assert (line["level"], line["problem_id"], line["issue"]) == ("info", 7, "PROD-1")
    assert line["logger"] == "tests.logs.captured"
    assert "request_id" not in line  # outside a request


def test_an_extra_cannot_overwrite_the_event_name(captured):
    logger, stream = captured
    logger.warning("delivery.failed", extra={"event": "something else", "level": "debug"})
    line = only_line(stream)
    assert (line["event"], line["level"]) == ("delivery.failed", "warning")


def test_credentials_and_payloads_are_masked_by_key_by_value_and_by_shape(captured):
    logger, stream = captured
    masking.register_secrets(["configured-secret-42"])
    logger.info(
        "scrub.check",
        extra={
            "authorization": "Basic dXNlcjpwYXNz",
            "x_hub_signature": "sha256=" + "ab" * 32,
            "api_token": "anything",
            "body": b'{"customer": "everything"}',
            "payload": {"customer": {"email": "a@b.c"}},
            "headers": {"X-Zendesk-Webhook-Signature": "c2lnbmF0dXJl", "Accept": "json"},
            "note": "retrying with configured-secret-42 now",
            "url": "postgresql://vr:hunter2-pw@db:5432/vr",
            "said": "Authorization: Bearer abcdef123456 and sha1=" + "0f" * 20,
            "raw_bytes": b"\x00\x01secret-bytes",
            "delivery_id": 12,
        },
    )
    line = only_line(stream)
    text = stream.getvalue()
    assert line["authorization"] == line["x_hub_signature"] == line["api_token"] == masking.MASK
    assert line["body"] == line["payload"] == masking.DROPPED
    assert line["headers"] == {"X-Zendesk-Webhook-Signature": masking.MASK, "Accept": "json"}
    assert line["note"] == f"retrying with {masking.MASK} now"
    assert line["url"] == f"postgresql://vr:{masking.MASK}@db:5432/vr"
    assert line["raw_bytes"] == "[14 bytes]"
    assert line["delivery_id"] == 12
    for leaked in ("configured-secret-42", "hunter2-pw", "abcdef123456", "0f0f0f", "everything"):
        assert leaked not in text


def test_secrets_of_settings_include_every_credential_and_url_password():
    settings = parse_settings(
        {
            "database_url": f"postgresql+psycopg://vr:{DB_PASSWORD}@db/vr",
            "sources": {
                "hs": {"kind": "helpscout", "secret": "s1", "api_token": "t1"},
                "hs-app": {"kind": "helpscout", "secret": "s3", "app_id": "a", "app_secret": "s4"},
            },
            "jira": {"api_token": "t2", "webhook_secret": "s2"},
            "notify": {"slack_webhook_url": SLACK_URL, "smtp_url": "smtp://u:p3@h:25"},
        },
        {},
        "test",
    )
    expected = {"s1", "t1", "t2", "s2", "s3", "s4", SLACK_URL, "p3", DB_PASSWORD}
    assert expected <= masking.secrets_of(settings)


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        ("abc-123", True),
        ("x" * 129, False),
        ("has space", False),
        ("semi;colon", False),
        ("", False),
    ],
)
def test_request_id_is_the_callers_when_sane_else_a_new_one(client, incoming, kept):
    response = client.get("/healthz", headers={"X-Request-ID": incoming} if incoming else {})
    returned = response.headers["X-Request-ID"]
    if kept:
        assert returned == incoming
    else:
        assert returned != incoming and len(returned) == 32


def test_new_request_ids_are_random_uuids_and_a_forked_child_draws_its_own():
    ids = [logs.new_request_id() for _ in range(1000)]  # several draws of 256
    assert len(set(ids)) == len(ids)
    for given in ids:
        parsed = uuid.UUID(given)
        assert parsed.hex == given and parsed.version == 4 and parsed.variant == uuid.RFC_4122
    logs.new_request_id()  # the parent holds spare ids now
    spare = set(logs._spare_ids)
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child's exit code and pipe report back)
        os.write(write_end, ",".join(logs.new_request_id() for _ in range(300)).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        drawn = pipe.read().decode().split(",")
    os.waitpid(child, 0)
    assert len(drawn) == 300 and not spare & set(drawn) and not set(ids) & set(drawn)


def test_an_email_never_reaches_a_log_line_whatever_carries_it(captured):
    """Customers' e-mails are personal data that `forget` cannot erase from logs: they are
    masked by shape in fields, the message and tracebacks, in any letter case."""
    logger, stream = captured
    try:
        raise ValueError("no customer Maria.Lopez@Acme-Corp.com in batch")
    except ValueError:
        logger.exception(
            "scrub.emails",
            extra={
                "customer": "maria.lopez@acme-corp.com",
                "nested": {"to": ["a.b+tag@sub.example.co.uk"]},
                "said": "mail x_y%z@example.org now",
                "url": "postgresql://vr:hunter2-pw@db:5432/vr",
            },
        )
    line = only_line(stream)
    text = stream.getvalue().lower()
    for email in ("maria.lopez@acme-corp.com", "a.b+tag@sub.example.co.uk", "x_y%z@example.org"):
        assert email not in text
    assert line["customer"] == masking.EMAIL_MASK
    assert line["nested"] == {"to": [masking.EMAIL_MASK]}
    assert line["said"] == f"mail {masking.EMAIL_MASK} now"
    assert f"no customer {masking.EMAIL_MASK} in batch" in line["exc_info"]
    assert line["url"] == f"postgresql://vr:{masking.MASK}@db:5432/vr"  # a URL is no e-mail


def test_an_ignored_intercom_item_is_logged_without_its_contents(caplog):
    """Adapters log event names and ids, never values from the payload."""
    from integrations import intercom

    caplog.set_level(logging.INFO, logger="integrations.intercom")
    document = {
        "type": "notification_event",
        "topic": "contact.user.created",
        "data": {"item": {"type": "Maria Lopez <maria.lopez@acme-corp.com>", "id": "c1"}},
    }
    body = json.dumps(document).encode()
    assert intercom.parse(intercom.sign(body, SECRETS["intercom"]), body) == []
    [record] = [r for r in caplog.records if r.getMessage() == "intercom.item.ignored"]
    assert "maria" not in json.dumps(record.__dict__, default=str).lower()


# -- log_format: JSON for machines, readable lines for a person at a terminal ---------------


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as a console's stderr does."""

    def isatty(self) -> bool:
        return True


TEXT_LINE = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) +\S"
)


@pytest.fixture
def log_format(monkeypatch) -> Iterator[None]:
    """Whatever a test configures, later tests start from the format they found."""
    monkeypatch.setattr(logs, "_format", logs._format)
    yield


def log_through_stderr(monkeypatch, stream: io.StringIO, log_format: str) -> str:
    monkeypatch.setattr(sys, "stderr", stream)
    logs.configure(parse_settings({"log_format": log_format}, {}, "test"))
    logging.getLogger("tests.logs.format").warning(
        "jira.sync.error", extra={"problem_id": 3, "issue": "PROD-9"}
    )
    return stream.getvalue()


@pytest.mark.parametrize(
    ("setting", "terminal", "expected"),
    [
        ("auto", True, "text"),
        ("auto", False, "json"),
        ("text", False, "text"),
        ("json", True, "json"),
    ],
)
def test_log_format_auto_is_text_on_a_terminal_and_json_otherwise(
    monkeypatch, log_format, setting, terminal, expected
):
    stream = Terminal() if terminal else io.StringIO()
    [line] = log_through_stderr(monkeypatch, stream, setting).splitlines()
    if expected == "json":
        assert json.loads(line)["problem_id"] == 3
    else:
        assert TEXT_LINE.match(line), line
        assert line.split(" ", 1)[1].split() == [
            "WARNING",
            "jira.sync.error",
            "problem_id=3",
            "issue=PROD-9",
        ]


def test_text_lines_are_masked_exactly_as_json_lines(log_format):
    """One scrubber for both formats: secrets, credentials, payloads and e-mails."""
    masking.register_secrets(["configured-secret-42"])
    streams = {"json": io.StringIO(), "text": io.StringIO()}
    logger = logging.getLogger("tests.logs.both")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    handlers = []
    for name, formatter in (("json", logs.JsonFormatter()), ("text", logs.TextFormatter())):
        handler = logging.StreamHandler(streams[name])
        handler.setFormatter(formatter)
        logger.addHandler(handler)
        handlers.append(handler)
    try:
        try:
            raise ValueError("no customer maria.lopez@acme-corp.com with configured-secret-42")
        except ValueError:
            logger.exception(
                "scrub.both",
                extra={
                    "customer": "Maria.Lopez@Acme-Corp.com",
                    "api_token": "anything",
                    "body": b'{"customer": "everything"}',
                    "note": "retrying with configured-secret-42 now",
                    "said": "Authorization: Bearer abcdef123456",
                    "url": "postgresql://vr:hunter2-pw@db:5432/vr",
                    "nested": {"to": ["a.b+tag@sub.example.co.uk"]},
                    "delivery_id": 12,
                },
            )
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
    as_json = json.loads(streams["json"].getvalue())
    text = streams["text"].getvalue()
    first, *trace = text.splitlines()
    assert TEXT_LINE.match(first) and " ERROR   scrub.both " in first
    assert as_json["customer"] == masking.EMAIL_MASK and f"customer={masking.EMAIL_MASK}" in first
    assert f"api_token={masking.MASK}" in first and f"body={masking.DROPPED}" in first
    assert f'note="retrying with {masking.MASK} now"' in first
    assert f'said="Authorization: Bearer {masking.MASK}"' in first
    assert f"url=postgresql://vr:{masking.MASK}@db:5432/vr" in first
    assert f'nested={{"to":["{masking.EMAIL_MASK}"]}}' in first
    assert "delivery_id=12" in first
    assert trace[0] == "    Traceback (most recent call last):"
    assert trace[-1] == f"    ValueError: no customer {masking.EMAIL_MASK} with {masking.MASK}"
    for leaked in ("configured-secret-42", "hunter2-pw", "abcdef123456", "everything", "@acme"):
        assert leaked not in text.lower()
        assert leaked not in streams["json"].getvalue().lower()


def test_text_lines_spell_out_control_characters_a_terminal_would_obey(log_format):
    """A customer's name or subject can hold escape sequences; on a terminal they are shown,
    never acted on, and one event stays one line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.TextFormatter())
    logger = logging.getLogger("tests.logs.controls")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        odd = {"customer_name": "Eve\x1b[2J\rX", "subject": 'say "hi"', "csi": "\x9b1m"}
        logger.warning("odd\nevent", extra=odd)
    finally:
        logger.removeHandler(handler)
    [line] = stream.getvalue().splitlines()
    assert not any(ch in line for ch in "\x1b\r\x9b")
    assert '"odd\\nevent"' in line
    assert 'customer_name="Eve\\x1b[2J\\rX"' in line and 'subject="say \\"hi\\""' in line
    assert 'csi="\\x9b1m"' in line


@pytest.mark.parametrize("kind", ["gunicorn", "serve"])
def test_server_logs_follow_log_format_from_its_first_line(tmp_path, monkeypatch, kind):
    """deploy/gunicorn.conf.py, and voice_router/server.py for granian, name
    voice_router.platform.logs' handler and JsonFormatter; with log_format = text every line
    is text, the server's own start-up lines too (its main process never builds the app, so
    the handler reads the settings itself)."""
    from tests.test_metrics import Server

    monkeypatch.setenv("VOICE_ROUTER_LOG_FORMAT", "text")
    server = Server(tmp_path, kind)
    try:
        assert server.get("/api/v1/problems").status_code == 401
    finally:
        server.stop()
    lines = [line for line in server.log.read_text().splitlines() if line.strip()]
    starts = [line for line in lines if TEXT_LINE.match(line)]
    name = "gunicorn" if kind == "gunicorn" else "granian"
    assert any(f"INFO    Starting {name}" in line for line in starts), lines
    assert any(
        "http.request method=GET path=/api/v1/problems " in line and " status=401 " in line
        for line in starts
    ), lines
    assert not [line for line in lines if line.startswith("{")]


def test_to_file_takes_the_log_lines_off_stderr_and_gives_them_back(tmp_path, capsys, log_format):
    """The demo's terminal shows its story; its lines go to the file, and afterwards the
    process logs where it did before."""
    logs.configure(parse_settings({}, {}, "test"))
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    target = tmp_path / "demo.log"
    with logs.to_file(target):
        logs.configure(parse_settings({"log_level": "debug"}, {}, "test"))  # the app's own
        logging.getLogger("tests.logs.file").info("demo.step", extra={"problem_id": 1})
    assert "demo.step" not in capsys.readouterr().err
    [line] = [json.loads(text) for text in target.read_text().splitlines()]
    assert (line["event"], line["problem_id"]) == ("demo.step", 1)
    assert (list(root.handlers), root.level) == before
    logging.getLogger("tests.logs.file").warning("after.demo")
    assert "after.demo" in capsys.readouterr().err


def test_gunicorn_with_the_deploy_config_writes_no_access_log_line(tmp_path):
    """The access log stays off under deploy/gunicorn.conf.py (the app logs one
    `http.request` event instead): gunicorn's `gunicorn.access` logger gets no record for an
    answered request, even with a handler on it."""
    script = """
import datetime, logging, sys, types
from gunicorn.app.wsgiapp import WSGIApplication
sys.argv = ["gunicorn", "-c", "deploy/gunicorn.conf.py", "voice_router.web:create_app()"]
cfg = WSGIApplication().cfg
log = cfg.logger_class(cfg)
records = []
handler = logging.Handler()
handler.emit = records.append
logging.getLogger("gunicorn.access").addHandler(handler)
environ = {"REQUEST_METHOD": "POST", "RAW_URI": "/webhooks/generic",
           "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": "/webhooks/generic"}
req = types.SimpleNamespace(headers=[("HOST", "127.0.0.1")])
resp = types.SimpleNamespace(status="202 Accepted", headers=[], sent=2)
log.access(resp, req, environ, datetime.timedelta(milliseconds=1))
print(len(records))
"""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0"]
