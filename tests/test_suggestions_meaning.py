"""Duplicates found by meaning (issue 14): problems reported under different tags in different
words find each other; a merged problem's tag keeps counting toward its survivor."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from tests.support import post_signed
from tests.test_customer_voice import freshdesk
from tests.test_suggestions import ids, report
from voice_router.models import Problem, ProblemVector
from voice_router.problems import meaning, vectors
from voice_router.problems.merging import merge
from voice_router.problems.privacy import forget
from voice_router.problems.quotes import excerpt
from voice_router.problems.suggestions import WEIGHTS, compare, suggest

# How tickets read in practice: each side of a pair in its own words, some of them shared
# ("loop", "export", "charged"), and two companies that reported it under both tags.
PAIRS = [
    (
        (
            "pain-sso-login-loop",
            ["Stuck in a login loop after SSO", "SSO redirects back to login", "Login loop"],
        ),
        (
            "pain-okta-signin",
            [
                "Okta sign-in loops forever",
                "Signing in with Okta never ends",
                "SSO login loops",
                "Okta login keeps redirecting",
            ],
        ),
    ),
    (
        (
            "pain-csv-export-timeout",
            ["CSV export times out", "Large export never finishes", "Export timeout"],
        ),
        (
            "pain-report-download-hangs",
            [
                "Report download hangs",
                "Downloading the export hangs",
                "Export times out",
                "CSV download never finishes",
            ],
        ),
    ),
    (
        (
            "pain-double-charge",
            ["I was charged twice this month", "Duplicate payment taken", "Charged twice"],
        ),
        (
            "pain-billed-twice",
            ["Billed twice for one subscription", "Two payments on my card", "Charged twice"],
        ),
    ),
]
OTHERS = [
    ("pain-search-no-results", ["Search shows 0 results", "Search can't find contacts"]),
    ("pain-android-app-crash", ["Android app crashes on start", "App closes on my Samsung"]),
    ("pain-dark-mode-unreadable", ["Dark mode text unreadable", "Labels invisible in dark mode"]),
    ("pain-vat-not-applied", ["VAT ID ignored on invoice", "We still pay VAT"]),
    ("pain-calendar-sync-broken", ["Google Calendar events missing", "Calendar stopped syncing"]),
    ("pain-slack-alerts-missing", ["No Slack alerts any more", "Slack channel gets nothing"]),
    ("pain-dashboard-slow", ["Dashboard takes forever to load", "Home page is very slow"]),
    ("pain-viewer-can-edit", ["Viewers can edit records", "Read-only users change deals"]),
]


def test_pairs_in_other_words_under_other_tags_find_each_other(client, runtime):
    n = 0
    for i, pair in enumerate(PAIRS):
        for tag, subjects in pair:
            for k, subject in enumerate(subjects):
                n += 1
                company = f"pair{i}-{k}" if k < 2 else f"c{n}"  # two companies saw both
                report(client, f"T{n}", tag, email=f"p{n}@{company}.example", subject=subject)
    for tag, subjects in OTHERS:
        for subject in subjects:
            n += 1
            report(client, f"T{n}", tag, email=f"p{n}@c{n}.example", subject=subject)

    key_ids = ids(runtime)
    for first, second in PAIRS:
        a, b = first[0].removeprefix("pain-"), second[0].removeprefix("pain-")
        assert offered(runtime, key_ids[a]) == [key_ids[b]], a
        assert offered(runtime, key_ids[b]) == [key_ids[a]], b


def offered(runtime, problem_id: int) -> list[int]:
    """What the problem page and the API offer as likely duplicates."""
    with Session(runtime.engine) as session:
        return [s.problem_id for s in suggest(session, problem_id)]


def test_a_merged_tag_counts_toward_the_survivor_at_once(client, runtime):
    report(client, "T1", "pain-sso-login-loop", email="ana@acme.example")
    report(client, "T2", "pain-okta-signin", email="ben@globex.example")
    key_ids = ids(runtime)
    merge(runtime.engine, key_ids["okta-signin"], key_ids["sso-login-loop"])

    report(client, "T3", "pain-okta-signin", email="cem@initech.example")  # signed webhook

    with Session(runtime.engine) as session:
        survivor = session.exec(select(Problem).where(Problem.key == "sso-login-loop")).one()
        assert (survivor.customers, survivor.tickets, survivor.accounts) == (3, 3, 3)


def stored_vectors(runtime) -> dict[int, tuple[int, object]]:
    with Session(runtime.engine) as session:
        rows = session.exec(select(ProblemVector)).all()
        return {row.problem_id: (row.tickets, row.updated_at) for row in rows}


def test_vectors_are_stored_as_pain_points_arrive_and_suggestions_only_read_them(client, runtime):
    report(client, "T1", "pain-sso-login-loop", subject="Login loop after SSO")
    report(client, "T2", "pain-okta-signin", email="ben@globex.example", subject="Okta loops")
    okta = ids(runtime)["okta-signin"]
    before = stored_vectors(runtime)
    assert sorted(tickets for tickets, _ in before.values()) == [1, 1]

    report(client, "T3", "pain-okta-signin", email="cem@initech.example", subject="SSO loop")

    after = stored_vectors(runtime)
    assert after[okta][0] == 2 and after[okta][1] != before[okta][1]
    with Session(runtime.engine) as session:
        session.execute(sa.delete(ProblemVector))  # as after an upgrade: no vectors yet
        session.commit()
    meaning._encoder.cache_clear()
    with Session(runtime.engine) as session:
        suggest(session, okta)
        found, _ = compare(session, okta)
        assert not session.new and not session.dirty and not session.deleted
    assert stored_vectors(runtime) == {}  # never written by a read
    assert meaning._encoder.cache_info().misses == 0  # nor encoded: a read loads no encoder
    assert found[ids(runtime)["sso-login-loop"]].meaning == 0

    assert vectors.update(runtime.engine) == 2  # the job that stores them
    with Session(runtime.engine) as session:
        found, _ = compare(session, okta)
    assert found[ids(runtime)["sso-login-loop"]].meaning > 0.1


@pytest.mark.parametrize(
    "stamp, size",
    [
        ("wordllama-256", 1024),  # as rows left by the word-vector release were
        (meaning.MODEL, meaning.DIM * 4),  # this encoder's, from subjects only (no messages)
    ],
)
def test_vectors_of_another_encoder_or_recipe_are_ignored_then_recomputed(
    client, runtime, stamp, size
):
    report(client, "T1", "pain-sso-login-loop", subject="Login loop after SSO")
    report(client, "T2", "pain-okta-signin", email="ben@globex.example", subject="Okta loops")
    key_ids = ids(runtime)
    with Session(runtime.engine) as session:
        session.execute(sa.update(ProblemVector).values(model=stamp, vector=b"\0" * size))
        session.commit()
    with Session(runtime.engine) as session:
        found, _ = compare(session, key_ids["okta-signin"])
    assert found[key_ids["sso-login-loop"]].meaning == 0  # none meanwhile, not zero vectors

    assert vectors.update(runtime.engine) == 2
    with Session(runtime.engine) as session:
        found, _ = compare(session, key_ids["okta-signin"])
    assert found[key_ids["sso-login-loop"]].meaning > 0.1

    with Session(runtime.engine) as session:
        rows = session.exec(select(ProblemVector)).all()
    assert {row.model for row in rows} == {vectors.STAMP}
    assert {len(row.vector) for row in rows} == {meaning.DIM * 4}
    assert vectors.update(runtime.engine) == 0


def test_a_big_problem_is_encoded_again_as_it_grows_not_for_every_ticket(client, runtime):
    """Up to twice SUBJECTS tickets every new one counts; past that, the vector is made again
    once the tickets grew by a tenth. A forgotten person's subjects leave it at once."""

    def tickets_of_vector() -> int:
        (made_for,) = [tickets for tickets, _ in stored_vectors(runtime).values()]
        return made_for

    small = 2 * vectors.SUBJECTS
    for n in range(small):
        report(client, f"T{n}", "pain-export", email=f"p{n}@acme.example", subject=f"Export {n}")
    assert tickets_of_vector() == small  # every ticket so far made it again

    report(client, "T100", "pain-export", email="q@acme.example", subject="Export again")
    assert tickets_of_vector() == small  # 21 tickets: not a tenth more than 20

    report(client, "T101", "pain-export", email="s@acme.example", subject="Export hangs")
    assert tickets_of_vector() == small + 2  # 22: a tenth more

    forget(runtime.engine, "s@acme.example", actor="test")  # "Export hangs" must go
    assert stored_vectors(runtime) == {}
    assert vectors.update(runtime.engine) == 1
    assert tickets_of_vector() == small + 2  # the ticket still counts; its subject is gone


