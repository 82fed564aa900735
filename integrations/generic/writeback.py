"""The generic kind has no write-back: its senders are any tool that can POST, with no API
voice-router could post a note to. `make_client` refuses the kind, and a source with
`writeback = true` plans no note (docs/helpdesks/generic.md)."""

from __future__ import annotations

from integrations.writeback import WritebackClientClass

Client: WritebackClientClass | None = None
