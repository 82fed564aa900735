"""News that corrects news its reader heard before: a fix announced as shipped whose version
was then unreleased, or whose issue was then closed as won't fix (the agents' corrections),
and a fix that ships after one its reader heard of did not hold.

A ticket's note (or an agent's digest) said the fix shipped in 2.4.0; then it came back, its
issue was reopened or its version unreleased. The follow-up saying so may have gone out, or
not: the helpdesk refused it for good (Zendesk's 422 on a closed ticket), it was given up,
or the fix shipped again before it came due. Either way, when the next fix ships, its news
says what changed since the earlier one: "Fixed now for Tom Reed …" and "The earlier fix in
version 2.4.0 did not hold: its issue was reopened in Jira after it shipped. The fix has
shipped now in version 2.4.1", never a second "fixed" with nothing between.

The row of the message keeps what that needs (models.Outbound): `fix_told`, the versions
the last shipped news that went out on it named (set as it goes out, outbound.py), and
`amends`, the warning's news, set when a row that carried a warning is owed the shipped news
(told.rearm). A row whose earlier news went out before these were kept (migration 0024)
says "the earlier fix", with no version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from voice_router.closing.fix_versions import in_versions
from voice_router.models import Outbound

WHAT_HAPPENED = {
    "regressed": "The earlier fix{version} came back: it was reported again after it shipped.",
    "reopened": "The earlier fix{version} did not hold: its issue was reopened in Jira after it "
    "shipped.",
    "unreleased": "The earlier fix{version} had not shipped after all: Jira unreleased its "
    "version.",
}
SUBJECT = " (the earlier fix did not hold)"


@dataclass(frozen=True)
class Earlier:
    """The fix its reader heard of before, and what became of it (`news`: regressed,
    reopened, unreleased); `versions` as stored (fix_versions.stored), None when unknown."""

    news: str
    versions: str | None

    def said(self, literal: Callable[[str], str] = str) -> str:
        """`The earlier fix in version 2.4.0 came back: …`, the version through `literal`."""
        return WHAT_HAPPENED[self.news].format(version=literal(in_versions(self.versions)))


def earlier_of(row: Outbound) -> Earlier | None:
    """The earlier fix this shipped news follows, if its reader heard of one that did not
    hold; None for any other message."""
    if row.outcome != "shipped" or row.amends not in WHAT_HAPPENED:
        return None
    return Earlier(row.amends or "", row.fix_told)


def went_out(row: Outbound, fix_version: str | None) -> dict[str, str | None]:
    """What the row keeps once its news went out (or may have): the versions shipped news
    named; what it amended is said."""
    if row.outcome != "shipped":
        return {}
    return {"fix_told": fix_version or "", "amends": None}


def not_released(
    esc: Callable[[str], str], in_version: str, title: str, jira: str, them: str
) -> tuple[str, str]:
    """The agents' correction to a fix announced as shipped whose version was then
    unreleased: (the news, what to do)."""
    version = f" It is{esc(in_version)}, not released yet." if in_version else ""
    news = (
        f"Correction: the fix for {title} has not shipped after all{jira}: Jira no longer has "
        f"it in a released version.{version}"
    )
    ask = (
        f"You were asked to tell {them} it was fixed. If you did, you may want to let them "
        "know the fix is not out yet after all. Here is who you were asked to tell, and what "
        "they wrote:"
    )
    return news, ask


def not_fixed_after_all(
    esc: Callable[[str], str], in_version: str, title: str, jira: str, them: str
) -> tuple[str, str]:
    """The agents' won't-fix digest when they had heard the fix shipped (the issue, Done,
    was then closed as Won't Do): (the news, what to do)."""
    news = (
        f"Correction: the product team has decided that {title} will not be fixed after "
        f"all{jira}. The fix you heard had shipped{esc(in_version)} no longer counts."
    )
    ask = (
        f"You were asked to tell {them} it was fixed. If you did, a straight answer now saves "
        "them running into it again, and lets you close the loop honestly. Here is who to "
        "tell, and what they wrote:"
    )
    return news, ask