def test_a_drain_makes_a_few_vectors_at_a_time_missing_ones_first(client, runtime):
    for n, tag in enumerate(("pain-export", "pain-import", "pain-login")):
        report(client, f"T{n}", tag, email=f"p{n}@acme.example", subject=f"{tag} fails")
    with Session(runtime.engine) as session:
        session.execute(sa.delete(ProblemVector).where(ProblemVector.problem_id != 1))
        session.execute(sa.update(ProblemVector).values(tickets=0))  # stale, not missing
        session.commit()
    assert vectors.update(runtime.engine, limit=2) == 2
    assert stored_vectors(runtime)[1][0] == 0  # the stale one waits for the missing ones
    assert vectors.update(runtime.engine) == 1
    assert vectors.update(runtime.engine) == 0


# A broad problem whose tickets touch every slow part of the product sits near each of them.
BROAD = (
    "pain-everything-slow",
    [
        "Search is slow today",
        "Dashboard takes ages to load",
        "Reports are slow",
        "Login is slow",
        "Exports are slow",
        "The whole app is slow",
    ],
)
SLOW = [
    ("pain-search-lag", ["Search lags badly", "Searching takes 20 seconds"]),
    ("pain-search-slow", ["Search is very slow", "Search results take forever"]),
    ("pain-dashboard-slow", ["Dashboard takes forever to open", "Home page is slow"]),
    ("pain-slow-reports", ["Reports take minutes to load", "Report page is slow"]),
    ("pain-login-slow", ["Login takes a minute", "Signing in is slow"]),
    ("pain-export-slow", ["Export takes an hour", "CSV export is very slow"]),
]


