"""Help Scout write-back with an OAuth2 app's client credentials, against a loopback Help Scout
whose access tokens expire: tokens fetched, shared, renewed ahead of expiry and once after a
401, and neither the app secret nor any token in a log line."""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import time
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from integrations.helpscout.oauth import TokenSource, token_source
from integrations.helpscout.writeback import Client
from integrations.registry import make_client
from integrations.writeback import (
    NoteResult,
    WritebackPermanent,
    WritebackTransient,
)

APP_ID = "hs-app-7a1c0e"
APP_SECRET = "hs-app-secret-0d2b9f4e8c"
NOTES = re.compile(r"/v2/conversations/[0-9]+/notes")
TOKEN_PATH = "/v2/oauth2/token"


class LoopbackHelpScout:
    """The token endpoint and Create Note; a token stops working `lifetime` s after issue."""

    def __init__(self, server: HTTPServer, lifetime: float) -> None:
        self.lifetime = lifetime
        self.valid: dict[str, float] = {}
        self.issued: list[str] = []
        self.token_forms: list[dict[str, str]] = []
        self.notes: list[str] = []
        self.refused = 0
        self.refuse_every_token = False
        self._lock = threading.Lock()
        server.expect_request(TOKEN_PATH, method="POST").respond_with_handler(self.token)
        server.expect_request(NOTES, method="POST").respond_with_handler(self.note)

    def token(self, request: Request) -> Response:
        form = request.form.to_dict()
        self.token_forms.append(form)
        if (form.get("client_id"), form.get("client_secret")) != (APP_ID, APP_SECRET):
            return _json({"error": "invalid_client", "error_description": "Bad credentials"}, 401)
        if form.get("grant_type") != "client_credentials":
            return _json({"error": "unsupported_grant_type"}, 400)
        token = secrets.token_hex(16)
        with self._lock:
            self.valid[token] = time.monotonic() + self.lifetime
            self.issued.append(token)
        return _json(
            {"token_type": "bearer", "access_token": token, "expires_in": self.lifetime}, 200
        )

    def note(self, request: Request) -> Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with self._lock:
            alive = self.valid.get(token, 0.0) > time.monotonic()
            if self.refuse_every_token or not alive:
                self.refused += 1
                return _json({"message": "Unauthorized"}, 401)
            self.notes.append(request.path)
            number = len(self.notes)
        return Response("", status=201, headers={"Resource-ID": str(number)})

    def revoke_all(self) -> None:
        with self._lock:
            self.valid.clear()


def _json(body: dict[str, Any], status: int) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


@pytest.fixture
def helpscout(httpserver: HTTPServer, request: pytest.FixtureRequest) -> LoopbackHelpScout:
    return LoopbackHelpScout(httpserver, getattr(request, "param", 3600))


def app_client(httpserver: HTTPServer, secret: str = APP_SECRET) -> Client:
    made = make_client(
        "helpscout", httpserver.url_for("/"), "", timeout=2, app_id=APP_ID, app_secret=secret
    )
    assert isinstance(made, Client)
    return made


def leaked(records: list[logging.LogRecord], values: list[str]) -> list[str]:
    """Records whose message, arguments or extra fields hold one of `values`."""
    found = []
    for record in records:
        text = record.getMessage() + repr(record.__dict__)
        found += [f"{record.name}: {v[:6]}…" for v in values if v in text]
    return found


@pytest.mark.parametrize("helpscout", [1], indirect=True)
def test_notes_keep_arriving_across_token_expiries_and_nothing_secret_is_logged(
    helpscout: LoopbackHelpScout, httpserver: HTTPServer, every_log_record: list
) -> None:
    """A new client per note, as outbound makes them, over about four token lifetimes."""
    sent, started = 0, time.monotonic()
    while time.monotonic() - started < 4.2:
        with app_client(httpserver) as client:
            result = client.post_internal_note(str(1000 + sent), f"note {sent}")
        sent += 1
        assert result.note_id == str(sent)
        time.sleep(0.1)

    assert len(helpscout.notes) == sent >= 20
    assert helpscout.refused == 0  # renewed ahead of expiry, never after
    assert 4 <= len(helpscout.issued) <= 7
    assert every_log_record, "the loopback server and urllib3 log every request"
    assert leaked(every_log_record, [APP_SECRET, *helpscout.issued]) == []


def test_a_token_refused_before_its_expiry_is_replaced_once(
    helpscout: LoopbackHelpScout, httpserver: HTTPServer, every_log_record: list
) -> None:
    with app_client(httpserver) as client:
        assert client.post_internal_note("1001", "first") == NoteResult("1")
        helpscout.revoke_all()  # e.g. the app's tokens were revoked in Help Scout
        assert client.post_internal_note("1002", "second") == NoteResult("2")

    assert helpscout.refused == 1
    assert len(helpscout.issued) == 2
    assert leaked(every_log_record, [APP_SECRET, *helpscout.issued]) == []


