"""What the list and the problem page show, and the actions agents take on them."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlmodel import Session, select

from tests.ui.ui_support import (
    days_ago,
    form_post,
    post,
    problem_ids,
    section,
    seed_okta_signin,
    seed_three_problems,
    sign_in,
)
from voice_router.models import CustomerNotice, Note, Problem
from voice_router.web.ui.sparkline import daily_new_tickets, sparkline


@pytest.fixture
def agent(client, runtime):
    seed_three_problems(client)
    sign_in(client, runtime, "agent", name="Ann Agent")
    return client


def titles(html: str) -> list[str]:
    return re.findall(r'<th scope="row" data-label="Problem"><a href="[^"]+">([^<]+)</a>', html)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("impact", ["SSO login", "CSV export", "PDF invoice"]),
        ("mrr", ["CSV export", "SSO login", "PDF invoice"]),
        ("recent", ["PDF invoice", "SSO login", "CSV export"]),
    ],
)
@pytest.mark.slow
def test_the_list_sorts_like_the_api(agent, sort, expected):
    assert titles(agent.get(f"/?sort={sort}").text) == expected


def test_the_list_filters_by_status_and_search(agent, runtime):
    with Session(runtime.engine) as session:
        pdf = session.exec(select(Problem).where(Problem.key == "pdf-invoice")).one()
        pdf.status = "shipped"
        session.add(pdf)
        session.commit()
    assert titles(agent.get("/?status=shipped").text) == ["PDF invoice"]
    assert titles(agent.get("/?status=open&sort=mrr").text) == ["CSV export", "SSO login"]
    assert titles(agent.get("/?q=EXPORT").text) == ["CSV export"]
    assert "No problems match these filters" in agent.get("/?q=nothing-like-this").text


def test_a_bad_sort_is_a_400_page_not_a_crash(agent):
    response = agent.get("/?sort=loudest")
    assert response.status_code == 400 and "Sort must be one of" in response.text


def test_each_row_shows_counts_jira_and_a_30_day_sparkline(agent, runtime):
    with Session(runtime.engine) as session:
        login = session.exec(select(Problem).where(Problem.key == "sso-login")).one()
        login.jira_key, login.jira_url, login.jira_status = "PROD-7", "https://j.example/7", "To Do"
        session.add(login)
        session.commit()
    html = agent.get("/").text
    row = html.split('data-label="Problem"')[1]
    assert '<a href="https://j.example/7" rel="noopener noreferrer nofollow">PROD-7</a>' in row
    assert "To Do" in row
    assert re.search(r'data-label="Customers" class="num">3<', row)
    assert re.search(r'data-label="MRR \(USD\)" class="num">1,500<', row)
    assert 'aria-label="3 new tickets in the last 30 days, at most 1 a day, 0 today"' in row
    assert re.search(r'<polyline points="(\d+(\.\d)?,\d+(\.\d)? ){29}\d', row)


def test_daily_counts_put_each_ticket_on_the_day_of_its_first_report(client, runtime):
    seed_three_problems(client)
    post(
        client, "L1", "ana@northwind.example", "pain-sso-login", occurred_at=days_ago(1)
    )  # same ticket
    post(client, "L9", "old@acme.com", "pain-sso-login", occurred_at=days_ago(45))  # too old
    ids = problem_ids(runtime)
    with Session(runtime.engine) as session:
        daily = daily_new_tickets(session, [ids["sso-login"], ids["pdf-invoice"]])
    login = daily[ids["sso-login"]]
    assert len(login) == 30 and sum(login) == 3
    assert login[29 - 20] == login[29 - 9] == login[29 - 2] == 1
    assert daily[ids["pdf-invoice"]][-1] == 1


def test_a_sparkline_of_nothing_is_a_flat_line():
    flat = sparkline([0] * 30)
    assert flat.total == 0 and set(re.findall(r",(\d+)", flat.points)) == {"26"}


def test_the_problem_page_shows_impact_accounts_pain_points_and_notify_list(agent, runtime):
    login = problem_ids(runtime)["sso-login"]
    html = agent.get(f"/problems/{login}").text
    assert "<dt>Customers</dt><dd>3</dd>" in html and "<dt>MRR (USD)</dt><dd>1,500</dd>" in html
    assert 'aria-label="3 new tickets in the last 30 days' in html and "(3 in all)" in html
    accounts = section(html, "accounts")
    assert accounts.index("Northwind") < accounts.index("Contoso")  # by MRR
    assert "1,200" in accounts and "1 customer without a company account" in accounts
    tickets = section(html, "tickets")
    assert (
        '<a href="https://desk.example/t/L1" rel="noopener noreferrer nofollow">'
        "SSO loops back to the login page</a>" in tickets
    )
    notify = section(html, "notify")
    assert "Not shipped yet" in notify
    assert f'href="/problems/{login}/notify.csv"' in notify
    assert notify.count('name="customer_emails"') == 3


def test_an_agent_adds_a_note(agent, runtime):
    login = problem_ids(runtime)["sso-login"]
    response = form_post(
        agent,
        f"/problems/{login}",
        f"/problems/{login}/notes",
        {"note-body": "Northwind threatens to churn", "note-arr_at_risk": "14400"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/problems/{login}#notes-answer"
    html = agent.get(response.headers["Location"]).text
    notes = section(html, "notes")
    answer = notes.split('id="notes-answer"')[1].split("</div>")[0]  # above the form
    assert "Note added." in answer and "Note added." not in html.split('id="notes-h"')[0]
    assert "Northwind threatens to churn" in notes
    assert "Ann Agent" in notes and "ARR at risk 14,400 USD" in notes


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"note-body": "   "}, "This field is required."),
        ({"note-body": "x", "note-arr_at_risk": "-5"}, "Number must be between"),
        ({"note-body": "x", "note-arr_at_risk": "lots"}, "Not a valid decimal value."),
    ],
)
def test_a_bad_note_is_shown_back_with_its_error(agent, runtime, data, message):
    login = problem_ids(runtime)["sso-login"]
    response = form_post(agent, f"/problems/{login}", f"/problems/{login}/notes", data)
    assert response.status_code == 400 and message in response.text
    assert 'aria-invalid="true"' in response.text
    with Session(runtime.engine) as session:
        assert session.exec(select(Note)).all() == []


def test_an_agent_marks_customers_as_told(agent, runtime):
    login = problem_ids(runtime)["sso-login"]
    response = form_post(
        agent,
        f"/problems/{login}",
        f"/problems/{login}/notify/mark-sent",
        {"customer_emails": ["ana@northwind.example", "bo@contoso.example"]},
    )
    assert response.status_code == 303
    html = agent.get(f"/problems/{login}").text
    assert "Marked 2 customers as told." in html
    notify = html.split('id="notify-h"')[1]
    assert notify.count('class="told"') == 2 and notify.count('name="customer_emails"') == 1
    with Session(runtime.engine) as session:
        assert {n.notified_by for n in session.exec(select(CustomerNotice))} == {"Ann Agent"}


def test_marking_nobody_says_so(agent, runtime):
    login = problem_ids(runtime)["sso-login"]
    response = form_post(agent, f"/problems/{login}", f"/problems/{login}/notify/mark-sent")
    assert response.headers["Location"] == f"/problems/{login}#notify-answer"
    html = agent.get(response.headers["Location"]).text
    answer = html.split('id="notify-answer"')[1].split("</div>")[0]
    assert 'role="alert"' in html.split('id="notify-answer"')[1][:60]
    assert "Nobody was marked: tick the customers you told first." in answer


def test_the_notify_csv_downloads_with_the_session(agent, runtime):
    export = problem_ids(runtime)["csv-export"]
    response = agent.get(f"/problems/{export}/notify.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:4] == ["agent_email", "customer_email", "customer_name", "account"]
    assert sorted(row[1] for row in rows[1:]) == [
        "ana@northwind.example",
        "dee@tyrell.example",
    ]


def test_a_shipped_problem_says_who_to_tell(agent, runtime):
    # Set directly: the shipping transition itself is tested in tests/shipping.
    login = problem_ids(runtime)["sso-login"]
    with Session(runtime.engine) as session:
        problem = session.get(Problem, login)
        problem.status = "shipped"
        session.add(problem)
        session.commit()
    html = agent.get(f"/problems/{login}").text
    assert "The fix shipped: tell these customers, then mark them as told." in html
    # The task comes right after the impact, before what customers said and the tools.
    order = [html.index(f'id="{s}-h"') for s in ("impact", "notify", "tickets", "notes", "jira")]
    assert order == sorted(order)


def test_jira_key_status_and_sync_error_are_shown(agent, runtime):
    login = problem_ids(runtime)["sso-login"]
    with Session(runtime.engine) as session:
        problem = session.get(Problem, login)
        problem.jira_key, problem.jira_url = "PROD-3", "https://jira.example/browse/PROD-3"
        problem.jira_status, problem.jira_error = "In Progress", "401 from Jira: check the token"
        session.add(problem)
        session.commit()
    jira = section(agent.get(f"/problems/{login}").text, "jira")
    assert 'href="https://jira.example/browse/PROD-3"' in jira and "In Progress" in jira
    assert "Sync error: 401 from Jira: check the token" in jira
    assert "Link existing issue" not in jira  # agents cannot link


def test_a_pm_sees_the_link_form_or_why_not(client, runtime):
    seed_three_problems(client)
    sign_in(client, runtime, "pm")
    login = problem_ids(runtime)["sso-login"]
    jira = section(client.get(f"/problems/{login}").text, "jira")
    assert "Jira sync is off" in jira


def test_merge_suggestions_show_their_reasons_and_lead_to_the_preview(client, runtime):
    seed_three_problems(client)
    seed_okta_signin(
        client, ("Okta sign-in loops back to login", "Signing in with Okta never ends")
    )
    ids = problem_ids(runtime)
    sign_in(client, runtime, "pm")
    suggested = section(client.get(f"/problems/{ids['okta-signin']}").text, "suggest")
    assert "SSO login" in suggested and "score 0." in suggested
    assert "<li>2 shared accounts: Northwind, Contoso</li>" in suggested
    assert "alike in meaning" in suggested
    # okta-signin has fewer customers, so it is the one folded into sso-login.
    action = f'action="/problems/{ids["okta-signin"]}/merge"'
    assert action in suggested and f'name="into" value="{ids["sso-login"]}"' in suggested


def test_the_problem_page_works_with_the_suggestions_module_as_installed(agent, runtime):
    login = problem_ids(runtime)["sso-login"]
    assert agent.get(f"/problems/{login}").status_code == 200


def test_an_unknown_problem_is_a_404_page(agent):
    response = agent.get("/problems/999999")
    assert_html_error(response, 404, "There is nothing at /problems/999999")


def test_ui_pages_forbid_scripts_and_framing(agent):
    response = agent.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src" not in policy  # falls back to default-src 'none': no script at all
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def ui_problem_routes(app) -> list[tuple[str, str]]:
    """(method, path with `{id}`) for every UI route that takes a problem id."""
    return sorted(
        (method, rule.rule.replace("<int:problem_id>", "{id}"))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("ui.") and "<int:problem_id>" in rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def assert_html_error(response, status: int, text: str = "") -> None:
    assert response.status_code == status, (response.status_code, response.text[:200])
    html = response.text
    assert response.mimetype == "text/html" and '<html lang="en">' in html
    assert re.search(r"<title>[^<]+ · voice-router</title>", html) and "<h1>" in html
    # The app's layout for the signed-in caller, and a way back.
    assert '<nav aria-label="Main">' in html and ">Sign out</button>" in html
    assert "Back to the problems</a>" in html
    assert text in html
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("problem_id", ["2147483648", "99999999999999999999"])
def test_an_id_too_large_for_the_id_column_is_a_404_page_on_every_route(agent, problem_id):
    routes = ui_problem_routes(agent.application)
    assert len(routes) >= 8
    for method, path in routes:
        response = agent.open(path.format(id=problem_id), method=method)
        assert_html_error(response, 404, "Page not found")


@pytest.mark.parametrize("path", ["/problems/abc", "/problems/٣", "/problems/-1", "/nothing"])
def test_a_path_that_matches_no_route_is_a_404_page(agent, path):
    assert_html_error(agent.get(path), 404, f"There is nothing at {path}")


@pytest.mark.parametrize("page", ["99999999999999999999", "200002", "0", "-1", "abc", "٣", "1.5"])
def test_a_page_number_out_of_range_is_a_400_page(agent, page):
    assert_html_error(agent.get(f"/?page={page}"), 400, "Page must be a whole number from 1 to")


def test_the_last_page_allowed_is_empty_not_an_error(agent):
    response = agent.get("/?page=200001")
    assert response.status_code == 200 and titles(response.text) == []
    assert titles(agent.get("/?page=1").text) == ["SSO login", "CSV export", "PDF invoice"]


def test_an_unexpected_failure_in_a_ui_view_is_a_500_page(agent, monkeypatch):
    from voice_router.problems import listing

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(listing, "list_problems", broken)
    response = agent.get("/")
    assert_html_error(response, 500, "Something went wrong on our side")
    assert "boom" not in response.text