def test_a_problem_near_everything_counts_for_less_in_meaning(client, runtime):
    """The hubness correction (suggestions.nearness) through the real encoder: the broad
    problem, near every slow part of the product, comes nearer the search problem than
    anything but its duplicate; corrected, it counts for less, and the duplicate alone is
    offered."""
    n = 0
    for tag, subjects in [BROAD, *SLOW, *OTHERS]:
        for subject in subjects:
            n += 1
            report(client, f"T{n}", tag, email=f"p{n}@c{n}.example", subject=subject)
    key_ids = ids(runtime)
    search, broad = key_ids["search-lag"], key_ids["everything-slow"]
    plain = dataclasses.replace(WEIGHTS, hubness=0.0)
    with Session(runtime.engine) as session:
        corrected, _ = compare(session, search, WEIGHTS)
        uncorrected, _ = compare(session, search, plain)
        found = suggest(session, search)
    assert corrected[broad].meaning < uncorrected[broad].meaning - 0.03
    nearest = max(corrected, key=lambda pid: corrected[pid].meaning)
    assert nearest == key_ids["search-slow"]
    assert [s.problem_id for s in found] == [key_ids["search-slow"]]


# Two problems whose tags and subjects say nothing alike: only what the customers wrote in
# their first messages ties them together.
BY_MESSAGE = [
    (
        "pain-cant-get-in",
        [
            ("Urgent", "I sign in with Okta and land on your login page again, round and round."),
            ("Help please", "Since Monday logging in with our company SSO loops back to the "
             "sign-in page forever. Cleared cookies, same thing."),
            ("Still waiting for an answer", "We use Azure AD sign-on, and after the password "
             "it sends us back to the start, over and over."),
        ],
    ),
    (
        "pain-sign-on-redirects",
        [
            ("Not working", "The single sign-on keeps redirecting me between "
             "Azure AD and your login page until the browser gives up."),
            ("Issue", "Our SAML login bounces back to the login screen every time, "
             "nobody in the team can get past it."),
            ("Follow up on my ticket", "Logging in through Okta goes in circles: Okta, your "
             "login page, Okta again."),
        ],
    ),
]  # fmt: skip


def test_problems_tied_only_by_their_first_messages_find_each_other(client, runtime):
    n = 0
    for tag, tickets in BY_MESSAGE:
        for subject, said in tickets:
            n += 1
            body = freshdesk(f"F{n}", f"p{n}@c{n}.example", f"Person {n}", tag, said,
                             company=f"C{n}", subject=subject)  # fmt: skip
            assert post_signed(client, "freshdesk", body).status_code == 202
    for tag, subjects in OTHERS:
        for subject in subjects:
            n += 1
            report(client, f"T{n}", tag, email=f"p{n}@c{n}.example", subject=subject)
    key_ids = ids(runtime)
    a, b = key_ids["cant-get-in"], key_ids["sign-on-redirects"]
    with Session(runtime.engine) as session:
        found, _ = compare(session, a)
    tie = found[b]  # no name, subject word, account or customer in common: meaning alone
    assert (tie.name, tie.subjects, tie.shared_accounts, tie.shared_customers) == (0, 0, 0, 0)
    assert offered(runtime, a) == [b]
    assert offered(runtime, b) == [a]


def test_forget_takes_a_persons_first_messages_out_of_the_vectors(client, runtime):
    mine = "Every time I sign in with Okta I land on the login page again."
    theirs = "SSO login loops forever, reach me at 555-123-4567 or maria@acme-corp.com."
    for n, (email, said) in enumerate(
        [("ana@acme.example", mine), ("maria@acme-corp.com", theirs)]
    ):
        body = freshdesk(f"F{n}", email, "Someone", "pain-sso-login-loop", said)
        assert post_signed(client, "freshdesk", body).status_code == 202
    title = "SSO login loop"
    both = vectors.problem_vector([title, title, "Login trouble"], [mine, excerpt(theirs, 500)])
    (stored,) = stored_rows(runtime)
    assert np.allclose(np.frombuffer(stored.vector, dtype=np.float32), both, atol=1e-5)
    assert "[phone]" in excerpt(theirs, 500) and "[e-mail]" in excerpt(theirs, 500)
    left = vectors.problem_vector([title, title, "Login trouble"], [mine])
    assert not np.allclose(both, left, atol=1e-3)  # her message counted

    forget(runtime.engine, "maria@acme-corp.com", actor="test")
    assert stored_rows(runtime) == []
    assert vectors.update(runtime.engine) == 1
    (stored,) = stored_rows(runtime)
    assert np.allclose(np.frombuffer(stored.vector, dtype=np.float32), left, atol=1e-5)


def stored_rows(runtime) -> list[ProblemVector]:
    with Session(runtime.engine) as session:
        return list(session.exec(select(ProblemVector)).all())
