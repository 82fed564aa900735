"""E-mail through an SMTP server named by `[notify].smtp_url`: one message, one attempt.

`smtp://[user[:pass]@]host[:port]` (port 25 by default) upgrades with STARTTLS whenever the
server offers it; `smtps://...` (port 465 by default) speaks TLS from the first byte. User and
password are percent-decoded; with a user the client logs in (after STARTTLS when there is one:
a server that offers no STARTTLS gets the password in the clear, so only use that on loopback
or a trusted network). Certificates are verified against the system's CAs, or `ssl_context`.

Errors mirror `integrations.writeback`: a refused or dropped connection, a timeout and any 4xx
reply are `NotifyTransient`; a 5xx reply, a failed login, a bad URL or address, or a header with
a line break in it are `NotifyPermanent`. Nothing is retried here. Reasons `timeout` and
`connection_lost` mean the server went quiet or closed the connection after the message's
final dot went out, before its answer: it may have been accepted, so the error is `ambiguous`
and the caller does not send it again. Before the final dot (`connect_timeout`,
`timeout_before_data`, `disconnected`, `connection_failed`) nothing whole was sent: safe to
retry. Messages never carry the password.

`timeout` bounds each step of the conversation (smtplib's socket timeout) and the whole of it:
a server that answered each command slowly, but within the step's timeout, held the sender
for as long as it liked. The watchdog of integrations/http_exchange.py shuts the connection at
the deadline, and the error is a timeout at the stage it cut (ambiguous after the final dot).
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from integrations import http_exchange
from integrations.notify_errors import NotifyError, NotifyPermanent, NotifyTransient
from integrations.writeback import squeeze

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
URL_SHAPE = "smtp://[user:pass@]host[:port] or smtps://[user:pass@]host[:port]"
# Characters that could end a header line, whatever Python's folding would make of them.
LINE_BREAKS = frozenset("\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029")


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def send_mail(
    smtp_url: str,
    from_addr: str,
    to_addr: str,
    subject: str,
    text: str,
    timeout: float = 10.0,
    *,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """Send one plain-text UTF-8 message within `timeout` seconds all told; return once the
    server has accepted it.

    `ssl_context` replaces the default (system CAs, hostname checked), e.g. for a private CA.
    Raises NotifyTransient or NotifyPermanent; see the module docstring.
    """
    target = parse_smtp_url(smtp_url)
    message = build_message(from_addr, to_addr, subject, text)
    context = ssl_context or ssl.create_default_context()
    with http_exchange.deadline(timeout) as watchdog:
        _converse(target, message, context, timeout, lambda: watchdog.expired)


def _converse(
    target: SmtpTarget,
    message: EmailMessage,
    context: ssl.SSLContext,
    timeout: float,
    expired: Callable[[], bool],
) -> None:
    envelope_from = message["From"].addresses[0].addr_spec
    envelope_to = message["To"].addresses[0].addr_spec
    stage = "connect"
    smtp: smtplib.SMTP | None = None
    try:
        if target.implicit_tls:
            smtp = _WatchedTLS(target.host, target.port, timeout=timeout, context=context)
        else:
            smtp = _Watched(target.host, target.port, timeout=timeout)
        smtp.ehlo_or_helo_if_needed()
        if not target.implicit_tls and smtp.has_extn("starttls"):
            stage = "starttls"
            smtp.starttls(context=context)
            smtp.ehlo()
        if target.username:
            stage = "login"
            smtp.login(target.username, target.password or "")
        stage = "send"
        smtp.send_message(message, from_addr=envelope_from, to_addrs=[envelope_to])
    except (smtplib.SMTPException, OSError, UnicodeError) as exc:
        if isinstance(smtp, _Watched) and smtp.message_sent:
            stage = "answer"  # the final dot went out: the server may have taken it
        if expired():  # the watchdog shut the connection, whatever the error says
            raise _timed_out(target.where, stage, timeout) from exc
        raise error_for(exc, target, stage, timeout) from exc
    finally:
        if smtp is not None:
            _close(smtp)


def parse_smtp_url(smtp_url: str) -> SmtpTarget:
    """The server, port, TLS mode and credentials in an smtp(s):// URL; NotifyPermanent if bad."""
    try:
        parts = urlsplit(smtp_url.strip())
        port = parts.port
    except (AttributeError, ValueError):
        raise _bad_url("it cannot be parsed") from None
    if parts.scheme not in DEFAULT_PORTS:
        raise _bad_url("the scheme must be smtp or smtps")
    if not parts.hostname:
        raise _bad_url("it names no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise _bad_url("it has a path, query or fragment, which mean nothing here")
    if port == 0:
        raise _bad_url("port 0 is not a port")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return SmtpTarget(
        host=parts.hostname,
        port=port or DEFAULT_PORTS[parts.scheme],
        implicit_tls=parts.scheme == "smtps",
        username=username,
        password=password,
    )


def build_message(from_addr: str, to_addr: str, subject: str, text: str) -> EmailMessage:
    """A plain-text UTF-8 message with From, To, Subject, Date, Message-ID and
    Auto-Submitted; an address or subject that could inject a header is refused."""
    sender = parse_address(from_addr, "from_addr")
    recipient = parse_address(to_addr, "to_addr")
    _refuse_line_breaks(subject, "subject")
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=_ascii_domain(sender.domain))
    # RFC 3834: machine-sent, so auto-responders and vacation replies stay quiet.
    message["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps the body 7-bit for any server and readable in the raw.
    try:
        message.set_content(text, charset="utf-8", cte="quoted-printable")
    except (TypeError, UnicodeError):  # not text, or a lone surrogate
        raise NotifyPermanent("the text cannot be encoded as UTF-8", reason="unsendable") from None
    return message


def parse_address(value: str, what: str) -> Address:
    """One address (`a@b.example` or `Name <a@b.example>`); anything else is NotifyPermanent."""
    _refuse_line_breaks(value, what)
    try:
        header = SMTP_POLICY.header_factory("To", value)
        addresses = header.addresses
        if any(group.display_name is not None for group in header.groups):
            addresses = ()  # `team: a@b;` group syntax: not one plain address
    # The stdlib parser has been seen to raise IndexError on odd input, not only its own error.
    except (HeaderParseError, ValueError, IndexError, TypeError, AttributeError):
        addresses, header = (), None
    if header is None or len(addresses) != 1 or header.defects:
        raise NotifyPermanent(f"{what} must be one e-mail address", reason="bad_address")
    address: Address = addresses[0]
    if not address.username or not address.domain:
        raise NotifyPermanent(f"{what} must be one e-mail address", reason="bad_address")
    return address


def error_for(exc: BaseException, target: SmtpTarget, stage: str, timeout: float) -> NotifyError:
    """The named error for what smtplib, ssl or the socket raised during `stage`."""
    where = target.where
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, said = next(iter(exc.recipients.values()), (-1, b""))
        return _reply(code, said, f"{where} refused the recipient", "recipient_refused")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return _reply(exc.smtp_code, exc.smtp_error, f"{where} refused the login", "auth_failed")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _reply(
            exc.smtp_code, exc.smtp_error, f"{where} refused the sender", "sender_refused"
        )
    if isinstance(exc, smtplib.SMTPDataError):
        return _reply(exc.smtp_code, exc.smtp_error, f"{where} refused the message", "refused")
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error, f"{where} answered at {stage}", "refused")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        reason = "auth_unsupported" if stage == "login" else "unsupported"
        return NotifyPermanent(f"{where} cannot do what {stage} needs: {exc}", reason=reason)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        if isinstance(exc.__context__, TimeoutError):
            return _timed_out(where, stage, timeout)
        if stage == "answer":
            return _lost(where)
        return NotifyTransient(f"{where} closed the connection at {stage}", reason="disconnected")
    if isinstance(exc, smtplib.SMTPException):  # e.g. no AUTH mechanism both sides know
        return NotifyPermanent(f"{where} at {stage}: {exc}", reason="refused")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return NotifyPermanent(
            f"{where}: TLS certificate not trusted ({exc.verify_message})",
            reason="tls_untrusted",
        )
    if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError | ssl.SSLSyscallError):
        if stage == "answer":
            return _lost(where)
        return NotifyTransient(f"{where} dropped the TLS connection", reason="disconnected")
    if isinstance(exc, ssl.SSLError):  # e.g. smtps:// pointed at a plain-text port
        return NotifyPermanent(f"{where}: TLS failed ({exc.reason})", reason="tls_failed")
    if isinstance(exc, TimeoutError):
        return _timed_out(where, stage, timeout)
    if isinstance(exc, OSError) and stage == "answer":  # reset after the final dot
        return _lost(where)
    if isinstance(exc, OSError) and stage != "connect":  # reset mid-conversation
        return NotifyTransient(
            f"{where} closed the connection at {stage} ({exc.__class__.__name__})",
            reason="disconnected",
        )
    if isinstance(exc, OSError):  # refused, reset, unreachable, unknown host
        return NotifyTransient(
            f"could not reach the SMTP server at {where} ({exc.__class__.__name__})",
            reason="connection_failed",
        )
    return NotifyPermanent(f"the message cannot be sent as is ({exc})", reason="unsendable")


