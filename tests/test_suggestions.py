"""Merge suggestions (voice_router/problems/suggestions.py): which problems are offered as likely
duplicates, and the reasons shown. How good they are is measured by bench/suggestions.py
over tests/data/suggestions.json, not asserted here."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests.support import generic_delivery, post_signed
from voice_router.models import Problem
from voice_router.platform.errors import NotFound
from voice_router.problems.merging import merge
from voice_router.problems.similarity import as_name, name_similarity
from voice_router.problems.suggestions import suggest
from voice_router.problems.tags import TagMatcher

DATA = Path(__file__).parent / "data" / "suggestions.json"


def report(client, ticket, tag, email="pat@acme.example", subject="Something is broken", **extra):
    body = generic_delivery(ticket, email, [tag], subject=subject, **extra)
    assert post_signed(client, "generic", body).status_code == 202


def ids(runtime) -> dict[str, int]:
    with Session(runtime.engine) as session:
        return {p.key: p.id for p in session.exec(select(Problem)).all()}


def suggestions(runtime, key: str, limit: int = 3):
    with Session(runtime.engine) as session:
        return suggest(session, ids(runtime)[key], limit)


def keys_of(runtime, found) -> list[str]:
    by_id = {pid: key for key, pid in ids(runtime).items()}
    return [by_id[s.problem_id] for s in found]


def test_a_tag_variant_is_suggested_with_the_similar_name(client, runtime):
    report(client, "T1", "pain-sso-login-loop")
    report(client, "T2", "pain-login-loop-sso", email="sam@globex.example")
    report(client, "T3", "pain-invoice-pdf-missing", email="kim@initech.example")

    [found] = suggestions(runtime, "sso-login-loop")

    assert keys_of(runtime, [found]) == ["login-loop-sso"]
    assert 0.5 <= found.score <= 1
    assert found.reasons[0] == "similar name: 'sso-login-loop' ~ 'login-loop-sso' (100%)"


@pytest.mark.parametrize(
    ("tag", "variant"),
    [
        ("pain-invoice-pdf-missing", "pain-invoices-pdf-missing"),  # plural
        ("pain-invoice-pdf-missing", "pain-invocie-pdf-missing"),  # typo
        ("pain-sso-login-loop", "pain:Single_Sign_On_Login_Loop"),  # acronym spelled out
        ("pain-sso-login-loop", "pain-sso-loginloop"),  # joined words
        ("pain-email-notifications-missing", "pain-e-mail-notifications-missing"),
        ("pain-pwd-reset-email-missing", "pain-password-reset-email-missing"),
    ],
)
def test_spelling_variants_of_a_tag_are_suggested(client, runtime, tag, variant):
    report(client, "T1", tag)
    report(client, "T2", variant, email="sam@globex.example")
    report(client, "T3", "pain-search-slow", email="kim@initech.example")

    key, variant_key = (TagMatcher(["pain-*", "pain:*"]).problem_key(t) for t in (tag, variant))
    found = suggestions(runtime, key)

    assert keys_of(runtime, found) == [variant_key]
    assert found[0].reasons[0].startswith(f"similar name: '{key}' ~ '{variant_key}'")


def test_shared_accounts_are_a_reason_biggest_first(client, runtime):
    companies = [("Initech", "initech", 100), ("Globex", "globex", 900), ("Acme", "acme", 500)]
    for n, (company, domain, mrr) in enumerate(companies):
        for tag in ("pain-export-timeout", "pain-export-timeouts"):
            email = f"{tag[-1]}{n}@{domain}.example"
            report(client, f"{tag}-{n}", tag, email=email, company=company, mrr=mrr)

    [found] = suggestions(runtime, "export-timeout")

    assert "3 shared accounts: Globex, Acme, Initech" in found.reasons


def test_shared_accounts_rank_a_duplicate_higher(client, runtime):
    report(client, "T1", "pain-export-timeout", email="a@acme.example", company="Acme")
    report(client, "T2", "pain-export-timeouts", email="b@acme.example", company="Acme")
    report(client, "T3", "pain-timeouts-export", email="c@globex.example", company="Globex")

    found = suggestions(runtime, "export-timeout")

    # the same words either way round: the shared account decides
    assert keys_of(runtime, found) == ["export-timeouts", "timeouts-export"]
    assert found[0].score >= found[1].score
    assert "1 shared account: Acme" in found[0].reasons


def test_shared_customers_and_similar_subjects_are_reasons(client, runtime):
    written = ["Okta sign-in loops forever", "Stuck in a login loop after SSO"]
    for n, subject in enumerate(written):
        email = f"person{n}@acme.example"
        report(client, f"A{n}", "pain-okta-login-loop", email=email, subject=subject)
    report(client, "B0", "pain-sso-login-loop", email="person0@acme.example", subject="SSO loops")
    report(client, "B1", "pain-sso-login-loop", email="person1@acme.example", subject="Login loop")

    [found] = suggestions(runtime, "okta-login-loop")

    assert any(
        r.startswith("similar name: 'okta-login-loop' ~ 'sso-login-loop'") for r in found.reasons
    )
    subjects = "similar ticket subjects: 'Stuck in a login loop after SSO' ~ 'Login loop'"
    assert subjects in found.reasons
    assert "2 shared customers: person0@acme.example, person1@acme.example" in found.reasons
    assert "1 shared account: Acme" not in found.reasons  # no company name given
    assert "1 shared account: acme.example" in found.reasons


def test_an_unrelated_problem_is_not_suggested(client, runtime):
    report(client, "T1", "pain-sso-login-loop", subject="Login keeps looping")
    report(client, "T2", "pain-invoice-pdf-missing", subject="Where is my invoice PDF?")
    report(client, "T3", "pain-csv-export-fails", subject="CSV export error")

    assert suggestions(runtime, "sso-login-loop") == []


def test_a_look_alike_problem_is_not_suggested(client, runtime):
    report(client, "T1", "pain-invoice-pdf-missing", subject="Can't download the invoice PDF")
    report(
        client,
        "T2",
        "pain-invoice-email-missing",
        email="sam@globex.example",
        subject="We never got the invoice e-mail",
    )
    report(
        client,
        "T3",
        "pain-missing-invoice-pdf",
        email="kim@initech.example",
        subject="No PDF for last month's invoice",
    )

    found = suggestions(runtime, "invoice-pdf-missing")

    assert keys_of(runtime, found)[0] == "missing-invoice-pdf"
    assert "invoice-email-missing" not in keys_of(runtime, found)


def test_merged_problems_are_not_suggested(client, runtime):
    for n, tag in enumerate(("pain-sso-login-loop", "pain-login-loop-sso", "pain-sso-loop-login")):
        report(client, f"T{n}", tag, email=f"p{n}@acme.example")
    known = ids(runtime)
    merge(runtime.engine, known["login-loop-sso"], known["sso-login-loop"])

    assert keys_of(runtime, suggestions(runtime, "sso-login-loop")) == ["sso-loop-login"]
    assert keys_of(runtime, suggestions(runtime, "sso-loop-login")) == ["sso-login-loop"]
    assert suggestions(runtime, "login-loop-sso") == []  # itself merged: nothing to merge


def test_a_merged_problem_lends_its_name_to_its_survivor(client, runtime):
    report(client, "T1", "pain-sso-login-loop")
    report(client, "T2", "pain-okta-redirect-loop", email="sam@globex.example")
    report(client, "T3", "pain-okta-redirect-loops", email="kim@initech.example")
    known = ids(runtime)
    merge(runtime.engine, known["okta-redirect-loop"], known["sso-login-loop"])

    [found] = suggestions(runtime, "okta-redirect-loops")

    assert found.problem_id == known["sso-login-loop"]
    assert found.reasons[0].startswith("similar name: 'okta-redirect-loops' ~ 'okta-redirect-loop'")


def test_the_problem_itself_is_never_suggested(client, runtime):
    for n, tag in enumerate(("pain-search-slow", "pain-slow-search", "pain-search-slow-again")):
        report(client, f"T{n}", tag, email=f"p{n}@acme.example", subject="Search is slow")
    for key, pid in ids(runtime).items():
        assert pid not in {s.problem_id for s in suggestions(runtime, key)}


@pytest.mark.slow
def test_the_limit_is_respected_best_first(client, runtime):
    tags = ["pain-dashboard-slow", "pain-slow-dashboard", "pain-dashboards-slow"]
    tags += ["pain-dashboard-is-slow", "pain-dashboard-slowness", "pain-slow-dashboards"]
    for n, tag in enumerate(tags):
        report(client, f"T{n}", tag, email=f"p{n}@acme.example")

    assert len(suggestions(runtime, "dashboard-slow", limit=2)) == 2
    assert suggestions(runtime, "dashboard-slow", limit=0) == []
    found = suggestions(runtime, "dashboard-slow", limit=10)
    assert len(found) == 5
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)


def test_a_shipped_problem_scores_a_little_lower(client, runtime):
    for n, tag in enumerate(("pain-login-slow", "pain-slow-login", "pain-logins-slow")):
        report(client, f"T{n}", tag, email=f"p{n}@acme.example")
    before = {keys_of(runtime, [s])[0]: s.score for s in suggestions(runtime, "login-slow")}
    with Session(runtime.engine) as session:
        shipped = session.exec(select(Problem).where(Problem.key == "slow-login")).one()
        shipped.status = "shipped"
        session.add(shipped)
        session.commit()

    after = {keys_of(runtime, [s])[0]: s.score for s in suggestions(runtime, "login-slow")}

    assert after["slow-login"] < before["slow-login"]
    assert after["logins-slow"] == before["logins-slow"]


def test_an_unknown_problem_is_not_found(runtime):
    with Session(runtime.engine) as session, pytest.raises(NotFound):
        suggest(session, 4242)


def test_the_api_serialises_suggestions(client, runtime):
    from tests.support import token

    report(client, "T1", "pain-sso-login-loop")
    report(client, "T2", "pain-login-loop-sso", email="sam@globex.example")
    problem_id = ids(runtime)["sso-login-loop"]

    response = client.get(f"/api/v1/problems/{problem_id}/suggestions", headers=token(runtime))

    assert response.status_code == 200, response.get_json()
    [item] = response.get_json()["suggestions"]
    assert item["problem"]["key"] == "login-loop-sso"
    assert item["reasons"][0].startswith("similar name:")


# ---------------------------------------------------------------- names, without a database


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("sso-login-loop", "login-loop-sso"),
        ("notifications-delayed", "notification-delay"),
        ("csv-export-fails", "csv-export-failing"),
    ],
)
def test_word_order_and_endings_do_not_matter(a, b):
    assert name_similarity(as_name(a), as_name(b), {}) == 1.0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("sso-login-loop", "single-sign-on-login-loop"),
        ("gcal-sync-broken", "google-calendar-sync-broken"),
        ("push-notif-missing", "push-notification-missing"),
        ("img-preview-broken", "image-preview-broken"),
        ("dashbaord-slow", "dashboard-slow"),
        ("e-mail-bounces", "email-bounces"),
    ],
)
def test_abbreviations_joins_and_typos_match(a, b):
    assert name_similarity(as_name(a), as_name(b), {}) >= 0.8


def test_look_alikes_score_below_variants():
    variant = name_similarity(as_name("invoice-pdf-missing"), as_name("invoices-pdf-missing"), {})
    look_alike = name_similarity(
        as_name("invoice-pdf-missing"), as_name("invoice-email-missing"), {}
    )
    assert look_alike < 0.7 < variant


def test_the_name_index_finds_exactly_the_names_that_are_alike_at_all():
    """Suggestions compare names only with those the index finds: every other name must
    score exactly 0 (over every pair of the labelled set's keys, and their titles)."""
    from voice_router.problems.similarity import NameIndex
    from voice_router.problems.tags import title_from_key

    keys = [p["key"] for p in json.loads(DATA.read_text())["problems"]]
    names = {i: [as_name(key), as_name(title_from_key(key))] for i, key in enumerate(keys)}
    names[len(keys)] = [as_name("e-mail-bounce"), as_name("sso")]  # one-letter words, 1 word
    index = NameIndex(names)
    for my_names in names.values():
        alike = index.alike(my_names)
        for theirs, their_names in names.items():
            score = max(name_similarity(a, b, {}) for a in my_names for b in their_names)
            assert (score > 0) == (theirs in alike), (my_names[0].text, their_names[0].text)


# ---------------------------------------------------------------- the labelled set


def test_the_labelled_set_is_consistent():
    data = json.loads(DATA.read_text())
    matcher = TagMatcher(["pain-*", "pain:*"])
    cluster = {p["key"]: p["cluster"] for p in data["problems"]}
    assert len(cluster) == len(data["problems"])
    for problem in data["problems"]:
        assert matcher.problem_key(problem["tag"]) == problem["key"]
        assert problem["tickets"] and problem["split"] in ("tuning", "held_out")
    assert len(data["pairs"]) >= 200
    ids = [c["id"] for c in data["clusters"]]
    fresh = data["fresh_clusters"]  # the last clusters added, the fair held-out test
    assert fresh and fresh == ids[len(ids) - len(fresh) :]
    for pair in data["pairs"]:
        assert (cluster[pair["a"]] == cluster[pair["b"]]) is pair["duplicate"], pair


def test_the_labelled_first_messages_are_consistent():
    """Each written first message (tests/data/suggestions_messages.py) goes to at most one
    ticket, of its own cluster; the other tickets have a filler message or none."""

    sys.path.insert(0, str(DATA.parent))
    from make_suggestions_set import build
    from suggestions_messages import FILLER_MESSAGES, MESSAGES

    data = json.loads(DATA.read_text())
    assert build() == data  # the generator is deterministic, and the file is its output
    assert set(MESSAGES) == {c["id"] for c in data["clusters"]}
    used: dict[str, str] = {}
    tickets = [(p["cluster"], t) for p in data["problems"] for t in p["tickets"]]
    for cluster, ticket in tickets:
        message = ticket["first_message"]
        if message is None or message in FILLER_MESSAGES:
            continue
        assert message in MESSAGES[cluster], (cluster, message)
        assert message not in used, (cluster, message)
        used[message] = cluster
    written = sum(len(messages) for messages in MESSAGES.values())
    none = sum(ticket["first_message"] is None for _, ticket in tickets)
    assert len(used) >= 0.9 * written and 0.2 <= none / len(tickets) <= 0.4
