"""What a helpdesk adapter is: the typed `Adapter` Protocol the core calls, and `Helpdesk`,
the object every `integrations/<kind>/__init__.py` builds from its functions as `ADAPTER`.

How to write one: integrations/README.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from integrations.events import Handshake, PainPointEvent, Person

if TYPE_CHECKING:
    from integrations.writeback import WritebackClientClass


class Verify(Protocol):
    def __call__(
        self, headers: Mapping[str, str], body: bytes, secret: str, now: datetime | None = None
    ) -> None: ...


class Sign(Protocol):
    def __call__(self, body: bytes, secret: str, now: datetime | None = None) -> dict[str, str]: ...


class DeliveryId(Protocol):
    def __call__(self, headers: Mapping[str, str], body: bytes) -> str: ...


class Parse(Protocol):
    def __call__(self, headers: Mapping[str, str], body: bytes) -> list[PainPointEvent]: ...


class People(Protocol):
    def __call__(self, headers: Mapping[str, str], body: bytes) -> list[Person]: ...


class ReadHandshake(Protocol):
    def __call__(self, headers: Mapping[str, str], body: bytes) -> Handshake | None: ...


class Adapter(Protocol):
    """A helpdesk as the core and the contract test see it."""

    @property
    def kind(self) -> str: ...

    @property
    def title(self) -> str:
        """The helpdesk's own name, for people ("Help Scout")."""

    @property
    def verify(self) -> Verify:
        """Raw bytes, before any parsing: SignatureError or StaleDeliveryError unless genuine."""

    @property
    def sign(self) -> Sign:
        """The headers a genuine delivery of `body` carries (tests and the demo use it)."""

    @property
    def delivery_id(self) -> DeliveryId:
        """Stable across the helpdesk's retries of one delivery; never raises."""

    @property
    def parse(self) -> Parse:
        """Pure; PayloadError for anything that is not this helpdesk's shape."""

    def named(self, headers: Mapping[str, str], body: bytes) -> list[Person]:
        """The customers a delivery names by address or helpdesk id, also one that yields
        no events (no tags, no address for its customer): `voice-router forget` finds a
        person's deliveries by it. Pure; PayloadError as `parse`."""
        ...

    @property
    def handshake(self) -> ReadHandshake:
        """A reply the helpdesk expects instead of the usual 202, or None."""

    @property
    def writeback(self) -> WritebackClientClass | None:
        """The write-back client class, or None for a kind with nothing to post to."""

    @property
    def signs_body(self) -> bool:
        """False where the credential does not cover the body (Freshdesk's Basic auth)."""

    @property
    def event_header(self) -> str | None:
        """The header naming the event where the body does not (Help Scout): fixtures named
        `<event>__<variant>.json` are replayed with it."""


def no_handshake(headers: Mapping[str, str], body: bytes) -> Handshake | None:
    return None


@dataclass(frozen=True)
class Helpdesk:
    """An `Adapter` made of a folder's module-level functions."""

    kind: str
    title: str
    verify: Verify
    sign: Sign
    delivery_id: DeliveryId
    parse: Parse
    writeback: WritebackClientClass | None
    handshake: ReadHandshake = no_handshake
    signs_body: bool = True
    event_header: str | None = None
    # Who a delivery names where `parse` yields no event for them (no tags, no address).
    people: People | None = None

    def named(self, headers: Mapping[str, str], body: bytes) -> list[Person]:
        if self.people is not None:
            found = self.people(headers, body)
        else:
            found = [event.customer for event in self.parse(headers, body)]
        return [p for p in found if p.email or p.external_id]
