"""Slack incoming webhooks: post one message, map every failure to a named error.

Slack answers `200` with the body `ok`; a refusal is an HTTP status with a short code as the
body (`400 invalid_payload`, `403 action_prohibited`, `404 no_service`, `410
channel_is_archived`, ...), and too many messages get `429` with `Retry-After`. The code
becomes the error's `reason` when it is one Slack documents; otherwise the status decides.

One request, no retries, no redirects followed (a webhook POST re-sent elsewhere is never
right), within `timeout` seconds all told (integrations/http_exchange.py). The webhook URL is
a secret: no message or chained exception carries it, only its host. Reasons `timeout` and
`connection_lost` mean the request went out and no answer came: the message may have been
posted, so the error is `ambiguous` and the caller does not post it again.
`connection_failed` (no connection made) and `request_timeout` (HTTP 408: Slack did not get
the whole request) are safe to retry.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from integrations import http_exchange
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

    Raises NotifyTransient (timeouts, a failed or lost connection, 408/425/429/5xx, with
    `retry_after` from Retry-After) or NotifyPermanent (a URL that is not http(s), 3xx, any
    other 4xx).
    """
    url, host = _checked(webhook_url)
    with http_exchange.session(USER_AGENT) as client:
        try:
            response = http_exchange.exchange(client, "POST", url, timeout, json={"text": text})
        except http_exchange.Failed as failed:
            # `from None`: requests' own message names the full URL, token included.
            raise http_exchange.error_for(
                failed,
                f"Slack at {host}",
                timeout,
                transient=NotifyTransient,
                permanent=NotifyPermanent,
                invalid="bad_url",
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
