"""Duplicates found by meaning (issue 14): problems reported under different tags in different
words find each other; a merged problem's tag keeps counting toward its survivor."""

from __future__ import annotations

from sqlmodel import Session, select

from tests.test_suggestions import ids, report
from voice_router.merging import merge
from voice_router.models import Problem
from voice_router.suggestions import compare, score

PAIRS = [
    (
        ("pain-sso-login-loop", ["Stuck in a login loop after SSO", "SSO redirects back to login"]),
        ("pain-okta-signin", ["Okta sign-in loops forever", "Signing in with Okta never ends"]),
    ),
    (
        ("pain-csv-export-timeout", ["CSV export times out", "Large export never finishes"]),
        ("pain-report-download-hangs", ["Report download hangs", "Downloading the export hangs"]),
    ),
    (
        ("pain-double-charge", ["I was charged twice this month", "Duplicate payment taken"]),
        ("pain-billed-twice", ["Billed twice for one subscription", "Two payments on my card"]),
    ),
]
OTHERS = [
    ("pain-search-no-results", ["Search shows 0 results", "Search can't find contacts"]),
    ("pain-android-app-crash", ["Android app crashes on start", "App closes on my Samsung"]),
    ("pain-dark-mode-unreadable", ["Dark mode text unreadable", "Labels invisible in dark mode"]),
    ("pain-vat-not-applied", ["VAT ID ignored on invoice", "We still pay VAT"]),
]


def test_pairs_in_other_words_under_other_tags_find_each_other(client, runtime):
    n = 0
    for tag, subjects in [problem for pair in PAIRS for problem in pair] + OTHERS:
        for subject in subjects:
            n += 1
            report(client, f"T{n}", tag, email=f"p{n}@c{n}.example", subject=subject)

    for first, second in PAIRS:
        a, b = first[0].removeprefix("pain-"), second[0].removeprefix("pain-")
        assert best_match(runtime, a) == b
        assert best_match(runtime, b) == a


def best_match(runtime, key: str) -> str:
    """The best-scored other problem. (With ten problems nothing stands out of a background
    yet, so `suggest` may offer none: its thresholds are tuned on the labelled set.)"""
    key_ids = ids(runtime)
    with Session(runtime.engine) as session:
        found, groups = compare(session, key_ids[key])
    best = max(found, key=lambda pid: score(found[pid], groups[pid].status))
    return {pid: k for k, pid in key_ids.items()}[best]


def test_a_merged_tag_counts_toward_the_survivor_at_once(client, runtime):
    report(client, "T1", "pain-sso-login-loop", email="ana@acme.example")
    report(client, "T2", "pain-okta-signin", email="ben@globex.example")
    key_ids = ids(runtime)
    merge(runtime.engine, key_ids["okta-signin"], key_ids["sso-login-loop"])

    report(client, "T3", "pain-okta-signin", email="cem@initech.example")  # signed webhook

    with Session(runtime.engine) as session:
        survivor = session.exec(select(Problem).where(Problem.key == "sso-login-loop")).one()
        assert (survivor.customers, survivor.tickets, survivor.accounts) == (3, 3, 3)
