"""Inbound Jira admin webhooks: verify the signature, name the delivery, read the event.

Pure: no Flask, no database, no network. `X-Hub-Signature` is `sha256=` + the hex
HMAC-SHA256 of the raw body, keyed with `[jira].webhook_secret` (Jira Cloud, and Jira Data
Center 10 when the webhook has a secret); Data Center webhooks that sign nothing prove
themselves with the same secret as a token in the URL (`/webhooks/jira?secret=…`). No
timestamp is signed (Jira resends the same body on retries), so replays are stopped by
de-duplicating on `X-Atlassian-Webhook-Identifier`, which stays the same across Jira's
retries.

Bodies are the REST v2 representation, as in tests/fixtures/jira/. Only the issue's *current*
fields decide anything; the changelog says what moved in this event. Category keys are
Jira's stable `statusCategory.key` ("new", "indeterminate", "done"); status names are
customised and localised, so they are passed on for display, never for decisions.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from integrations.events import PayloadError, SignatureError
from integrations.payload import (
    as_list,
    identifier,
    load_object,
    obj,
    optional_obj,
    required_identifier,
    required_text,
    text,
)
from integrations.signing import body_fingerprint, header, hmac_hex, require_equal

SIGNATURE_HEADER = "X-Hub-Signature"
IDENTIFIER_HEADER = "X-Atlassian-Webhook-Identifier"
STATUS_CATEGORIES = frozenset({"new", "indeterminate", "done"})
# Known events we acknowledge and drop: issues we did not create are not ours, and comments,
# worklogs, links and the other version moves say nothing about whether a fix shipped or
# what it shipped in (a version's rename and unrelease do: they are read below).
IGNORED_EVENTS = frozenset(
    {
        "jira:issue_created",
        "comment_created",
        "comment_updated",
        "comment_deleted",
        "worklog_created",
        "worklog_updated",
        "worklog_deleted",
        "issuelink_created",
        "issuelink_deleted",
        "attachment_created",
        "attachment_deleted",
        "jira:version_created",
        "jira:version_deleted",
        "jira:version_moved",
        "jira:version_merged",
        "jira:version_archived",
        "jira:version_unarchived",
    }
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FixVersion:
    id: str
    name: str
    released: bool


@dataclass(frozen=True)
class IssueUpdated:
    """The issue as it is now, plus what this event changed (`changed_fields`, lower-cased)."""

    issue_key: str
    issue_id: str
    timestamp: datetime
    status_name: str | None
    status_category: str | None
    resolution: str | None
    fix_versions: tuple[FixVersion, ...]
    labels: tuple[str, ...]
    changed_fields: frozenset[str]
    status_from: str | None
    status_to: str | None
    actor: str | None


@dataclass(frozen=True)
class IssueDeleted:
    issue_key: str
    issue_id: str
    timestamp: datetime


@dataclass(frozen=True)
class VersionReleased:
    """Jira names no issues and no project key here: find issues by `fixVersion = <id>`."""

    version_id: str
    version_name: str
    project_id: str | None
    timestamp: datetime


@dataclass(frozen=True)
class VersionChanged:
    """A version renamed or otherwise edited (`jira:version_updated`), or released and then
    unreleased (`jira:version_unreleased`): what a draft says of the issues in it may have
    changed. Found, like a release's, by `fixVersion = <id>`."""

    version_id: str
    version_name: str | None
    released: bool | None
    timestamp: datetime
    project_id: str | None = None  # `version.projectId`: the site's every project sends these


JiraEvent = IssueUpdated | IssueDeleted | VersionReleased | VersionChanged


def _signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac_hex("sha256", secret, body)


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secret: str,
    now: datetime | None = None,
    url_secret: str | None = None,
) -> None:
    """A signed delivery must carry the right `X-Hub-Signature`. An unsigned one (Jira Data
    Center before 10 signs nothing) is accepted only with the secret itself in the webhook
    URL (`url_secret`, from `?secret=`), compared in constant time. `now` is accepted for the
    shared adapter signature; Jira signs no timestamp."""
    if not secret:
        raise SignatureError("no Jira webhook secret is configured")
    given = header(headers, SIGNATURE_HEADER)
    if given is None and url_secret is not None:
        if not hmac.compare_digest(secret.encode(), url_secret.encode()):
            raise SignatureError("the secret in the webhook URL does not match")
        return
    require_equal(_signature(body, secret), given)


def sign(body: bytes, secret: str, now: datetime | None = None) -> dict[str, str]:
    """The headers a genuine delivery of `body` carries (tests and `voice-router demo`)."""
    return {SIGNATURE_HEADER: _signature(body, secret), IDENTIFIER_HEADER: str(uuid.uuid4())}


def delivery_id(headers: Mapping[str, str], body: bytes) -> str:
    given = header(headers, IDENTIFIER_HEADER)
    if isinstance(given, str) and given.strip():
        return given.strip()
    return body_fingerprint(body)


def parse(headers: Mapping[str, str], body: bytes) -> JiraEvent | None:
    """The event, or None for one we acknowledge and ignore. Raises PayloadError only."""
    document = load_object(body)
    name = document.get("webhookEvent")
    if not isinstance(name, str) or not name.strip():
        raise PayloadError("not a Jira webhook: no webhookEvent")
    reader = _READERS.get(name)
    if reader is None:
        log.info(
            "jira.webhook.ignored", extra={"jira_event": name, "known": name in IGNORED_EVENTS}
        )
        return None
    return reader(document)


