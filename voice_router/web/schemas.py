"""Request and response models of the JSON API: the OpenAPI document is generated from them
(spectree), and requests are validated against them before a view runs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["open", "in_progress", "shipped", "wont_fix", "regressed"]


class ErrorOut(BaseModel):
    error: str = Field(description="a stable machine code, e.g. not_found")
    message: str


class JiraLinkOut(BaseModel):
    key: str | None
    url: str | None
    status: str | None
    error: str | None = Field(description="why the last sync failed, if it did")


class ProblemOut(BaseModel):
    id: int
    key: str = Field(description="normalised tag, e.g. sso-login-loop")
    title: str
    status: Status
    customers: int = Field(description="distinct people (one person through two helpdesks is one)")
    accounts: int = Field(description="distinct companies; free-mail domains are not companies")
    mrr: float = Field(description="sum of MRR over the distinct accounts")
    tickets: int = Field(description="distinct helpdesk conversations")
    first_seen: str | None
    last_seen: str | None
    trend_7d: int = Field(
        description="tickets first reported in the last 7 days minus the 7 before"
    )
    trend_30d: int = Field(description="the same over 30 days")
    merged_into: int | None
    jira: JiraLinkOut | None


class ProblemList(BaseModel):
    problems: list[ProblemOut]


class ProblemsQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sort: Literal["impact", "mrr", "recent"] = "impact"
    status: Status | None = None
    q: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=10_000_000)


class PainPointOut(BaseModel):
    id: int
    source: str
    ticket_id: str
    ticket_url: str | None
    subject: str | None
    tag: str
    customer_email: str | None
    customer_name: str | None
    account: str | None
    agent_email: str | None
    agent_name: str | None
    reported_at: str | None
    last_event_at: str | None


class NoteOut(BaseModel):
    id: int
    body: str
    author: str
    arr_at_risk: float | None
    created_at: str | None


class QuoteOut(BaseModel):
    """A short quote in a customer's own words (contacts masked), with account and date."""

    text: str
    account: str | None
    date: str


class ProblemDetail(ProblemOut):
    pain_points: list[PainPointOut]
    notes: list[NoteOut]
    quotes: list[QuoteOut]


class NoteIn(BaseModel):
    body: str = Field(min_length=1, max_length=10_000)
    arr_at_risk: float | None = Field(default=None, ge=0, lt=1e12)


class MergeIn(BaseModel):
    into: int = Field(ge=1, lt=2**31, description="id of the problem that survives")


class TitleIn(BaseModel):
    title: str = Field(min_length=1, max_length=300)


class JiraKeyIn(BaseModel):
    key: str = Field(min_length=1, max_length=50, pattern=r"^\s*[A-Za-z][A-Za-z0-9_]*-\d+\s*$")


class SuggestionOut(BaseModel):
    problem: ProblemOut
    score: float
    reasons: list[str]


class SuggestionList(BaseModel):
    suggestions: list[SuggestionOut]


class RecipientOut(BaseModel):
    customer_email: str | None
    customer_name: str | None
    account: str | None
    agent_email: str | None
    source: str
    ticket_id: str
    ticket_url: str | None
    reported_at: str | None
    notified: bool
    draft: str = Field(
        description="a ready-to-send message for the agent: the customer's name, the "
        "problem in their words, what changed, signed by the agent"
    )


class NotifyOut(BaseModel):
    shipped: bool
    status: Status
    recipients: list[RecipientOut]


class MarkSentIn(BaseModel):
    customer_emails: list[str] = Field(min_length=1, max_length=10_000)


class MarkSentOut(BaseModel):
    marked: list[str]
    unknown: list[str]
