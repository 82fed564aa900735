"""The answer to a form post, shown where the person acted.

`answer_at(section, text)` flashes a message for one section of the next page; the view
redirects to `#<section>-answer`, the message's own id, so the browser scrolls it into view
and moves focus to it (it has tabindex=-1). Messages for no section, or for a section the
page does not have, are shown at the top of the page as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from flask import flash, get_flashed_messages, redirect, url_for
from werkzeug.wrappers import Response

SEPARATOR = "@"


def answer_at(section: str, text: str, kind: str = "success") -> None:
    flash(text, f"{kind}{SEPARATOR}{section}")


def messages(section: str | None = None, placed: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(kind, text) of the flashed messages for `section`; for None (the page top) also
    those whose section is not in `placed`, the sections this page shows answers in."""
    placed = set(placed)
    found = []
    flashed = cast(list[tuple[str, str]], get_flashed_messages(with_categories=True))
    for category, text in flashed:
        kind, _, where = category.partition(SEPARATOR)
        if where == (section or "") or (section is None and where not in placed):
            found.append((kind, text))
    return found


def back_to(problem_id: int, section: str) -> Response:
    """303 to the problem page, scrolled to (and focused on) the section's answer."""
    target = url_for("ui.problem", problem_id=problem_id, _anchor=f"{section}-answer")
    return redirect(target, code=303)