def _issue_updated(document: dict[str, Any]) -> IssueUpdated:
    issue = obj(document.get("issue"), "issue")
    fields = obj(issue.get("fields"), "issue.fields")
    status = optional_obj(fields.get("status"), "issue.fields.status")
    changelog = optional_obj(document.get("changelog"), "changelog") or {}
    items = [
        obj(item, f"changelog.items[{index}]")
        for index, item in enumerate(as_list(changelog.get("items", []), "changelog.items"))
    ]
    changes = {
        required_text(item.get("field"), "changelog item field").lower(): item for item in items
    }
    status_change = changes.get("status", {})
    return IssueUpdated(
        issue_key=required_text(issue.get("key"), "issue.key"),
        issue_id=required_identifier(issue.get("id"), "issue.id"),
        timestamp=_timestamp(document.get("timestamp")),
        status_name=text(status.get("name"), "status.name") if status else None,
        status_category=_category(status),
        resolution=_resolution(fields.get("resolution")),
        fix_versions=_fix_versions(fields.get("fixVersions")),
        labels=_labels(fields, changes.get("labels")),
        changed_fields=frozenset(changes),
        status_from=text(status_change.get("fromString"), "status fromString"),
        status_to=text(status_change.get("toString"), "status toString"),
        actor=_actor(document.get("user")),
    )


def _issue_deleted(document: dict[str, Any]) -> IssueDeleted:
    issue = obj(document.get("issue"), "issue")
    return IssueDeleted(
        issue_key=required_text(issue.get("key"), "issue.key"),
        issue_id=required_identifier(issue.get("id"), "issue.id"),
        timestamp=_timestamp(document.get("timestamp")),
    )


def _version_released(document: dict[str, Any]) -> VersionReleased:
    version = obj(document.get("version"), "version")
    return VersionReleased(
        version_id=required_identifier(version.get("id"), "version.id"),
        version_name=required_text(version.get("name"), "version.name"),
        project_id=identifier(version.get("projectId"), "version.projectId"),
        timestamp=_timestamp(document.get("timestamp")),
    )


def _version_changed(document: dict[str, Any]) -> VersionChanged | None:
    """The version's id is all that is needed (its issues are looked up); a body without a
    usable one is acknowledged and ignored, as these events were before they were read:
    nothing of a problem depends on it alone, and a refusal would only bring Jira's retries."""
    try:
        version = obj(document.get("version"), "version")
        name, released = version.get("name"), version.get("released")
        version_id = required_identifier(version.get("id"), "version.id")
        if not version_id.isdigit():  # Jira's are; only a number goes into the look-up
            raise PayloadError("version.id is not a number")
        return VersionChanged(
            version_id=version_id,
            version_name=" ".join(name.split())[:255] or None if isinstance(name, str) else None,
            released=released if isinstance(released, bool) else None,
            timestamp=_timestamp(document.get("timestamp")),
            project_id=identifier(version.get("projectId"), "version.projectId"),
        )
    except PayloadError as exc:
        log.warning(
            "jira.webhook.ignored",
            extra={"jira_event": document.get("webhookEvent"), "known": True, "error": str(exc)},
        )
        return None


_READERS: dict[str, Callable[[dict[str, Any]], JiraEvent | None]] = {
    "jira:issue_updated": _issue_updated,
    "jira:issue_deleted": _issue_deleted,
    "jira:version_released": _version_released,
    "jira:version_updated": _version_changed,
    "jira:version_unreleased": _version_changed,
}


def _category(status: dict[str, Any] | None) -> str | None:
    """None when Jira gives no category (old self-hosted bodies) or one outside the three
    known keys (e.g. "undefined"): the caller then re-reads the issue."""
    if status is None:
        return None
    category = optional_obj(status.get("statusCategory"), "status.statusCategory")
    key = text(category.get("key"), "statusCategory.key") if category else None
    return key if key in STATUS_CATEGORIES else None


def _resolution(value: object) -> str | None:
    resolution = optional_obj(value, "issue.fields.resolution")
    if resolution is None:
        return None
    return required_text(resolution.get("name"), "issue.fields.resolution.name")


def _fix_versions(value: object) -> tuple[FixVersion, ...]:
    versions = []
    for index, item in enumerate(as_list(value if value is not None else [], "fixVersions")):
        version = obj(item, f"fixVersions[{index}]")
        released = version.get("released", False)
        if not isinstance(released, bool):
            raise PayloadError(f"fixVersions[{index}].released is not true or false")
        versions.append(
            FixVersion(
                id=required_identifier(version.get("id"), f"fixVersions[{index}].id"),
                name=required_text(version.get("name"), f"fixVersions[{index}].name"),
                released=released,
            )
        )
    return tuple(versions)


def _labels(fields: dict[str, Any], change: dict[str, Any] | None) -> tuple[str, ...]:
    """The current labels; when the issue omits them, the labels changelog item's
    `toString`, which holds the whole new label set separated by spaces."""
    if fields.get("labels") is not None:
        values = as_list(fields["labels"], "issue.fields.labels")
        return tuple(required_text(label, "issue.fields.labels[]") for label in values)
    if change is not None:
        return tuple((text(change.get("toString"), "labels toString") or "").split())
    return ()


def _actor(value: object) -> str | None:
    user = optional_obj(value, "user")
    if user is None:
        return None
    for key in ("accountId", "emailAddress", "name"):
        found = text(user.get(key), f"user.{key}")
        if found:
            return found
    return None


def _timestamp(value: object) -> datetime:
    """Jira's `timestamp`: epoch milliseconds."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError("timestamp is missing or not epoch milliseconds")
    try:
        return _EPOCH + timedelta(milliseconds=value)
    except (OverflowError, ValueError) as error:  # ValueError: NaN
        raise PayloadError("timestamp is out of range") from error
