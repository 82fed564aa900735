"""A pm links an existing Jira issue from the problem page (against the Jira sandbox)."""

from __future__ import annotations

import pytest
import requests

from jira_sandbox import JiraSandbox
from tests.jira_sync.conftest import labels_naming
from tests.support import JIRA_EMAIL, JIRA_TOKEN, inline_runtime
from tests.ui.ui_support import form_post, problem_ids, section, seed_three_problems, sign_in
from voice_router.web import create_app

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

EMAIL, TOKEN = JIRA_EMAIL, JIRA_TOKEN


@pytest.fixture
def signed_in(make_settings, sandbox):
    # min_customers is high so that no issue is created on its own: we link one by hand.
    jira = {"url": sandbox.url, "email": EMAIL, "api_token": TOKEN, "min_customers": 50}
    runtime = inline_runtime(make_settings(jira=jira))
    client = create_app(runtime=runtime).test_client()
    seed_three_problems(client)
    sign_in(client, runtime, "pm")
    yield client, problem_ids(runtime)
    runtime.engine.dispose()


@pytest.fixture
def pm(signed_in):
    client, ids = signed_in
    return client, ids["sso-login"]


def file_by_hand(sandbox: JiraSandbox) -> str:
    fields = {"project": {"key": "PROD"}, "issuetype": {"name": "Bug"}, "summary": "SSO"}
    response = requests.post(
        f"{sandbox.url}/rest/api/2/issue",
        json={"fields": fields},
        auth=(EMAIL, TOKEN),
        timeout=5,
    )
    return response.json()["key"]


def test_a_pm_links_an_existing_issue(pm, sandbox):
    client, login = pm
    key = file_by_hand(sandbox)
    response = form_post(
        client, f"/problems/{login}", f"/problems/{login}/jira", {"jira-key": key.lower()}
    )
    assert response.status_code == 303, response.text
    html = client.get(response.headers["Location"]).text
    assert f"Linked {key}." in html
    jira = section(html, "jira")
    assert f">{key}</a>" in jira
    assert f"Unlink {key}" in jira and "Link existing issue" not in jira  # one issue at a time


@pytest.mark.parametrize(
    ("key", "message"),
    [("PROD-999", "Jira says:"), ("not a key", "Use a key such as PROD-12.")],
)
def test_a_bad_key_is_shown_back_on_the_form(pm, key, message):
    client, login = pm
    response = form_post(client, f"/problems/{login}", f"/problems/{login}/jira", {"jira-key": key})
    assert response.status_code == 400
    jira = section(response.text, "jira")
    assert message in jira and 'aria-invalid="true"' in jira


def test_a_pm_unlinks_the_issue_and_voice_router_takes_its_marks_off(pm, sandbox):
    client, login = pm
    key = file_by_hand(sandbox)
    form_post(client, f"/problems/{login}", f"/problems/{login}/jira", {"jira-key": key})
    assert "voice-router-begin" in sandbox.issue(key)["fields"]["description"]
    html = client.get(f"/problems/{login}").text
    assert f"Unlink {key}" in html

    response = form_post(client, f"/problems/{login}", f"/problems/{login}/jira/unlink")

    assert response.status_code == 303, response.text
    html = client.get(response.headers["Location"]).text
    assert f"Unlinked {key}" in html and "No Jira issue yet." in html
    fields = sandbox.issue(key)["fields"]
    assert "voice-router-begin" not in (fields["description"] or "")
    assert fields["summary"] == "SSO"
    assert not labels_naming(fields["labels"], login)


def test_an_issue_another_problem_holds_is_refused_on_the_form(signed_in, sandbox):
    client, ids = signed_in
    key = file_by_hand(sandbox)
    login, other = ids["sso-login"], ids["csv-export"]
    form_post(client, f"/problems/{login}", f"/problems/{login}/jira", {"jira-key": key})

    response = form_post(client, f"/problems/{other}", f"/problems/{other}/jira", {"jira-key": key})

    assert response.status_code == 409
    jira = section(response.text, "jira")
    assert f"already linked to problem {login}" in jira and 'aria-invalid="true"' in jira
