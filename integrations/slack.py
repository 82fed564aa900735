"""Slack incoming webhooks: post one message, map every failure to a named error.

Slack answers `200` with the body `ok`; a refusal is an HTTP status with a short code as the
body (`400 invalid_payload`, `403 action_prohibited`, `404 no_service`, `410
channel_is_archived`, ...), and too many messages get `429` with `Retry-After`. The code
becomes the error's `reason` when it is one Slack documents; otherwise the status decides.

One request, no retries, no redirects followed (a webhook POST re-sent elsewhere is never
right). The webhook URL is a secret: no message or chained exception carries it, only its host.
Reason `timeout` means the request went out and no answer came: the message may have been
posted, so a retry can, rarely, post it twice. `connect_timeout` (no connection) and
`request_timeout` (HTTP 408: Slack did not get the whole request) are safe to retry.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from integrations.notify_errors import NotifyError, NotifyPermanent, NotifyTransient
from integrations.writeback import USER_AGENT, parse_retry_after, squeeze

# The codes Slack documents for incoming webhooks (docs: "Sending messages using incoming
# webhooks", Handling errors; changelog 2016-05-17), kept as the error's reason.
SLACK_CODES = frozenset(
    {
        "invalid_payload",
        "user_not_found",
        "channel_not_found",
        "channel_is_archived",
        "action_prohibited",
        "posting_to_general_channel_denied",
        "too_many_attachments",
        "no_service",
        "no_service_id",
        "no_team",
        "team_disabled",
        "invalid_token",
        "no_text",
        "rollup_error",
    }
)
TRANSIENT_REASONS = {408: "request_timeout", 425: "too_early", 429: "rate_limited"}
PERMANENT_REASONS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    410: "gone",
    413: "too_large",
}


def post_message(webhook_url: str, text: str, timeout: float = 10.0) -> None:
    """POST `{"text": text}` (Slack mrkdwn) to an incoming webhook; return when Slack took it.

    Raises NotifyTransient (timeouts, connection failure, 408/425/429/5xx, with `retry_after`
    from Retry-After) or NotifyPermanent (a URL that is not http(s), 3xx, any other 4xx).
    """
    url, host = _checked(webhook_url)
    try:
        response = requests.post(
            url,
            json={"text": text},
            headers={"User-Agent": USER_AGENT},
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.ConnectTimeout:
        # `from None`: requests' own message names the full URL, token included.
        raise NotifyTransient(
            f"could not connect to Slack at {host} within {timeout:g} s",
            reason="connect_timeout",
        ) from None
    except requests.Timeout:
        raise NotifyTransient(
            f"Slack at {host} did not answer within {timeout:g} s (it may have posted it)",
            reason="timeout",
        ) from None
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
        raise NotifyTransient(
            f"could not reach Slack at {host} ({exc.__class__.__name__})",
            reason="connection_failed",
        ) from None
    except requests.RequestException as exc:
        invalid = isinstance(exc, ValueError)  # InvalidURL, MissingSchema, InvalidHeader ...
        raise NotifyPermanent(
            f"could not send the request to Slack at {host} ({exc.__class__.__name__})",
            reason="bad_url" if invalid else "bad_request",
        ) from None
    if not 200 <= response.status_code < 300:
        raise error_for(response, host)


def error_for(response: requests.Response, host: str) -> NotifyError:
    """The error for a non-2xx answer from the webhook at `host`."""
    status = response.status_code
    said = squeeze(response.text or response.reason or "(empty response)")
    code = said if said in SLACK_CODES else None
    message = f"Slack at {host} answered {status}: {said}"
    if status in TRANSIENT_REASONS or status >= 500:
        return NotifyTransient(
            message,
            reason=TRANSIENT_REASONS.get(status) or code or "unavailable",
            status=status,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    if 300 <= status < 400:
        location = urlsplit(response.headers.get("Location", ""))
        where = location.netloc or "no Location"
        return NotifyPermanent(
            f"Slack at {host} answered {status}, a redirect to {where} (not followed)",
            reason="redirected",
            status=status,
        )
    return NotifyPermanent(
        message, reason=code or PERMANENT_REASONS.get(status, "rejected"), status=status
    )


def _checked(webhook_url: str) -> tuple[str, str]:
    """The URL and its host, for messages; a URL that is not http(s) is refused unsent."""
    url = webhook_url.strip() if isinstance(webhook_url, str) else ""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise NotifyPermanent(
            "slack_webhook_url must be an http(s) URL (https://hooks.slack.com/services/...)",
            reason="bad_url",
        )
    return url, host