def test_a_second_401_is_permanent_without_a_third_try(
    helpscout: LoopbackHelpScout, httpserver: HTTPServer
) -> None:
    helpscout.refuse_every_token = True  # e.g. the app's user was deactivated

    with app_client(httpserver) as client, pytest.raises(WritebackPermanent) as caught:
        client.post_internal_note("1001", "shipped")

    assert (caught.value.reason, caught.value.status) == ("unauthorized", 401)
    assert helpscout.refused == 2 and len(helpscout.issued) == 2
    assert not any(token in caught.value.message for token in helpscout.issued)


def test_clients_of_one_app_share_its_token(
    helpscout: LoopbackHelpScout, httpserver: HTTPServer
) -> None:
    for ticket in ("1001", "1002", "1003"):
        with app_client(httpserver) as client:
            client.post_internal_note(ticket, "shipped")

    assert len(helpscout.notes) == 3 and len(helpscout.issued) == 1


def test_wrong_app_credentials_are_permanent_and_the_secret_stays_out_of_the_error(
    helpscout: LoopbackHelpScout, httpserver: HTTPServer, every_log_record: list
) -> None:
    wrong = "not-the-app-secret-31e7"

    with (
        app_client(httpserver, secret=wrong) as client,
        pytest.raises(WritebackPermanent) as caught,
    ):
        client.post_internal_note("1001", "shipped")

    assert (caught.value.reason, caught.value.status) == ("unauthorized", 401)
    assert "Bad credentials" in caught.value.message
    assert wrong not in caught.value.message and APP_SECRET not in caught.value.message
    assert helpscout.notes == [] and helpscout.refused == 0
    assert leaked(every_log_record, [wrong]) == []


@pytest.mark.parametrize(
    ("status", "headers", "reason", "retry_after"),
    [(503, {}, "unavailable", None), (429, {"Retry-After": "12"}, "rate_limited", 12.0)],
)
def test_an_unavailable_token_endpoint_is_transient(
    httpserver: HTTPServer, status: int, headers: dict, reason: str, retry_after: float | None
) -> None:
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_json(
        {"message": "busy"}, status=status, headers=headers
    )

    with app_client(httpserver) as client, pytest.raises(WritebackTransient) as caught:
        client.post_internal_note("1001", "shipped")

    assert (caught.value.reason, caught.value.retry_after) == (reason, retry_after)
    assert [r.path for r, _ in httpserver.log] == [TOKEN_PATH]


def test_a_token_is_renewed_ahead_of_expiry_by_at_most_five_minutes(
    helpscout: LoopbackHelpScout, httpserver: HTTPServer
) -> None:
    """Help Scout's tokens last 172800 s; this one is renewed 300 s before it runs out."""
    helpscout.lifetime = 172800
    now = [0.0]
    source = TokenSource(httpserver.url_for(TOKEN_PATH), APP_ID, APP_SECRET, clock=lambda: now[0])

    first = source.token()
    now[0] = 172800 - 301
    assert source.token() == first
    now[0] = 172800 - 300
    assert source.token() != first
    assert len(helpscout.issued) == 2


# The token request as documented at
# https://developer.helpscout.com/mailbox-api/overview/authentication/ (Client Credentials
# flow; JSON, form or query parameters are all accepted: voice-router sends a form).
DOCUMENTED_TOKEN_REQUEST = {
    "method": "POST",
    "path": "/v2/oauth2/token",
    "content type": "application/x-www-form-urlencoded",
    "fields": {
        "grant_type": "client_credentials",
        "client_id": APP_ID,
        "client_secret": APP_SECRET,
    },
}


def test_the_token_request_is_the_documented_client_credentials_grant(
    helpscout: LoopbackHelpScout, httpserver: HTTPServer
) -> None:
    with app_client(httpserver) as client:
        client.post_internal_note("1001", "shipped")

    token_request = next(r for r, _ in httpserver.log if r.path == TOKEN_PATH)
    assert token_request.method == DOCUMENTED_TOKEN_REQUEST["method"]
    assert token_request.mimetype == DOCUMENTED_TOKEN_REQUEST["content type"]
    assert helpscout.token_forms == [DOCUMENTED_TOKEN_REQUEST["fields"]]
    assert "Authorization" not in token_request.headers


def test_one_token_source_per_app_and_host() -> None:
    one = token_source("https://api.helpscout.net", APP_ID, APP_SECRET, 10)
    assert token_source("https://api.helpscout.net/", APP_ID, APP_SECRET, 10) is one
    assert token_source("https://api.helpscout.net", APP_ID, "rotated-secret", 10) is not one
    assert token_source("http://127.0.0.1:9", APP_ID, APP_SECRET, 10) is not one


def test_make_client_wants_both_app_credentials_and_only_for_help_scout() -> None:
    with pytest.raises(ValueError, match="go together"):
        make_client("helpscout", "", "", app_id=APP_ID)
    with pytest.raises(ValueError, match="Help Scout"):
        make_client("zendesk", "https://acme.zendesk.com", "", app_id=APP_ID, app_secret="x")
    with make_client("helpscout", "", "", app_id=APP_ID, app_secret=APP_SECRET) as client:
        assert isinstance(client, Client) and client.tokens is not None
        assert "Authorization" not in client.session.headers
