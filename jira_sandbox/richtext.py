"""Rich-text fields (description, comment bodies) per REST API version, as Jira takes them.

* `/rest/api/3` takes and returns ADF documents; a string is refused.
* `/rest/api/2` (and `latest`) takes and returns wiki-markup strings; an ADF object is refused.
* Either way the text may hold at most 32,767 characters (an ADF document counts as its
  compact JSON: Jira stores the document, so its markup counts as well).

Stored values keep the form they were written in; reads in the other version convert them
(`for_version`) so a v2 client always sees a string and a v3 client a document.

Messages: "Operation value must be an Atlassian Document (see the Atlassian Document
Format)", "Operation value must be a string", "Comment body is not valid!", "INVALID_INPUT"
and the too-long message are Jira Cloud's as seen in public bug reports (see README.md).
"""

from __future__ import annotations

import json
from typing import Any

from . import adf
from .errors import JiraError

LIMIT = 32767
NOT_ADF = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
NOT_STRING = "Operation value must be a string"
BAD_COMMENT = "Comment body is not valid!"
EMPTY_COMMENT = "Comment body can not be empty!"
INVALID_ADF = "INVALID_INPUT"
TOO_LONG = {
    "cloud": "The entered text is too long. It exceeds the allowed limit of 32,767 characters.",
    "datacenter": "The entered text is too long. It exceeds the allowed limit of 32767 characters.",
}


def length(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def check_description(value: Any, api_version: str, deployment: str) -> None:
    """Raise ValueError (a field error) or JiraError (a request error) as Jira would."""
    if value is None:
        return
    if api_version == "3":
        if not isinstance(value, dict):
            raise ValueError(NOT_ADF)
        if adf.problems(value):
            raise JiraError(400, INVALID_ADF)
    elif not isinstance(value, str):
        raise ValueError(NOT_STRING)
    if length(value) > LIMIT:
        raise ValueError(TOO_LONG[deployment])


def comment_problem(body: Any, api_version: str, deployment: str) -> str | None:
    """Jira's message for an unacceptable comment body, or None."""
    if body is None or body == "" or (isinstance(body, str) and not body.strip()):
        return EMPTY_COMMENT
    if api_version == "3":
        if not adf.is_document(body) or adf.problems(body):
            return BAD_COMMENT
        if not adf.to_text(body).strip():
            return EMPTY_COMMENT
    elif not isinstance(body, str):
        return BAD_COMMENT
    if length(body) > LIMIT:
        return TOO_LONG[deployment]
    return None


def check_comment(body: Any, api_version: str, deployment: str) -> None:
    problem = comment_problem(body, api_version, deployment)
    if problem is not None:
        raise JiraError(400, [], {"comment": problem})


def for_version(value: Any, api_version: str) -> Any:
    """A stored rich-text value as the given API version returns it."""
    if value is None:
        return None
    if api_version == "3":
        return value if isinstance(value, dict) else adf.from_text(str(value))
    return adf.to_text(value) if isinstance(value, dict) else value


def version_of(api: str) -> str:
    """'3' for a `.../rest/api/3` base, else '2'."""
    return "3" if api.rstrip("/").endswith("/rest/api/3") else "2"


def plain(value: Any) -> str | None:
    """Text for changelogs and JQL `~`: documents as their text."""
    if value is None:
        return None
    return adf.to_text(value) if isinstance(value, dict) else str(value)
