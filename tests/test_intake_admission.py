"""Intake runs only admission's refusing checks (`check_events`); processing admits the
stored body in full (`read_events`). A delivery must be refused at intake exactly when
processing would refuse it, with the same message: the 400 names the field."""

from __future__ import annotations

import json

import pytest

from integrations.events import PayloadError
from integrations.generic import sign
from tests.support import generic_delivery
from voice_router.intake.admission import check_events, read_events

CASES = {
    "accepted": {},
    "accepted, agent address unusable": {"agent": {"email": "not an address", "name": "A"}},
    "accepted, long names and message": {"customer": {"email": "a@acme.com", "name": "N" * 900}},
    "ticket id too long": {"ticket": {"id": "T" * 256}},
    "blank ticket id": {"ticket": {"id": "\u0000\u0001"}},
    "customer address unusable": {"customer": {"email": "not-an-address"}},
    "customer address too long": {"customer": {"email": "a" * 320 + "@acme.com"}},
    "no customer at all": {"customer": {"email": None, "id": "c" * 300}},
    "MRR too large": {"customer": {"email": "a@acme.com", "company": "Acme", "mrr": 10**12}},
    "MRR negative": {"customer": {"email": "a@acme.com", "company": "Acme", "mrr": -5}},
    "too many pain tags": {"tags": [f"pain-p{n}" for n in range(21)]},
    "pain tags over both lists": {
        "tags": [f"pain-p{n}" for n in range(11)],
        "removed_tags": [f"pain-q{n}" for n in range(11)],
    },
}


def outcome(function, settings, body: bytes) -> str:  # type: ignore[no-untyped-def]
    headers = sign(body, settings.sources["generic"].secret)
    try:
        function(settings, "generic", "generic", headers, body)
    except PayloadError as exc:
        return f"{type(exc).__name__}: {exc}"
    return "accepted"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("case", sorted(CASES))
def test_intake_refuses_exactly_what_processing_refuses(settings, case):
    document = {**generic_delivery("T-1", "sam@acme.com", ["pain-login"]), **CASES[case]}
    body = json.dumps(document).encode()
    at_intake = outcome(check_events, settings, body)
    assert at_intake == outcome(read_events, settings, body)
    assert (at_intake == "accepted") is case.startswith("accepted"), at_intake
