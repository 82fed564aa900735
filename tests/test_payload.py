"""integrations/payload.py: a body read twice (its events, then its delivery id) is parsed
once, and every read still gets its own body's document."""

from __future__ import annotations

import threading

from integrations import registry
from integrations.payload import load_object


def test_each_body_reads_as_its_own_document_whatever_was_read_before() -> None:
    first, second = b'{"id": "a"}', b'{"id": "b"}'
    assert load_object(first) == {"id": "a"}
    assert load_object(second) == {"id": "b"}
    assert load_object(first) == {"id": "a"}
    same_text = bytes(bytearray(first))  # equal, but another object
    assert load_object(same_text) == {"id": "a"}
    changing = bytearray(b'{"id": "c"}')
    assert load_object(changing) == {"id": "c"}  # type: ignore[arg-type]  # a caller's bytearray
    changing[8:9] = b"d"
    assert load_object(changing) == {"id": "d"}  # type: ignore[arg-type]


def test_threads_reading_bodies_at_once_each_get_their_own_delivery_id() -> None:
    generic = registry.adapter("generic")
    wrong: list[tuple[int, str]] = []

    def read(thread: int) -> None:
        for n in range(2000):
            key = f"t{thread}-{n}"
            body = b'{"id": "%s"}' % key.encode()
            load_object(body)
            if generic.delivery_id({}, body) != key:
                wrong.append((thread, key))

    threads = [threading.Thread(target=read, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
