"""The JQL tokenizer/parser and evaluator on their own (no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jira_sandbox import SandboxState
from jira_sandbox.errors import JiraError
from jira_sandbox.jql import BoolOp, Clause, JqlSyntaxError, Not, parse
from jira_sandbox.jql_eval import compile_query
from jira_sandbox.lifecycle import create_issue

pytestmark = pytest.mark.usefixtures("jira_openapi_check")


def test_and_binds_tighter_than_or() -> None:
    query = parse("labels = a OR labels = b AND project = PROD")

    assert isinstance(query.where, BoolOp) and query.where.op == "or"
    assert isinstance(query.where.items[1], BoolOp) and query.where.items[1].op == "and"


def test_keywords_are_case_insensitive_and_values_keep_quotes() -> None:
    query = parse('labels In ("voice-router", x) and Not status = Done order by updated desc')

    assert isinstance(query.where, BoolOp)
    labels, negated = query.where.items
    assert isinstance(labels, Clause) and labels.op == "in"
    assert [(v.text, v.quoted) for v in labels.values] == [("voice-router", True), ("x", False)]
    assert isinstance(negated, Not)
    assert [(o.field, o.descending) for o in query.order] == [("updated", True)]


@pytest.mark.parametrize(
    ("text", "op"),
    [
        ("resolution IS EMPTY", "is"),
        ("resolution is not null", "is not"),
        ("key NOT IN (PROD-1)", "not in"),
        ('summary ~ "crash"', "~"),
        ("cf[10050] >= 3", ">="),
    ],
)
def test_operators(text: str, op: str) -> None:
    clause = parse(text).where

    assert isinstance(clause, Clause) and clause.op == op


@pytest.mark.parametrize(
    "text",
    ["labels =", "= x", "labels in x", "(labels = a", "labels = a)", "order updated", "a ! b"],
)
def test_malformed_jql_raises_a_jira_style_message(text: str) -> None:
    with pytest.raises(
        JqlSyntaxError, match=r"^Error in the JQL Query: .*\(line 1, character \d+\)"
    ):
        parse(text)


def make_state() -> SandboxState:
    state = SandboxState(clock=lambda: datetime(2026, 1, 5, 12, 0, tzinfo=UTC))
    for summary, labels, impact in [("Crash on save", ["a"], 3), ("Slow export", ["b"], None)]:
        fields = {
            "project": {"key": "PROD"},
            "issuetype": {"name": "Bug"},
            "summary": summary,
            "labels": labels,
            "customfield_10050": impact,
        }
        create_issue(state, fields, None, state.bot)
    return state


@pytest.fixture
def state() -> SandboxState:
    return make_state()


def keys(state: SandboxState, jql: str) -> list[str]:
    predicate, order = compile_query(state, jql)
    return [i.key for i in order([i for i in state.issues.values() if predicate(i)])]


def test_number_text_and_relative_date_clauses(state: SandboxState) -> None:
    assert keys(state, "cf[10050] >= 3") == ["PROD-1"]
    assert keys(state, '"Customer impact" is EMPTY') == ["PROD-2"]
    assert keys(state, 'summary ~ "EXPORT"') == ["PROD-2"]
    assert keys(state, "created >= -1d ORDER BY key ASC") == ["PROD-1", "PROD-2"]
    assert keys(state, "created < -1w") == []
    assert keys(state, "project = PROD") == ["PROD-2", "PROD-1"]  # default: newest first


def test_not_equal_skips_issues_without_a_value(state: SandboxState) -> None:
    assert keys(state, "resolution != Done") == []
    assert keys(state, "resolution = Unresolved ORDER BY key") == ["PROD-1", "PROD-2"]
    assert keys(state, "labels in (EMPTY, b)") == ["PROD-2"]
    assert keys(state, "cf[10050] = EMPTY") == ["PROD-2"]


STATE = make_state()  # read-only below: searching never changes state


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("()=!<>~,\"' abcdelnoprstuxyz019-[]ANDORNTIS")), max_size=40
    )
)
def test_any_text_is_either_a_query_or_a_jira_400(text: str) -> None:
    try:
        keys(STATE, text)
    except JiraError as exc:
        assert exc.status == 400
        assert exc.messages and not exc.errors
