"""integrations/email.py against a real SMTP server (aiosmtpd) on loopback: the envelope, a UTF-8
message with proper headers, AUTH, STARTTLS and implicit TLS with a certificate made for the
test, and each failure mapped to NotifyTransient (4xx, refused, timeout) or NotifyPermanent
(5xx, failed login, untrusted certificate, bad URL or header)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.email import build_message, parse_smtp_url, send_mail
from integrations.notify_errors import NotifyPermanent, NotifyTransient

FROM = "voice-router@support.example"
TO = "Alice Moreno <alice@support.example>"
SUBJECT = "2 of your customers to tell: SSO login loop is fixed (PROD-12)"
TEXT = (
    "Hi Alice Moreno,\n\n"
    "Good news: the fix for “SSO login loop” has shipped (PROD-12).\n\n"
    "1. María José Núñez at Señor Café (maria@cafe.example)\n"
    "   “No puedo iniciar sesión con SSO” — helpscout-main #1001\n"
)
USER, PASSWORD = "digest@support.example", "p4ss:w/rd"  # both need percent-encoding in a URL
CREDENTIALS = "digest%40support.example:p4ss%3Aw%2Frd"


def body(message: EmailMessage) -> str:
    """The decoded text, with the wire's CRLF line ends back to `\\n`."""
    return message.get_content().replace("\r\n", "\n")


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    login: bytes | None


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps what it accepted, or answers RCPT/DATA with a set reply."""

    rcpt_reply: str | None = None
    data_reply: str | None = None
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.data_reply:
            return self.data_reply
        message = message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        # The transport itself, not session.ssl: aiosmtpd sets that one for STARTTLS only.
        tls = server.transport.get_extra_info("ssl_object") is not None
        self.received.append(Received(envelope.mail_from, envelope.rcpt_tos, message, tls, login))
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism: str, auth_data: Any) -> AuthResult:
    valid = isinstance(auth_data, LoginPassword) and auth_data == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=valid, handled=False, auth_data=auth_data if valid else None)


class LoopbackController(Controller):
    """aiosmtpd's Controller on 127.0.0.1 and an ephemeral port (it cannot take port 0 as is:
    it connects to its own port once to start up, so it must learn the real one first)."""

    def __init__(self, handler: Recorder, **kwargs: Any) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=0, **kwargs)

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def serve() -> Iterator[Any]:
    """Start an SMTP server with the given handler and options; stopped after the test."""
    started: list[LoopbackController] = []

    def start(handler: Recorder, **kwargs: Any) -> LoopbackController:
        controller = LoopbackController(handler, **kwargs)
        controller.start()
        started.append(controller)
        return controller

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for IP 127.0.0.1, made with the openssl command line."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-nodes", "-days", "2"),
            *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-keyout", str(key), "-out", str(cert)),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


def send_trusting(url: str, certificate: tuple[Path, Path]) -> None:
    """The test message sent to `url`, the server's self-signed certificate trusted."""
    send_mail(url, FROM, TO, SUBJECT, TEXT, timeout=5, ssl_context=trusting(certificate))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- delivery --------------------------------------------------------------------------------


def test_delivers_one_utf8_message_with_proper_headers(serve: Any) -> None:
    handler = Recorder()
    server = serve(handler)

    send_mail(f"smtp://127.0.0.1:{server.port}", FROM, TO, SUBJECT, TEXT, timeout=5)

    (got,) = handler.received
    assert got.mail_from == FROM
    assert got.rcpt_tos == ["alice@support.example"]
    assert (got.tls, got.login) == (False, None)
    message = got.message
    assert message["Subject"] == SUBJECT
    assert message["From"] == FROM
    assert message["To"] == TO
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith(
        "@support.example>"
    )
    assert message["Date"].datetime.tzinfo is not None
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert body(message) == TEXT
    assert "María José Núñez at Señor Café" in body(message)


def test_a_non_ascii_subject_and_display_name_arrive_intact(serve: Any) -> None:
    handler = Recorder()
    server = serve(handler)
    subject = "Un cliente tuyo: “inicio de sesión” está arreglado — ✓"

    send_mail(
        f"smtp://127.0.0.1:{server.port}",
        "Voice Router <voice-router@support.example>",
        "Łucja Żółć <lucja@support.example>",
        subject,
        TEXT,
        timeout=5,
    )

    (got,) = handler.received
    assert got.message["Subject"] == subject
    assert got.message["To"].addresses[0].display_name == "Łucja Żółć"
    assert got.message["From"].addresses[0].display_name == "Voice Router"
    assert got.rcpt_tos == ["lucja@support.example"]


