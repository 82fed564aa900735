"""Why a problem won't be fixed, as Jira has it, for the agents' won't-fix digests: the
issue's resolution (Won't Do, Duplicate, ...: stored when the issue was resolved) and the
latest comment a person made on the issue around then, which is where a product team says
why ("Legacy SSO is retired in June; SAML is the way").

The comment is read from Jira when a digest goes out (Jira's issue webhooks carry no
comments, and a resolution found by the reconcile pass has no webhook at all): one read of
the issue's newest comments per resolution and process, shared by every agent's digest. A
comment counts when a person wrote it (not voice-router's own account, whose comments are
business notes and notices, nor an app such as an automation rule), for everyone who can see
the issue (not restricted to a role or group), no earlier than a day before the resolution.
Jira unreachable or refusing: the digest goes out with the resolution alone.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from voice_router.closing.digest import Why
from voice_router.closing.shipping import closed_as
from voice_router.models import Problem
from voice_router.platform.clock import to_utc
from voice_router.platform.settings import JiraSettings, Settings

log = logging.getLogger(__name__)
WINDOW = timedelta(days=1)  # a comment made this long before the resolution still counts
COMMENTS_READ = 20  # the newest ones: a reason is given about when the issue is resolved
JIRA_TIME = "%Y-%m-%dT%H:%M:%S.%f%z"
# Jira wiki markup (REST v2 comment bodies), made readable: `[label|url]` shows its label,
# a mention its name (an account id says nothing), macros such as `{quote}` go.
LINK = re.compile(r"\[([^\[\]|]*)\|[^\[\]]*\]")
MENTION = re.compile(r"\[~(accountid:)?([^\[\]]*)\]")
MACRO = re.compile(r"\{(?:quote|code|noformat|panel|color)(?::[^{}]*)?\}")


def why_not_fixed(settings: Settings, problem: Problem) -> Why:
    """The resolution, and the latest comment of a person around it where Jira gives one."""
    said = None
    if settings.jira.url and problem.jira_key and problem.shipped_at is not None:
        said = _last_word(
            settings.jira,
            settings.outbound_timeout_seconds,
            problem.jira_key,
            to_utc(problem.shipped_at),
        )
    author, words = said or (None, None)
    return Why(
        resolution=closed_as(settings, problem.jira_status, problem.jira_resolution),
        author=author,
        words=words,
    )


@lru_cache(maxsize=256)
def _last_word(
    jira: JiraSettings, timeout: float, key: str, resolved_at: datetime
) -> tuple[str, str] | None:
    """(author, words) of the comment that says why, if any; None too when Jira could not be
    asked (remembered: the other digests of this resolution do not wait for Jira again)."""
    from integrations.jira.errors import JiraError
    from voice_router.platform.jira_client import client_for

    try:
        client = client_for(jira, timeout)
        ours = _ids(_our_account(jira, timeout))
        comments = client.latest_comments(key, COMMENTS_READ)
    except JiraError as exc:
        log.warning("outbound.why.unread", extra={"issue": key, "reason": exc.reason})
        return None
    return pick(comments, ours, resolved_at)


@lru_cache(maxsize=4)
def _our_account(jira: JiraSettings, timeout: float) -> dict[str, Any]:
    from voice_router.platform.jira_client import client_for

    return client_for(jira, timeout).myself()


def pick(
    comments: list[dict[str, Any]], ours: set[str], resolved_at: datetime
) -> tuple[str, str] | None:
    """The newest comment (`comments` newest first, as Jira's) by a person other than us,
    seen by all, made no earlier than WINDOW before `resolved_at`: (author, plain words)."""
    for comment in comments:
        created = _created(comment)
        if created is None:
            continue
        if created < resolved_at - WINDOW:
            return None
        author = comment.get("author")
        author = author if isinstance(author, dict) else {}
        if _ids(author) & ours or author.get("accountType") == "app":
            continue
        body = comment.get("body")
        if comment.get("visibility") or not isinstance(body, str):
            continue
        words = plain(body)
        if words:
            name = author.get("displayName") or author.get("name")
            return (name if isinstance(name, str) else ""), words
    return None


def plain(wiki: str) -> str:
    """A comment's wiki markup as words: links as their labels, mentions as names."""
    text = MACRO.sub(" ", wiki)
    text = LINK.sub(lambda m: m.group(1), text)
    return MENTION.sub(lambda m: "@someone" if m.group(1) else f"@{m.group(2)}", text).strip()


def _ids(user: dict[str, Any]) -> set[str]:
    """What tells a Jira user apart: the account id (Cloud), the name and key (Data Center)."""
    return {f"{k}:{user[k]}" for k in ("accountId", "key", "name") if isinstance(user.get(k), str)}


def _created(comment: dict[str, Any]) -> datetime | None:
    try:
        return to_utc(datetime.strptime(str(comment.get("created")), JIRA_TIME))
    except ValueError:
        return None
