"""Turns a parsed JQL query into a filter and a sort over the sandbox's issues.

Supported fields: project, key/issuekey/id, labels, status, statusCategory, resolution,
fixVersion (with releasedVersions() / unreleasedVersions()), issuetype, priority,
created/updated/resolved, summary/description/text (`~`), and the number custom field.
Anything else is answered with Jira's 400, so unsupported JQL never silently matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from . import jql
from .errors import JiraError
from .jql_fields import Field, FieldTable
from .state import Issue, SandboxState

UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
PERIOD = re.compile(r"^([-+]?)((?:\d+[wdhm]\s*)+)$")
UNIT = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
}
SET_OPS = {"=", "!=", "in", "not in", "is", "is not"}
ORDERED_OPS = {"=", "!=", ">", ">=", "<", "<=", "is", "is not"}

Predicate = Callable[[Issue], bool]


def _bad(message: str) -> JiraError:
    return JiraError(400, message)


def _nones_first(get: Callable[[Issue], Any]) -> Callable[[Issue], tuple[bool, Any]]:
    """A sort key on `get` that puts issues without a value before the rest."""
    return lambda issue: (get(issue) is not None, get(issue))


class Compiler:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.field = FieldTable(state).field

    # -- compile -------------------------------------------------------------------------

    def node(self, node: jql.Node) -> Predicate:
        if isinstance(node, jql.BoolOp):
            parts = [self.node(n) for n in node.items]
            combine = all if node.op == "and" else any
            return lambda issue: combine(p(issue) for p in parts)
        if isinstance(node, jql.Not):
            inner = self.node(node.item)
            return lambda issue: not inner(issue)
        return self.clause(node)

    def clause(self, clause: jql.Clause) -> Predicate:
        fld = self.field(clause.field)
        allowed = {
            "set": SET_OPS,
            "date": ORDERED_OPS,
            "number": ORDERED_OPS,
            "text": {"~", "!~", "is", "is not"},
        }[fld.kind]
        if clause.op not in allowed:
            op = clause.op.upper()
            raise _bad(f"The operator '{op}' is not supported by the '{clause.field}' field.")
        op = clause.op
        if op in ("=", "!=") and clause.values[0].is_empty:
            op = "is" if op == "=" else "is not"
        if op in ("is", "is not"):
            want_empty = op == "is"
            return lambda issue: (not fld.get(issue)) == want_empty
        if fld.kind == "set":
            return self._set_clause(fld, clause)
        if fld.kind == "text":
            needle = clause.values[0].text.lower()
            negate = clause.op == "!~"
            return lambda issue: (
                bool(fld.get(issue)) and (needle in str(fld.get(issue)).lower()) != negate
            )
        literal = self._date(clause) if fld.kind == "date" else self._number(clause)
        compare = _COMPARE[clause.op]
        return lambda issue: fld.get(issue) is not None and compare(fld.get(issue), literal)

    def _set_clause(self, fld: Field, clause: jql.Clause) -> Predicate:
        assert fld.resolve is not None
        wanted: set[str] = set()
        match_empty = False
        for value in clause.values:
            if value.function and fld.name != "fixVersion":
                raise _bad(f"Unable to find JQL function '{value.text}()'.")
            if value.is_empty or (fld.name == "resolution" and value.text.lower() == "unresolved"):
                match_empty = True
            else:
                wanted |= fld.resolve(value)
        if clause.op in ("=", "in"):
            return lambda issue: (
                bool(fld.get(issue) & wanted) or (match_empty and not fld.get(issue))
            )
        return lambda issue: bool(fld.get(issue)) and not fld.get(issue) & wanted

    def _date(self, clause: jql.Clause) -> datetime:
        text = clause.values[0].text.strip()
        if text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, UTC)
        if match := PERIOD.match(text):
            delta = sum(
                (int(n) * UNIT[u] for n, u in re.findall(r"(\d+)([wdhm])", match[2])), timedelta()
            )
            return self.state.clock() + (-delta if match[1] == "-" else delta)
        for fmt in DATE_FORMATS:
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=UTC)
            except ValueError:
                continue
        raise _bad(
            f"Date value '{text}' for field '{clause.field}' is invalid. Valid formats include: "
            "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', "
            "or a period format e.g. '-5d', '4w 2d'."
        )

    @staticmethod
    def _number(clause: jql.Clause) -> float:
        try:
            return float(clause.values[0].text)
        except ValueError:
            raise _bad(f"The value '{clause.values[0].text}' is not a number.") from None

    def order(self, items: tuple[jql.OrderItem, ...]) -> Callable[[list[Issue]], list[Issue]]:
        keys = []
        for item in items:
            fld = self.field(item.field)
            if fld.sort is None:
                raise _bad(f"Field '{item.field}' does not support sorting.")
            keys.append((fld.sort, item.descending))

        def sort(issues: list[Issue]) -> list[Issue]:
            result = sorted(issues, key=lambda i: i.id, reverse=True)
            for get, descending in reversed(keys):
                result.sort(key=_nones_first(get), reverse=descending)
            return result

        return sort


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


def compile_query(
    state: SandboxState, text: str, *, require_bound: bool = True
) -> tuple[Predicate, Callable[[list[Issue]], list[Issue]]]:
    """Parse and check `text` against the state; raises JiraError(400) like Jira does."""
    try:
        query = jql.parse(text)
    except jql.JqlSyntaxError as exc:
        raise _bad(str(exc)) from None
    if query.where is None and require_bound:
        raise _bad(UNBOUNDED)
    compiler = Compiler(state)
    predicate = compiler.node(query.where) if query.where is not None else (lambda _: True)
    return predicate, compiler.order(query.order)
