"""Merging through a preview of the combined counts, and unmerging."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session

from tests.ui.ui_support import csrf_token, form_post, problem_ids, seed_three_problems, sign_in
from voice_router.models import Problem
from voice_router.problems import merging


@pytest.fixture
def pm(client, runtime):
    seed_three_problems(client)
    sign_in(client, runtime, "pm")
    return client


def combined(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-combined="(\w+)">([^<]+)<', html))


def counts(runtime, problem_id: int) -> tuple[int, int, float, int]:
    with Session(runtime.engine) as session:
        p = session.get(Problem, problem_id)
        return p.customers, p.accounts, float(p.mrr), p.tickets


def test_the_preview_shows_distinct_combined_counts_and_writes_nothing(pm, runtime):
    ids = problem_ids(runtime)
    export, login = ids["csv-export"], ids["sso-login"]
    before = counts(runtime, export), counts(runtime, login)
    response = pm.get(f"/problems/{export}/merge?into={login}")
    assert response.status_code == 200
    # sso-login: Ana (Northwind), Bo (Contoso), Cy (free mail); csv-export: Dee (Tyrell), Ana.
    assert combined(response.text) == {
        "customers": "4",
        "accounts": "3",
        "mrr": "10,500",
        "tickets": "5",
    }
    assert "Merge CSV export into SSO login" in response.text
    assert (counts(runtime, export), counts(runtime, login)) == before
    with Session(runtime.engine) as session:
        assert session.get(Problem, export).merged_into_id is None


def test_confirming_the_preview_stores_exactly_the_previewed_counts(pm, runtime):
    ids = problem_ids(runtime)
    export, login = ids["csv-export"], ids["sso-login"]
    preview = pm.get(f"/problems/{export}/merge?into={login}")
    response = pm.post(
        f"/problems/{export}/merge", data={"into": login, "csrf_token": csrf_token(preview.text)}
    )
    assert response.status_code == 303 and response.headers["Location"] == f"/problems/{login}"
    assert counts(runtime, login) == (4, 3, 10500.0, 5)
    survivor = pm.get(f"/problems/{login}").text
    assert "Merged. The counts below include the merged problem." in survivor
    assert "Unmerge CSV export" in survivor
    merged = pm.get(f"/problems/{export}").text
    assert "Merged into" in merged and f'href="/problems/{login}"' in merged


def test_unmerge_restores_both_problems(pm, runtime):
    ids = problem_ids(runtime)
    export, login = ids["csv-export"], ids["sso-login"]
    before = counts(runtime, export), counts(runtime, login)
    merging.merge(runtime.engine, export, login)
    response = form_post(pm, f"/problems/{login}", f"/problems/{export}/unmerge")
    assert response.status_code == 303 and response.headers["Location"] == f"/problems/{export}"
    assert (counts(runtime, export), counts(runtime, login)) == before
    assert "Unmerged" in pm.get(f"/problems/{export}").text


def test_the_preview_says_why_a_merge_is_impossible(pm, runtime):
    ids = problem_ids(runtime)
    merging.merge(runtime.engine, ids["pdf-invoice"], ids["sso-login"])
    response = pm.get(f"/problems/{ids['csv-export']}/merge?into={ids['pdf-invoice']}")
    assert "This merge is not possible" in response.text
    assert "merge into its survivor instead" in response.text
    assert 'action="/problems/' not in response.text.split("preview-h")[1]
    itself = pm.get(f"/problems/{ids['csv-export']}/merge?into={ids['csv-export']}")
    assert "cannot be merged into itself" in itself.text


def test_a_refused_merge_is_reported_not_crashed(pm, runtime):
    ids = problem_ids(runtime)
    merging.merge(runtime.engine, ids["pdf-invoice"], ids["sso-login"])
    response = form_post(
        pm,
        f"/problems/{ids['csv-export']}",
        f"/problems/{ids['csv-export']}/merge",
        {"into": ids["pdf-invoice"]},
    )
    assert response.status_code == 303
    assert "Not merged:" in pm.get(response.headers["Location"]).text


def test_without_a_target_the_preview_page_lets_you_choose_one(pm, runtime):
    ids = problem_ids(runtime)
    html = pm.get(f"/problems/{ids['csv-export']}/merge").text
    assert '<label for="merge-into">Merge into</label>' in html
    assert f'<option value="{ids["sso-login"]}"' in html
    assert f'<option value="{ids["csv-export"]}"' not in html  # not into itself
    assert 'id="preview-h"' not in html
    assert pm.get(f"/problems/{ids['csv-export']}/merge?into=abc").status_code == 400
    assert pm.get(f"/problems/{ids['csv-export']}/merge?into=99999").status_code == 404


@pytest.mark.parametrize("into", ["²", "99999999999999999999", "2147483648", "0", "-1", "1e3"])
def test_an_impossible_merge_target_is_a_400_page(pm, runtime, into):
    ids = problem_ids(runtime)
    response = pm.get(f"/problems/{ids['csv-export']}/merge", query_string={"into": into})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "Into must be a problem id" in response.text


@pytest.mark.parametrize("into", ["99999999999999999999", "2147483648", "0"])
def test_posting_an_impossible_merge_target_is_a_400_page_and_merges_nothing(pm, runtime, into):
    ids = problem_ids(runtime)
    before = counts(runtime, ids["csv-export"])
    response = form_post(
        pm,
        f"/problems/{ids['csv-export']}/merge",
        f"/problems/{ids['csv-export']}/merge",
        {"into": into},
    )
    assert response.status_code == 400 and response.mimetype == "text/html"
    with Session(runtime.engine) as session:
        assert session.get(Problem, ids["csv-export"]).merged_into_id is None
    assert counts(runtime, ids["csv-export"]) == before