def test_logs_in_with_the_percent_decoded_user_and_password(serve: Any) -> None:
    handler = Recorder()
    server = serve(handler, authenticator=authenticator, auth_require_tls=False)

    send_mail(f"smtp://{CREDENTIALS}@127.0.0.1:{server.port}", FROM, TO, SUBJECT, TEXT, timeout=5)

    (got,) = handler.received
    assert got.login == USER.encode()


def test_a_wrong_password_is_a_permanent_auth_failure(serve: Any) -> None:
    handler = Recorder()
    server = serve(handler, authenticator=authenticator, auth_require_tls=False)

    with pytest.raises(NotifyPermanent) as caught:
        send_mail(f"smtp://{USER}:nope@127.0.0.1:{server.port}", FROM, TO, SUBJECT, TEXT, 5)

    assert (caught.value.reason, caught.value.status) == ("auth_failed", 535)
    assert "nope" not in str(caught.value)
    assert handler.received == []


def test_credentials_for_a_server_without_auth_are_a_permanent_error(serve: Any) -> None:
    handler = Recorder()
    server = serve(handler)  # no TLS, so aiosmtpd offers no AUTH

    with pytest.raises(NotifyPermanent) as caught:
        send_mail(f"smtp://{CREDENTIALS}@127.0.0.1:{server.port}", FROM, TO, SUBJECT, TEXT, 5)

    assert caught.value.reason == "auth_unsupported"
    assert handler.received == []


def test_upgrades_with_starttls_when_offered_and_logs_in_over_it(
    serve: Any, certificate: tuple[Path, Path]
) -> None:
    handler = Recorder()
    server = serve(
        handler,
        tls_context=server_tls(certificate),
        require_starttls=True,  # refuses MAIL before STARTTLS
        authenticator=authenticator,  # and AUTH too (auth_require_tls defaults to True)
    )

    send_trusting(f"smtp://{CREDENTIALS}@127.0.0.1:{server.port}", certificate)

    (got,) = handler.received
    assert (got.tls, got.login) == (True, USER.encode())
    assert body(got.message) == TEXT


def test_starttls_with_an_untrusted_certificate_is_permanent(
    serve: Any, certificate: tuple[Path, Path]
) -> None:
    handler = Recorder()
    server = serve(handler, tls_context=server_tls(certificate), require_starttls=True)

    with pytest.raises(NotifyPermanent) as caught:
        send_mail(f"smtp://127.0.0.1:{server.port}", FROM, TO, SUBJECT, TEXT, timeout=5)

    assert caught.value.reason == "tls_untrusted"
    assert handler.received == []


def test_smtps_speaks_tls_from_the_first_byte(serve: Any, certificate: tuple[Path, Path]) -> None:
    handler = Recorder()
    # aiosmtpd counts only STARTTLS as TLS when it decides whether to offer AUTH.
    server = serve(
        handler,
        ssl_context=server_tls(certificate),
        authenticator=authenticator,
        auth_require_tls=False,
    )

    send_trusting(f"smtps://{CREDENTIALS}@127.0.0.1:{server.port}", certificate)

    (got,) = handler.received
    assert (got.tls, got.login) == (True, USER.encode())


def test_smtps_against_a_plain_text_server_is_a_permanent_tls_failure(serve: Any) -> None:
    handler = Recorder()
    server = serve(handler)

    with pytest.raises(NotifyPermanent) as caught:
        send_mail(f"smtps://127.0.0.1:{server.port}", FROM, TO, SUBJECT, TEXT, timeout=5)

    assert caught.value.reason == "tls_failed"