def _reply(code: int, said: bytes | str, what: str, reason: str) -> NotifyError:
    """4xx (or no proper code) is worth another try; 5xx is final."""
    if isinstance(said, bytes):
        said = said.decode("utf-8", "replace")
    message = f"{what}: {code} {squeeze(said)}".rstrip()
    if 500 <= code < 600:
        return NotifyPermanent(message, reason=reason, status=code)
    return NotifyTransient(message, reason=reason, status=code if code > 0 else None)


def _timed_out(where: str, stage: str, timeout: float) -> NotifyTransient:
    if stage != "answer":  # connect ... the DATA before its final dot: not a whole message
        reason = "timeout_before_data" if stage == "send" else "connect_timeout"
        return NotifyTransient(
            f"{where} did not answer within {timeout:g} s at {stage}", reason=reason
        )
    return NotifyTransient(
        f"{where} did not answer within {timeout:g} s after the message; it may have been accepted",
        reason="timeout",
        ambiguous=True,
    )


def _lost(where: str) -> NotifyTransient:
    return NotifyTransient(
        f"{where} closed the connection after the message, before an answer; it may have "
        "been accepted",
        reason="connection_lost",
        ambiguous=True,
    )


class _Watched(smtplib.SMTP):
    """Knows whether the message's final dot went out: after it a server that answers
    nothing may have queued the message (RFC 5321 4.1.1.4), before it the message is not
    whole and nothing can have been delivered. smtplib's `data` sends the message with its
    final CRLF.CRLF in one `send` of bytes; a command is never that."""

    message_sent = False

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        # The socket before the greeting is read.
        sock: socket.socket = super()._get_socket(host, port, timeout)  # type: ignore[misc]  # smtplib's, not in typeshed
        http_exchange.join(sock)  # under the deadline of the conversation
        return sock

    def starttls(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        answer = super().starttls(*args, **kwargs)
        http_exchange.join(self.sock)  # the TLS socket now carries the conversation
        return answer

    def send(self, s: ReadableBuffer | str) -> None:
        super().send(s)
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.message_sent = True


class _WatchedTLS(_Watched, smtplib.SMTP_SSL):
    pass


def _close(smtp: smtplib.SMTP) -> None:
    """Say QUIT politely; a server that is already gone only needs the socket closed."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _refuse_line_breaks(value: object, what: str) -> None:
    if not isinstance(value, str):
        raise NotifyPermanent(f"{what} must be text", reason="bad_header")
    for char in value:
        if char in LINE_BREAKS or (unicodedata.category(char) in ("Cc", "Cs") and char != "\t"):
            raise NotifyPermanent(
                f"{what} contains a line break or control character", reason="bad_header"
            )


def _ascii_domain(domain: str) -> str:
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return "voice-router.invalid"


def _bad_url(why: str) -> NotifyPermanent:
    # The URL itself is never echoed: it may hold a password.
    return NotifyPermanent(f"smtp_url is not {URL_SHAPE}: {why}", reason="bad_url")
