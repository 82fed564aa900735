"""Help Scout access tokens by OAuth2 client credentials, fetched and refreshed by ourselves.

    POST {api_base}/v2/oauth2/token
    Content-Type: application/x-www-form-urlencoded
    grant_type=client_credentials&client_id=<App ID>&client_secret=<App Secret>
    -> 200 {"token_type": "bearer", "access_token": "...", "expires_in": 172800}

Help Scout's tokens expire (172800 s, two days, at the time of writing) and the client
credentials flow hands out no refresh token: a new token is asked for with the same app id
and secret. One `TokenSource` per app and API host lives as long as the process, so every
write-back client of a source shares its token: it is fetched when first needed, fetched
again `ahead` of its expiry, and dropped when Help Scout answers 401 to it (the client then
asks for a fresh one, once).

Neither the secret nor a token is ever put in a message, an exception or a log line.

Sources:
* https://developer.helpscout.com/mailbox-api/overview/authentication/ (client credentials
  flow for internal integrations, `POST /v2/oauth2/token`, JSON, form or query params)
* the `expires_in` of 172800 s: a recorded token answer and Help Scout's PHP client
  (helpscout/helpscout-api-php, `Authenticator::fetchAccessAndRefreshToken`), which reads
  `access_token` and `expires_in` and, for client credentials, no `refresh_token`
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from integrations import http_exchange
from integrations.writeback import (
    USER_AGENT,
    WritebackPermanent,
    WritebackTransient,
    json_body,
    parse_retry_after,
    squeeze,
)

if TYPE_CHECKING:  # imported where used: start-up need not load it
    import requests

TOKEN_PATH = "/v2/oauth2/token"
DEFAULT_LIFETIME = 3600.0  # when the answer has no usable `expires_in`
MAX_AHEAD = 300.0  # renew this long before expiry, or a fifth of the lifetime if shorter


class TokenSource:
    """The current access token for one Help Scout app, renewed before it runs out."""

    def __init__(
        self,
        token_url: str,
        app_id: str,
        app_secret: str,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = token_url
        self._app_id = app_id
        self._app_secret = app_secret
        self.timeout = timeout
        self._clock = clock
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = threading.Lock()
        self.fetched = 0  # how many tokens this source has asked for

    def token(self) -> str:
        """A token that is not about to expire: the current one, or a fresh one."""
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._token, lifetime = self._fetch()
                self._renew_at = self._clock() + lifetime - min(MAX_AHEAD, lifetime / 5)
            return self._token

    def expire(self, token: str) -> None:
        """Help Scout refused `token` (401): the next `token()` fetches another one. A token
        already replaced by another thread is left alone."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _fetch(self) -> tuple[str, float]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._app_id,
            "client_secret": self._app_secret,
        }
        try:
            with http_exchange.session(USER_AGENT) as session:
                response = http_exchange.exchange(
                    session,
                    "POST",
                    self.token_url,
                    self.timeout,
                    data=form,
                    headers={"Accept": "application/json"},
                )
        except http_exchange.Failed as failed:
            # A token asked for creates no note: whatever happened, safe to ask again.
            raise WritebackTransient(
                f"helpscout's token endpoint gave no answer ({failed.what}, {failed.cause})",
                reason="token_unavailable",
            ) from failed
        data = json_body(response)
        if response.status_code != 200:
            raise self._refused(response, data)
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token.strip():
            raise WritebackTransient(
                "helpscout's token endpoint answered 200 without an access_token",
                reason="no_token",
                status=200,
            )
        return token.strip(), _lifetime(data.get("expires_in"))

    def _refused(self, response: requests.Response, data: Any) -> Exception:
        said = ""
        if isinstance(data, dict):
            said = str(data.get("error_description") or data.get("error") or "")
            said = said or str(data.get("message") or "")
        said = squeeze(said or response.reason or "(empty response)")
        if self._app_secret:
            said = said.replace(self._app_secret, "[redacted]")
        message = f"helpscout's token endpoint answered {response.status_code}: {said}"
        status = response.status_code
        if status == 429 or status >= 500:
            reason = "rate_limited" if status == 429 else "unavailable"
            retry = parse_retry_after(response.headers.get("Retry-After"))
            return WritebackTransient(message, reason=reason, status=status, retry_after=retry)
        # 400 invalid_client / 401: the app id or secret is wrong or the app is gone.
        return WritebackPermanent(message, reason="unauthorized", status=status)


def _lifetime(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return DEFAULT_LIFETIME
    try:
        seconds = float(value)
    except ValueError:
        return DEFAULT_LIFETIME
    return seconds if seconds > 0 else DEFAULT_LIFETIME


_sources: dict[tuple[str, str, str], TokenSource] = {}
_sources_lock = threading.Lock()


def token_source(api_base: str, app_id: str, app_secret: str, timeout: float) -> TokenSource:
    """The process's token source for this app on this API host (shared by every client)."""
    token_url = api_base.rstrip("/") + TOKEN_PATH
    key = (token_url, app_id, hashlib.sha256(app_secret.encode()).hexdigest())
    with _sources_lock:
        source = _sources.get(key)
        if source is None:
            source = _sources[key] = TokenSource(token_url, app_id, app_secret, timeout)
        return source


def forget_tokens() -> None:
    """Drop every cached token source (tests; a process that rotated its app secret)."""
    with _sources_lock:
        _sources.clear()