# --- replies and failures --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replies", "error", "reason", "status"),
    [
        ({"rcpt_reply": "451 4.3.0 Try again later"}, NotifyTransient, "recipient_refused", 451),
        ({"rcpt_reply": "550 5.1.1 No such user"}, NotifyPermanent, "recipient_refused", 550),
        ({"data_reply": "451 4.7.1 Greylisted"}, NotifyTransient, "refused", 451),
        ({"data_reply": "554 5.7.1 Message rejected as spam"}, NotifyPermanent, "refused", 554),
    ],
)
def test_smtp_replies_map_4xx_to_transient_and_5xx_to_permanent(
    serve: Any, replies: dict[str, str], error: type, reason: str, status: int
) -> None:
    server = serve(Recorder(**replies))

    with pytest.raises(error) as caught:
        send_mail(f"smtp://127.0.0.1:{server.port}", FROM, TO, SUBJECT, TEXT, timeout=5)

    assert (caught.value.reason, caught.value.status) == (reason, status)
    assert str(status) in caught.value.message


def test_a_closed_port_is_a_transient_connection_failure() -> None:
    with pytest.raises(NotifyTransient) as caught:
        send_mail(f"smtp://127.0.0.1:{closed_port()}", FROM, TO, SUBJECT, TEXT, timeout=5)

    assert caught.value.reason == "connection_failed"


def test_a_server_that_never_greets_is_a_transient_connect_timeout() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the connection in the kernel, then says nothing
        port = listener.getsockname()[1]
        done = threading.Event()

        def attempt() -> None:
            try:
                send_mail(f"smtp://127.0.0.1:{port}", FROM, TO, SUBJECT, TEXT, timeout=0.5)
            except NotifyTransient as exc:
                outcome.append(exc)
            finally:
                done.set()

        outcome: list[NotifyTransient] = []
        threading.Thread(target=attempt, daemon=True).start()
        assert done.wait(5)

    (error,) = outcome
    assert error.reason == "connect_timeout"  # nothing of the message went out: safe to retry
    assert "0.5 s" in error.message


def test_a_server_silent_after_the_data_is_a_timeout_that_may_have_delivered(serve: Any) -> None:
    release = asyncio.Event()

    class Silent(Recorder):
        async def handle_DATA(self, server, session, envelope) -> str:
            await asyncio.wait_for(release.wait(), 5)  # well past the client's 0.5 s
            return "250 OK"

    server = serve(Silent())

    with pytest.raises(NotifyTransient) as caught:
        send_mail(f"smtp://127.0.0.1:{server.port}", FROM, TO, SUBJECT, TEXT, timeout=0.5)
    server.loop.call_soon_threadsafe(release.set)

    assert caught.value.reason == "timeout"
    assert "may have been accepted" in caught.value.message


@dataclass
class Dawdler(Recorder):
    """Answers MAIL, RCPT and DATA each after `pause` seconds (and EHLO too unless
    `brisk_ehlo`): every answer within a per-step timeout, the conversation long."""

    pause: float = 1.2
    brisk_ehlo: bool = False

    async def handle_EHLO(self, server, session, envelope, hostname, responses) -> list[str]:
        if not self.brisk_ehlo:
            await asyncio.sleep(self.pause)
        session.host_name = hostname
        return list(responses)

    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:
        await asyncio.sleep(self.pause)
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        await asyncio.sleep(self.pause)
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server, session, envelope) -> str:
        await asyncio.sleep(self.pause)
        return await super().handle_DATA(server, session, envelope)


def sent_within(send: Any) -> tuple[NotifyTransient, float]:
    started = time.monotonic()
    with pytest.raises(NotifyTransient) as caught:
        send()
    return caught.value, time.monotonic() - started


def test_a_server_that_answers_each_command_slowly_is_cut_off_at_the_deadline(
    serve: Any,
) -> None:
    """Each answer 1.2 s, within the 2 s a step may take; the whole conversation took more
    than 5 s and was waited out, however slow the server chose to be."""
    handler = Dawdler()
    server = serve(handler)

    error, took = sent_within(
        lambda: send_mail(f"smtp://127.0.0.1:{server.port}", FROM, TO, SUBJECT, TEXT, timeout=2)
    )

    assert took < 4.5, took  # the 2 s deadline, and slack for a busy machine
    assert (error.reason, error.ambiguous) == ("timeout_before_data", False), error
    assert "did not answer within 2 s" in error.message
    assert handler.received == []  # nothing whole went out: safe to send again


