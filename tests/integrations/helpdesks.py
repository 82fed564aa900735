"""What the helpdesk tests share: the helpdesks under test (a registered kind with its
fixtures and demo samples), arbitrary JSON for property tests, "replace any part of a
real body" for hostile ones, bodies and headers as intake hands them over, and a write-back
client talking to a loopback server, and what every write-back client's tests check of it."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request

from integrations import registry
from integrations.adapter import Adapter
from integrations.events import PainPointEvent
from integrations.writeback import WritebackError, WritebackPermanent, WritebackTransient

ROOT = Path(__file__).resolve().parents[2]
SECRET = "contract-test-secret-4f1e"

# Any JSON value; `keys` adds a helpdesk's own field names so that dictionaries sometimes
# look like its payloads.
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(["2026-03-02T09:15:40Z", "1772442000", "a@b.example", "pain-x", "{{x}}"])
)


def json_values(*keys: str, max_leaves: int = 12) -> st.SearchStrategy[Any]:
    names = st.sampled_from(keys) | st.text(max_size=12) if keys else st.text(max_size=12)
    return st.recursive(
        SCALARS,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=6),
        max_leaves=max_leaves,
    )


JSON = json_values()


def paths(node: object, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document, as the keys and indexes leading to it."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of `document` with the part at `path` (not the root) replaced by `value`."""
    changed = copy.deepcopy(document)
    parent = changed
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return changed


@dataclass(frozen=True)
class Delivery:
    name: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Desk:
    """A helpdesk as the contract test sees it: its adapter, the captured payloads in
    `fixtures` (`<event>[__variant].json`) and the demo samples in `samples`
    (`{"headers", "body"}`)."""

    kind: str
    fixtures: Path
    samples: Path

    @property
    def adapter(self) -> Adapter:
        return registry.helpdesk(self.kind)

    def fixture_deliveries(self) -> list[Delivery]:
        header = self.adapter.event_header
        found = []
        for path in sorted(self.fixtures.glob("*.json")):
            event = path.name.removesuffix(".json").split("__")[0]
            found.append(Delivery(path.name, {header: event} if header else {}, path.read_bytes()))
        return found

    def sample_deliveries(self) -> list[Delivery]:
        found = []
        for path in sorted(self.samples.glob("*.json")):
            sample = json.loads(path.read_text())
            body = json.dumps(sample["body"]).encode()
            found.append(Delivery(path.name, dict(sample.get("headers", {})), body))
        return found

    def deliveries(self) -> list[Delivery]:
        return [*self.fixture_deliveries(), *self.sample_deliveries()]


def registered_desk(kind: str) -> Desk:
    return Desk(
        kind,
        fixtures=ROOT / "tests" / "fixtures" / kind,
        samples=ROOT / "voice_router" / "samples" / kind,
    )


DESKS = [registered_desk(kind) for kind in registry.kinds()]


def encode(value: object) -> bytes:
    return json.dumps(value).encode()


def sample_event(helpdesk: Any, path: Path, secret: str) -> PainPointEvent:
    """A demo sample (`{"headers", "body"}`) signed with `secret` by the helpdesk module,
    verified, and parsed as intake hands it over: its one event."""
    sample = json.loads(path.read_bytes())
    body = encode(sample["body"])
    headers = {**sample["headers"], **helpdesk.sign(body, secret)}
    helpdesk.verify(headers, body, secret)
    (event,) = helpdesk.parse(stored_headers(headers), body)
    assert isinstance(event, PainPointEvent)
    return event


def stored_headers(headers: dict[str, str]) -> dict[str, str]:
    """What the core hands `parse` after intake: lower-case names, credentials dropped."""
    return {
        name.lower(): value
        for name, value in headers.items()
        if "signature" not in name.lower() and "authorization" not in name.lower()
    }


def client_fixture(kind: str, token: str, cls: type) -> Any:
    """The `client` fixture of a write-back test module: `kind`'s client (an instance of
    `cls`) on the test's `httpserver`, closed after. Its timeout is an overall deadline
    (integrations/http_exchange.py): half a second failed an exchange now and then in a
    loaded full run."""

    @pytest.fixture(name="client")
    def served_client(httpserver: HTTPServer) -> Iterator[Any]:
        made = registry.make_client(kind, httpserver.url_for("/"), token, timeout=5)
        assert isinstance(made, cls)
        yield made
        made.close()

    return served_client


def refusal(
    client: Any, ticket_id: str, raised: type[WritebackError] = WritebackPermanent
) -> WritebackError:
    """What posting the note "shipped" to `ticket_id` raised; it must raise `raised`."""
    with pytest.raises(raised) as caught:
        client.post_internal_note(ticket_id, "shipped")
    return caught.value


def assert_said_permanently(
    error: WritebackError, kind: str, status: int, reason: str, said: str, secret: str
) -> None:
    """A permanent refusal that names the helpdesk, its status and what it said, and never
    the credential."""
    assert (error.transient, error.status, error.reason) == (False, status, reason)
    assert said in error.message and f"{kind} answered {status}: " in error.message
    assert secret not in error.message


def assert_rate_limited(client: Any, ticket_id: str, retry_after: float | None, said: str) -> None:
    """A 429 is transient, waits what the helpdesk asked, and says what it said."""
    error = refusal(client, ticket_id, WritebackTransient)
    assert (error.transient, error.reason, error.status) == (True, "rate_limited", 429)
    assert error.retry_after == retry_after
    assert said in error.message


def assert_refused_unsent(client: Any, httpserver: HTTPServer, ticket_id: str) -> None:
    """A ticket id that is not one of the helpdesk's is refused before any request."""
    assert refusal(client, ticket_id).reason == "bad_ticket_id"
    assert httpserver.log == []


def only_request(httpserver: HTTPServer) -> Request:
    """The one request the server saw, after every expected one came."""
    httpserver.check_assertions()
    (request, _), *others = httpserver.log
    assert others == []
    return request


def assert_documented_fields(sent: dict[str, Any], documented: dict[str, Any]) -> None:
    """The body has every required field of the documented request, each of its type, and no
    field the documentation does not list."""
    for field, kind in documented["required fields"].items():
        assert isinstance(sent[field], kind)
    allowed = documented["required fields"] | documented["optional fields"]
    assert set(sent) <= set(allowed)
