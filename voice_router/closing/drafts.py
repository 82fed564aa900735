"""A message for each customer on a notify list, ready for their agent to send.

Specific and warm, never "Dear user, your issue is resolved": it greets the customer by
name, gives back the problem in their own words (their quote, else the problem's title),
says what changed (the fix version Jira names, when it does) and is signed by the agent who
handled their ticket. Plain text; every output escapes it its own way (HTML by the
template, CSV against formulas, JSON as a string).
"""

from __future__ import annotations

from voice_router.closing.digest import one_line

NAME_CHARS = 80
VERSION_CHARS = 120


def first_name(name: str | None) -> str:
    """The name to greet: the first word of a full name ("Maria" of "Maria Lopez")."""
    words = one_line(name, NAME_CHARS).split()
    return words[0] if words else ""


def draft_message(
    customer_name: str | None,
    their_words: str,
    problem_title: str,
    status: str,
    fix_version: str | None,
    agent_name: str | None,
) -> str:
    """The draft for one customer; `their_words` is already a quote (quotes.quote_of)."""
    greeting = f"Hi {first_name(customer_name) or 'there'},"
    words = their_words.rstrip(" .")
    said = (
        f"you told us: “{words}”"
        if words
        else f"you told us about a problem with {one_line(problem_title, 200)}"
    )
    version = one_line(fix_version, VERSION_CHARS)
    if status in ("shipped",):
        where = f" in version {version}" if version else ""
        news = (
            f"A while ago {said}. Thank you for that, it helped. I'm glad to say it's fixed: "
            f"the fix went out{where}, so you shouldn't run into it any more."
        )
        ask = "If you still see it, just reply here and I'll look into it myself."
    elif status == "regressed":
        news = (
            f"A while ago {said}. We shipped a fix, but it has come back, and I didn't want "
            "you to be surprised by it."
        )
        ask = "The team is on it again; I'll write as soon as it's fixed for good."
    else:
        news = (
            f"A while ago {said}. Thank you for that. I've passed it on to our product team, "
            "together with what other customers told us about it."
        )
        ask = "It isn't fixed yet; I'll write to you myself as soon as it is."
    signature = one_line(agent_name, NAME_CHARS)
    closing = f"Best,\n{signature}" if signature else "Best,\nYour support team"
    return "\n\n".join([greeting, news, ask, closing])