def test_the_deadline_holds_over_starttls_too(serve: Any, certificate: tuple[Path, Path]) -> None:
    handler = Dawdler(brisk_ehlo=True)
    server = serve(handler, tls_context=server_tls(certificate), require_starttls=True)

    error, took = sent_within(
        lambda: send_mail(
            f"smtp://127.0.0.1:{server.port}",
            FROM,
            TO,
            SUBJECT,
            TEXT,
            timeout=2,
            ssl_context=trusting(certificate),
        )
    )

    assert took < 4.5, took
    assert error.reason == "timeout_before_data" and handler.received == [], error


# --- what is refused before any connection ---------------------------------------------------


@pytest.mark.parametrize(
    ("to_addr", "subject", "reason"),
    [
        (TO, "Fixed\r\nBcc: everyone@evil.example", "bad_header"),
        (TO, "Fixed\nX-Injected: yes", "bad_header"),
        (TO, "Fixed\u2028Bcc: everyone@evil.example", "bad_header"),
        ("alice@support.example\r\nBcc: everyone@evil.example", SUBJECT, "bad_header"),
        ("alice@support.example, bob@support.example", SUBJECT, "bad_address"),
        ("team: alice@support.example;", SUBJECT, "bad_address"),
        ("not an address", SUBJECT, "bad_address"),
        ("", SUBJECT, "bad_address"),
    ],
)
def test_header_injection_and_odd_addresses_are_refused_unsent(
    serve: Any, to_addr: str, subject: str, reason: str
) -> None:
    handler = Recorder()
    server = serve(handler)

    with pytest.raises(NotifyPermanent) as caught:
        send_mail(f"smtp://127.0.0.1:{server.port}", FROM, to_addr, subject, TEXT, timeout=5)

    assert caught.value.reason == reason
    assert handler.received == []


def test_a_bad_from_addr_or_unencodable_text_is_refused() -> None:
    with pytest.raises(NotifyPermanent) as caught:
        build_message("voice-router\n@localhost", TO, SUBJECT, TEXT)
    assert caught.value.reason == "bad_header"

    with pytest.raises(NotifyPermanent) as caught:
        build_message(FROM, TO, SUBJECT, "a lone surrogate \ud800 from a JSON payload")
    assert caught.value.reason == "unsendable"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "mail.example:25",
        "http://mail.example",
        "smtp://",
        "smtp://user:secretpw@mail.example:99999",
        "smtp://mail.example:25/path",
        "smtp://mail.example?starttls=required",
        "smtp://mail.example:0",
    ],
)
def test_a_bad_url_is_permanent_and_never_echoes_the_password(url: str) -> None:
    with pytest.raises(NotifyPermanent) as caught:
        send_mail(url, FROM, TO, SUBJECT, TEXT)

    assert caught.value.reason == "bad_url"
    assert "secretpw" not in str(caught.value)


def test_the_url_names_host_port_tls_mode_and_decoded_credentials() -> None:
    target = parse_smtp_url(f"smtp://{CREDENTIALS}@Mail.Example:587")
    assert (target.host, target.port, target.implicit_tls) == ("mail.example", 587, False)
    assert (target.username, target.password) == (USER, PASSWORD)
    assert PASSWORD not in repr(target)

    plain = parse_smtp_url("smtp://relay.internal")
    assert (plain.port, plain.implicit_tls, plain.username, plain.password) == (
        25,
        False,
        None,
        None,
    )
    assert parse_smtp_url("smtps://mail.example").port == 465
    assert parse_smtp_url("smtps://[::1]:2465").host == "::1"


@settings(max_examples=300, deadline=None)
@given(
    to_addr=st.one_of(st.text(), st.emails().map(lambda a: f"Someone <{a}>")),
    subject=st.text(st.characters(exclude_categories=())),
)
def test_whatever_the_input_no_header_is_ever_added(to_addr: str, subject: str) -> None:
    try:
        message = build_message(FROM, to_addr, subject, TEXT)
    except NotifyPermanent as refused:
        assert refused.reason in ("bad_header", "bad_address")
        return
    raw = message.as_bytes()
    reparsed = message_from_bytes(raw, policy=default_policy)
    assert [name for name, _ in reparsed.items()] == [
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "Auto-Submitted",
        "Content-Type",
        "Content-Transfer-Encoding",
        "MIME-Version",
    ]
    assert len(reparsed["To"].addresses) == 1
    assert " ".join(reparsed["Subject"].split()) == " ".join(subject.split())
