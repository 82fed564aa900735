"""Loopback servers that misbehave the way real ones do, for what pytest-httpserver cannot
do: read a whole request and close the connection without an answer, answer one header
line every second, or (SMTP) take a whole message and hang up instead of saying 250."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Collection

from tests.serving import _Listener

# Answered properly whatever the server's misbehaviour: Intercom's look-up of its admin,
# which comes before the note, and Jira's serverInfo, which the Jira client reads when it is
# made (neither writes anything).
LOOKUPS = {
    b"GET /me ": b'{"type": "admin", "id": "991"}',
    b"GET /rest/api/2/serverInfo ": b'{"deploymentType": "Cloud", "versionNumbers": [1001, 0, 0]}',
}


class _Server(_Listener):
    """A loopback server (tests/serving.py) serving each connection in a thread of its own."""

    def __init__(self) -> None:
        self.received: list[bytes] = []  # what each connection sent, as far as it was read
        super().__init__()
        self.url = f"http://127.0.0.1:{self.port}"

    def _accepted(self, connection: socket.socket) -> None:
        threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        """Read a request whole; answer a look-up properly, misbehave on anything else."""
        with connection, contextlib.suppress(OSError):
            request = read_request(connection)
            if not self._looked_up(connection, request):
                self.received.append(request)
                self._misbehave(connection)

    def _misbehave(self, connection: socket.socket) -> None:
        raise NotImplementedError

    def _looked_up(self, connection: socket.socket, request: bytes) -> bool:
        """Answer a look-up (LOOKUPS) properly; True if `request` was one."""
        for line, body in LOOKUPS.items():
            if request.startswith(line):
                head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                connection.sendall(head.encode() + body)
                return True
        return False

    def __enter__(self) -> _Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_request(connection: socket.socket) -> bytes:
    """One whole HTTP request (head and Content-Length body), or what came before EOF."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


class HangsUp(_Server):
    """Reads each request whole (a helpdesk that has created the note), then closes the
    connection without a word; the requests numbered in `answer` (from 1) get `200 ok`
    (Slack's answer) instead."""

    def __init__(self, answer: Collection[int] = ()) -> None:
        self.answer = answer
        super().__init__()

    def _misbehave(self, connection: socket.socket) -> None:
        if len(self.received) in self.answer:
            connection.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            )
        connection.shutdown(socket.SHUT_RDWR)


class Trickles(_Server):
    """Reads each request whole, answers `200 OK`, then one header line a second for
    `seconds`, then the end of the headers and an empty JSON body: every read comes well
    within any per-read timeout, the whole answer only after `seconds`."""

    def __init__(self, seconds: float = 20.0) -> None:
        self.seconds = seconds
        super().__init__()

    def _misbehave(self, connection: socket.socket) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        until = time.monotonic() + self.seconds
        while time.monotonic() < until and not self.stopped.is_set():
            connection.sendall(b"X-Still-Thinking: yes\r\n")
            time.sleep(1.0)
        connection.sendall(b"Content-Length: 2\r\nConnection: close\r\n\r\n{}")


class SmtpHangsUp(_Server):
    """An SMTP server that takes the envelope and, at `drop_at`, hangs up: `"rcpt"` when
    asked for the recipient (nothing of the message sent), `"dot"` after the message's final
    dot instead of answering 250 (the message may have been queued); the messages numbered
    in `answer` (from 1) are taken properly."""

    def __init__(self, drop_at: str, answer: Collection[int] = ()) -> None:
        self.drop_at = drop_at
        self.answer = answer
        super().__init__()

    def _serve(self, connection: socket.socket) -> None:
        reader = connection.makefile("rb")
        with connection, reader, contextlib.suppress(OSError):
            connection.sendall(b"220 loopback ESMTP\r\n")
            while line := reader.readline():
                command = line.strip().upper()
                if command.startswith((b"EHLO", b"HELO")):
                    connection.sendall(b"250 loopback\r\n")
                elif command.startswith(b"RCPT") and self.drop_at == "rcpt":
                    break
                elif command.startswith((b"MAIL", b"RCPT", b"RSET", b"NOOP")):
                    connection.sendall(b"250 OK\r\n")
                elif command == b"DATA":
                    connection.sendall(b"354 go on\r\n")
                    message = b""
                    while not message.endswith(b"\r\n.\r\n") and (chunk := reader.readline()):
                        message += chunk
                    self.received.append(message)
                    if self.drop_at == "dot" and len(self.received) not in self.answer:
                        break
                    connection.sendall(b"250 queued\r\n")
                elif command == b"QUIT":
                    connection.sendall(b"221 bye\r\n")
                    break
                else:
                    connection.sendall(b"502 not here\r\n")
            connection.shutdown(socket.SHUT_RDWR)
