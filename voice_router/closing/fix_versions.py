"""The fix versions Jira names for a problem's issue: how they are stored, and how every
message names them ("in version 2.4.0", "in versions 2.4.0 and 2.5.0").

`problem.jira_fix_version` holds the names one a line: a version name may hold ", " itself
("2.4, hotfix"), so names joined by ", " could not be told apart again, and a message read
"in version 2.4.0, 2.5.0". Jira's names are squeezed onto one line before they are stored.
A value stored before this (names joined by ", ", no line break) reads as one name until the
next reconcile pass reads the issue again (tracker/versions.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from voice_router.closing.text import one_line

VERSION_CHARS = 120  # one name in a message
STORED_CHARS = 255  # problem.jira_fix_version
SEPARATOR = "\n"


def stored(names: Iterable[str]) -> str | None:
    """The names as the column keeps them: each on one line, as many whole names as fit;
    None for none."""
    kept: list[str] = []
    for name in names:
        squeezed = " ".join(name.split())
        if not squeezed or squeezed in kept:
            continue
        if len(SEPARATOR.join([*kept, squeezed])) > STORED_CHARS:
            if not kept:
                kept.append(squeezed[:STORED_CHARS])
            break
        kept.append(squeezed)
    return SEPARATOR.join(kept) or None


def names_of(value: str | None) -> list[str]:
    """The names a stored value holds, in Jira's order."""
    return [name for name in (value or "").split(SEPARATOR) if name.strip()]


def in_versions(value: str | None) -> str:
    """` in version 2.4.0`, ` in versions 2.4.0 and 2.5.0`, ` in versions 2.4.0, 2.5.0 and
    2.6.0` for the stored names, each on one line and shortened; "" for none."""
    names = [one_line(name, VERSION_CHARS) for name in names_of(value)]
    names = [name for name in names if name]
    if not names:
        return ""
    if len(names) == 1:
        return f" in version {names[0]}"
    return f" in versions {', '.join(names[:-1])} and {names[-1]}"
