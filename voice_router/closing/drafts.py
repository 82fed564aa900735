"""A message for each customer on a notify list, ready for their agent to send.

Specific and warm, never "Dear user, your issue is resolved": it greets the customer by
name, gives back the problem in their own words (their quote, else the problem's title),
says what changed (the fix version Jira names, when it does) and is signed by the agent who
handled their ticket. Someone who reported the problem after its fix shipped (what makes it
`regressed`) is thanked for the news, not told their own report back as the news. Someone
told of a fix that did not hold (it came back, or its issue was reopened) hears that first,
with an apology, not a second "it's fixed" as if it were the first. Plain
text; every output escapes it its own way (HTML by the template, CSV against formulas, JSON
as a string).
"""

from __future__ import annotations

from datetime import datetime

from voice_router.closing.fix_versions import in_versions
from voice_router.closing.text import one_line
from voice_router.platform.clock import to_utc

NAME_CHARS = 80
# Titles a name may start with, and letters after a comma that are not a first name
# ("Maria Lopez, PhD"); compared without dots, case-insensitively.
HONORIFICS = frozenset(
    {"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "professor", "sir", "dame", "madam"}
    | {"mme", "mlle", "herr", "frau", "sr", "sra", "srta"}
)
SUFFIXES = frozenset(("jr", "sr", "ii", "iii", "iv", "phd", "md", "dds", "esq", "mba", "msc"))


def _bare(word: str) -> str:
    return word.rstrip(".,").casefold()


def first_name(name: str | None) -> str:
    """The name to greet: "Maria" of "Maria Lopez", "Dr. Maria Lopez", "Lopez, Maria" and
    "Maria Lopez, PhD". When it is not clear which word is a first name ("Dr. Lopez", an
    initial, a script without capitals, which may write the family name first) the name as
    written; "" when there is none to greet (no letters, only a title, an e-mail address)."""
    full = one_line(name, NAME_CHARS).strip(" ,")
    if "@" in full or not any(c.isalpha() for c in full):
        return ""
    head, comma, tail = full.partition(",")
    head, tail = head.strip(), tail.strip(" ,")
    last_first = bool(comma and tail) and _bare(tail.split()[0]) not in SUFFIXES
    words = (tail if last_first else head).split()
    given = [w for w in words if _bare(w) not in HONORIFICS]
    if not given:
        return ""
    first = given[0].rstrip(",")
    titled_surname = len(given) == 1 and len(words) > 1 and not last_first  # "Dr. Lopez"
    initial = len(first.rstrip(".")) < 2
    caseless = not any(c.isupper() or c.islower() for c in first)
    if titled_surname or initial or caseless:
        return " ".join([*words, head] if last_first else words)
    return first


def when_told(reported_at: datetime | None, now: datetime) -> str:
    """When the customer told us, as a person would say it in a reply: "Earlier today",
    "Yesterday", "On Tuesday" (within the week), "On 3 November" (within about ten months,
    so a month name cannot mean last year's as well), else "Back in March 2025" — by UTC
    days, in a draft the agent reads before sending; "A while ago" without a date."""
    if reported_at is None:
        return "A while ago"
    then, today = to_utc(reported_at), to_utc(now)
    days = (today.date() - then.date()).days
    if days <= 0:
        return "Earlier today"
    if days == 1:
        return "Yesterday"
    if days < 7:
        return f"On {then:%A}"
    if days < 300:
        return f"On {then.day} {then:%B}"
    return f"Back in {then:%B %Y}"


def draft_message(
    customer_name: str | None,
    their_words: str,
    problem_title: str,
    status: str,
    fix_version: str | None,
    agent_name: str | None,
    after_ship: bool = False,
    told_when: str = "A while ago",
    fix_told_when: str | None = None,
) -> str:
    """The draft for one customer; `their_words` is already a quote (quotes.quote_of).
    `after_ship`: they reported it after the fix had shipped (what made a problem
    `regressed`), so the draft thanks them for the news instead of telling it back.
    `told_when` starts the sentence of what they told us (`when_told`); `fix_told_when`,
    of when we told them of a fix that has not held (`when_told`), if we did."""
    greeting = f"Hi {first_name(customer_name) or 'there'},"
    words = their_words.rstrip(" .")
    said = (
        f"you told us: “{words}”"
        if words
        else f"you told us about a problem with {one_line(problem_title, 200)}"
    )
    where = in_versions(fix_version)
    wrote = f"{fix_told_when} we wrote to you that it was fixed" if fix_told_when else ""
    again = "The team is on it again; I'll write as soon as it's fixed for good."
    if after_ship and status in ("shipped", "regressed"):
        what = f": “{words}”" if words else f" about {one_line(problem_title, 200)}"
        sorry = f" {wrote}, and I'm sorry it wasn't so." if wrote else ""
        news = (
            f"Thank you for letting us know{what}. We had shipped a fix for it{where}, so your "
            f"report tells us it isn't over yet.{sorry} I've passed it on to our product "
            "team, and they are looking at it again."
        )
        ask = "I'll write to you myself as soon as it's sorted out for good."
    elif status == "shipped" and wrote:
        news = (
            f"{told_when} {said}. {wrote}, but that fix didn't hold, and I'm sorry about "
            f"that. Now a new fix has gone out{where}, so you shouldn't run into it any more."
        )
        ask = "If you still see it, just reply here and I'll look into it myself."
    elif status == "shipped":
        news = (
            f"{told_when} {said}. Thank you for that, it helped. I'm glad to say it's fixed: "
            f"the fix went out{where}, so you shouldn't run into it any more."
        )
        ask = "If you still see it, just reply here and I'll look into it myself."
    elif wrote:  # it came back, or its issue was reopened
        held = "it has come back" if status == "regressed" else "that fix didn't hold"
        news = f"{told_when} {said}. {wrote}, but {held}, and I'm sorry about that."
        ask = again
    elif status == "regressed":
        news = (
            f"{told_when} {said}. We shipped a fix, but it has come back, and I didn't want "
            "you to be surprised by it."
        )
        ask = again
    else:
        news = (
            f"{told_when} {said}. Thank you for that. I've passed it on to our product team, "
            "together with what other customers told us about it."
        )
        ask = "It isn't fixed yet; I'll write to you myself as soon as it is."
    signature = one_line(agent_name, NAME_CHARS)
    closing = f"Best,\n{signature}" if signature else "Best,\nYour support team"
    return "\n\n".join([greeting, news, ask, closing])
