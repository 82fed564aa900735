"""The write-back note on one helpdesk ticket when its problem's fix ships (and the follow-up
when the fix comes back, its issue is reopened, its version unreleased, or it is closed as
won't fix after all, closing/notes_back.py).

Internal, for whoever opens the ticket: it opens with what changed for the customer who
reported the problem on this ticket, in their words (the ticket's subject, else the start of
their first message), so nobody has to guess whom the note is about or what it means to
them; then the version the fix shipped in; then the problem as voice-router and the product
team call it, as a reference. One agent gets back to each customer: the agent of their latest
ticket, the one the notify list and the digests name. On that ticket the note asks for the
word to the customer; on an older ticket of the same customer it says which ticket and agent
are getting back to them, so two agents do not both write. A ticket whose only reporter was
forgotten (`voice-router forget`) gets no note: nothing new is written about them. A fix
that ships after one the ticket heard of did not hold says what became of that one (AGAIN,
closing/corrections.py).

Everything a customer or a helpdesk chose (names, e-mails, accounts, subjects, agent names,
and the problem's title, which tickets spell) is one line with control and format
characters gone (`text.one_line`), so it cannot start a line that looks like
voice-router's own, nor reorder the note's text; and it goes through `literal`, the
helpdesk client's way of showing text as is (Front's Markdown escaped; HTML helpdesks
escape the whole note themselves).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from voice_router.closing.corrections import Earlier
from voice_router.closing.fix_versions import in_versions
from voice_router.closing.notify import Recipient, Report
from voice_router.closing.shipping import closed_as
from voice_router.closing.text import one_line
from voice_router.models import Problem
from voice_router.platform.settings import Settings

NAME_CHARS = 120
WORDS_CHARS = 300


def _plain(text: str) -> str:
    return text


@dataclass(frozen=True)
class News:
    """What a note says for its news: the opening of each customer's line (`changed`, a
    template of `who` and, when there are any, their `words`; `changed_bare` without), what
    to do on the customer's latest ticket (`here`) and on an older one (`elsewhere`, after
    where the word to them goes), then the line on the fix (a template of the fix `version`
    text and the `jira` issue text)."""

    changed: str
    changed_bare: str
    here: str
    elsewhere: str
    fix: str


SHIPPED = News(
    'Fixed for {who}: "{words}", as they reported on this ticket.',
    "Fixed for {who}: the problem they reported on this ticket.",
    "Let them know, in your own words.",
    "and the word that it is fixed goes to them there: nothing to send from this ticket.",
    "The fix shipped{version}{jira}.",
)
# A fix shipped after the one an earlier note said shipped did not hold (corrections.py): it
# says what became of that one (`earlier`), and a second "Fixed for …" reads as news.
AGAIN = News(
    'Fixed now for {who}: "{words}", as they reported on this ticket.',
    "Fixed now for {who}: the problem they reported on this ticket.",
    "Let them know, in your own words; if they were told of the earlier fix, that it did not "
    "hold and this one fixes it.",
    "and the word that it is fixed now goes to them there: nothing to send from this ticket.",
    "{earlier} The fix has shipped now{version}{jira}; this note takes over from the earlier "
    "ones on this ticket.",
)
# The follow-up on a ticket whose note said the fix shipped, when it came back (notes_back.py).
CAME_BACK = News(
    'Not fixed after all for {who}: "{words}", as they reported on this ticket.',
    "Not fixed after all for {who}: the problem they reported on this ticket.",
    "If they were told it was fixed, they may run into it again: a word from you now saves "
    "them the surprise.",
    "and any word that it is back goes to them there: nothing to send from this ticket.",
    "The fix that shipped{version}{jira} has come back: it was reported again after it "
    "shipped. The earlier note saying it is fixed no longer holds.",
)
# The follow-ups when the fix's Jira issue was reopened, or its version unreleased (a release
# by mistake), after the grace period: the earlier note no longer holds either.
ELSEWHERE = "and any word about it goes to them there: nothing to send from this ticket."
REOPENED = News(
    'Maybe not fixed after all for {who}: "{words}", as they reported on this ticket.',
    "Maybe not fixed after all for {who}: the problem they reported on this ticket.",
    "If they were told it was fixed, you may want to let them know it is being looked at "
    "again, or keep an eye out should they write.",
    ELSEWHERE,
    "The fix that shipped{version}{jira} is being looked at again: its issue was reopened in "
    "Jira (nobody has reported it back). The earlier note saying it is fixed no longer holds.",
)
NOT_RELEASED = News(
    'Not released yet for {who}: "{words}", as they reported on this ticket.',
    "Not released yet for {who}: the problem they reported on this ticket.",
    "If they were told it was fixed, you may want to let them know the fix is not out yet "
    "after all.",
    ELSEWHERE,
    "The fix{version}{jira} has not shipped after all: Jira no longer has it in a released "
    "version. The earlier note saying it is fixed no longer holds.",
)
# The follow-up when the issue, Done, was closed as won't fix after all (Won't Do).
NOT_FIXED_AFTER_ALL = News(
    'Not fixed after all for {who}: "{words}", as they reported on this ticket.',
    "Not fixed after all for {who}: the problem they reported on this ticket.",
    "If they were told it was fixed, you may want to let them know it won't be fixed after all.",
    ELSEWHERE,
    "The fix{version}{jira} does not count as shipped any more: its issue was closed in Jira "
    "as {resolution}. The earlier note saying it is fixed no longer holds.",
)
NEWS = {
    "shipped": SHIPPED,
    "regressed": CAME_BACK,
    "reopened": REOPENED,
    "unreleased": NOT_RELEASED,
    "wont_fix": NOT_FIXED_AFTER_ALL,
}


def note_text(
    settings: Settings,
    problem: Problem,
    listed: list[Recipient],
    source: str,
    ticket_id: str,
    literal: Callable[[str], str] = _plain,
    news: str = "shipped",
    earlier: Earlier | None = None,
) -> str | None:
    """The note for ticket `source:ticket_id` with this news (NEWS; shipped after an
    `earlier` fix that did not hold, AGAIN); None when no customer on the notify list
    reported on it (forgotten, or the report was withdrawn since)."""
    told = AGAIN if news == "shipped" and earlier else NEWS[news]
    said = [
        _about(customer, report, literal, told)
        for customer in listed
        for report in customer.reports
        if (report.source, report.ticket_id) == (source, ticket_id)
    ]
    if not said:
        return None
    version = literal(in_versions(problem.jira_fix_version))
    jira = f" ({problem.jira_key}: {problem.jira_url})" if problem.jira_key else ""
    title = literal(one_line(problem.title, WORDS_CHARS))
    page = f"{settings.base_url.rstrip('/')}/problems/{problem.id}"
    return "\n".join(
        [
            *said,
            told.fix.format(
                version=version,
                jira=jira,
                earlier=earlier.said(literal) if earlier else "",
                resolution=_resolution(settings, problem, literal),
            ),
            f'voice-router problem "{title}": {page}',
        ]
    )


def _resolution(settings: Settings, problem: Problem, literal: Callable[[str], str]) -> str:
    """The issue's resolution as Jira names it (“Won't Do”), else "won't fix"."""
    name = one_line(closed_as(settings, problem.jira_status, problem.jira_resolution), NAME_CHARS)
    return f"“{literal(name)}”" if name else "won't fix"


def _about(customer: Recipient, report: Report, literal: Callable[[str], str], news: News) -> str:
    """What changed for one customer who reported on this ticket, in their words."""
    name = one_line(customer.customer_name, NAME_CHARS)
    email = one_line(customer.customer_email, NAME_CHARS)
    who = literal(name or email or "this customer")
    if customer.account:
        who += f" at {literal(one_line(customer.account, NAME_CHARS))}"
    words = one_line(report.subject or report.words, WORDS_CHARS)
    if words:
        changed = news.changed.format(who=who, words=literal(words))
    else:
        changed = news.changed_bare.format(who=who)
    listed = customer.reports[0] if customer.reports else None
    if listed is None or (listed.source, listed.ticket_id) == (report.source, report.ticket_id):
        return f"{changed} {news.here}"
    # Shown as the notify list shows it (the ticket it was merged into, if it was).
    agent = one_line(customer.agent_name, NAME_CHARS) or one_line(customer.agent_email, NAME_CHARS)
    by = f", handled by {literal(agent)}," if agent else ""
    where = f"{one_line(customer.source, NAME_CHARS)} #{one_line(customer.ticket_id, NAME_CHARS)}"
    where = literal(where)
    return f"{changed} They reported it again later, on ticket {where}{by} {news.elsewhere}"
