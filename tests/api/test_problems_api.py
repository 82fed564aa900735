"""GET /api/v1/problems and /api/v1/problems/<id>: tokens, roles, sorting, filters."""

from __future__ import annotations

import pytest

from tests.support import generic_delivery, post_signed, token
from voice_router.platform.tokens import create_token


@pytest.fixture
def seeded(client):
    deliveries = [
        generic_delivery(
            "T1",
            "a@acme.com",
            ["pain-login"],
            company="Acme",
            mrr=100,
            occurred_at="2026-11-01T10:00:00Z",
        ),
        generic_delivery(
            "T2",
            "b@globex.io",
            ["pain-login"],
            company="Globex",
            mrr=50,
            occurred_at="2026-11-02T10:00:00Z",
        ),
        generic_delivery(
            "T3",
            "c@umbrella.co",
            ["pain-export"],
            company="Umbrella",
            mrr=9000,
            occurred_at="2026-11-03T10:00:00Z",
            subject="CSV export hangs",
        ),
        generic_delivery(
            "T4", "d@gmail.com", ["pain-pdf-invoice"], occurred_at="2026-11-10T10:00:00Z"
        ),
    ]
    for body in deliveries:
        assert post_signed(client, "generic", body).status_code == 202


def keys(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [p["key"] for p in response.get_json()["problems"]]


def test_no_token_is_401(client):
    response = client.get("/api/v1/problems")
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


def test_bad_token_is_401(client):
    response = client.get("/api/v1/problems", headers={"Authorization": "Bearer vr_nope"})
    assert response.status_code == 401


def test_every_role_may_read(client, runtime):
    for role in ("agent", "pm", "admin"):
        assert client.get("/api/v1/problems", headers=token(runtime, role)).status_code == 200


def test_tokens_are_stored_only_as_hashes(runtime):
    from sqlmodel import Session, select

    from voice_router.models import ApiToken

    plain = create_token(runtime.engine, "pm", "Priya")
    with Session(runtime.engine) as session:
        row = session.exec(select(ApiToken)).one()
    assert plain not in (row.token_hash, row.name) and len(row.token_hash) == 64


def test_sort_by_impact_mrr_and_recent(client, runtime, seeded):
    auth = token(runtime)
    assert keys(client.get("/api/v1/problems?sort=impact", headers=auth)) == [
        "login",
        "export",
        "pdf-invoice",
    ]
    assert keys(client.get("/api/v1/problems?sort=mrr", headers=auth))[:2] == ["export", "login"]
    assert keys(client.get("/api/v1/problems?sort=recent", headers=auth)) == [
        "pdf-invoice",
        "export",
        "login",
    ]


def test_unknown_sort_is_400(client, runtime):
    response = client.get("/api/v1/problems?sort=loudest", headers=token(runtime))
    assert response.status_code == 400
    assert "sort" in response.get_json()["message"]


def test_status_filter(client, runtime, seeded):
    auth = token(runtime)
    assert len(keys(client.get("/api/v1/problems?status=open", headers=auth))) == 3
    assert keys(client.get("/api/v1/problems?status=shipped", headers=auth)) == []
    assert client.get("/api/v1/problems?status=bogus", headers=auth).status_code == 400


def test_text_search(client, runtime, seeded):
    auth = token(runtime)
    assert keys(client.get("/api/v1/problems?q=pdf invoice", headers=auth)) == ["pdf-invoice"]
    assert keys(client.get("/api/v1/problems?q=EXPORT", headers=auth)) == ["export"]


def test_a_search_or_a_note_with_a_nul_character_is_answered_not_a_500(client, runtime, seeded):
    """PostgreSQL's text cannot hold NUL: a search for one finds nothing, a note is refused."""
    auth = token(runtime, "pm")
    found = client.get("/api/v1/problems", query_string={"q": "pdf\x00"}, headers=auth)
    assert found.status_code == 200 and found.get_json()["problems"] == []
    problem_id = client.get("/api/v1/problems", headers=auth).get_json()["problems"][0]["id"]
    note = client.post(
        f"/api/v1/problems/{problem_id}/notes", json={"body": "a\x00b"}, headers=auth
    )
    assert note.status_code == 400 and "NUL" in note.get_json()["message"]


def test_a_ticket_subject_with_a_nul_character_is_stored_without_it(client, runtime):
    body = generic_delivery("T9", "nul@acme.com", ["pain-nul"], subject="Export\x00 fails")
    assert post_signed(client, "generic", body).status_code == 202
    [problem] = client.get("/api/v1/problems", headers=token(runtime)).get_json()["problems"]
    detail = client.get(f"/api/v1/problems/{problem['id']}", headers=token(runtime)).get_json()
    assert [p["subject"] for p in detail["pain_points"]] == ["Export fails"]


def test_problem_fields_follow_the_contract(client, runtime, seeded):
    [login] = [
        p
        for p in client.get("/api/v1/problems", headers=token(runtime)).get_json()["problems"]
        if p["key"] == "login"
    ]
    assert set(login) >= {
        "id",
        "key",
        "title",
        "status",
        "customers",
        "accounts",
        "mrr",
        "tickets",
        "first_seen",
        "last_seen",
        "trend_7d",
        "trend_30d",
        "jira",
    }
    assert (login["customers"], login["accounts"], login["mrr"], login["tickets"]) == (
        2,
        2,
        150.0,
        2,
    )
    assert login["status"] == "open" and login["jira"] is None


def test_one_problem_with_its_pain_points(client, runtime, seeded):
    auth = token(runtime)
    export_id = next(
        p["id"]
        for p in client.get("/api/v1/problems", headers=auth).get_json()["problems"]
        if p["key"] == "export"
    )
    detail = client.get(f"/api/v1/problems/{export_id}", headers=auth).get_json()
    [pain_point] = detail["pain_points"]
    assert pain_point["customer_email"] == "c@umbrella.co"
    assert pain_point["subject"] == "CSV export hangs"
    assert pain_point["ticket_url"] == "https://desk.example/t/T3"
    assert detail["notes"] == []


def test_missing_problem_is_404(client, runtime):
    response = client.get("/api/v1/problems/999", headers=token(runtime))
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def problem_routes(app, prefix: str) -> list[tuple[str, str]]:
    """(method, path with `{id}`) for every route under `prefix` that takes a problem id."""
    return sorted(
        (method, rule.rule.replace("<int:problem_id>", "{id}"))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(prefix) and "<int:problem_id>" in rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


@pytest.mark.parametrize("problem_id", ["2147483648", "99999999999999999999"])
def test_an_id_too_large_for_the_id_column_is_404_json_on_every_route(client, runtime, problem_id):
    auth = token(runtime, "admin")
    routes = problem_routes(client.application, "/api/")
    assert len(routes) >= 9
    for method, path in routes:
        response = client.open(path.format(id=problem_id), method=method, headers=auth, json={})
        assert response.status_code == 404, (method, path, response.status_code)
        assert response.get_json()["error"] == "not_found", (method, path)


def test_the_largest_id_is_looked_up_and_not_found(client, runtime):
    response = client.get("/api/v1/problems/2147483647", headers=token(runtime))
    assert response.status_code == 404
    assert response.get_json()["message"] == "no problem 2147483647"


@pytest.mark.parametrize("path", ["/api/v1/problems/abc", "/api/v1/problems/٣", "/api/v1/nothing"])
def test_a_path_that_matches_no_route_is_404_json(client, runtime, path):
    response = client.get(path, headers=token(runtime))
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


@pytest.mark.parametrize("into", [2**31, 10**20, 0, -1, "²", True])
def test_merge_into_an_impossible_id_is_400_json(client, runtime, seeded, into):
    auth = token(runtime, "pm")
    login = client.get("/api/v1/problems?q=login", headers=auth).get_json()["problems"][0]["id"]
    response = client.post(f"/api/v1/problems/{login}/merge", headers=auth, json={"into": into})
    assert response.status_code == 400 and response.get_json()["error"] == "bad_request"


def test_a_request_the_problems_state_refuses_is_409(client, runtime, seeded):
    """Well formed, refused for the state things are in now: merging a merged problem again,
    into a merged problem or into one merged into it, unmerging one that is not merged,
    unlinking an issue that is not linked, linking one while Jira is not configured. Merging a
    problem into itself can never be done: 400."""
    auth = token(runtime, "pm")
    ids = {
        p["key"]: p["id"]
        for p in client.get("/api/v1/problems", headers=auth).get_json()["problems"]
    }
    a, b, c = ids["login"], ids["export"], ids["pdf-invoice"]

    def post(path: str, body: object = None) -> tuple[int, str | None]:
        answer = client.post(f"/api/v1/problems/{path}", json=body, headers=auth)
        return answer.status_code, answer.get_json().get("error")

    assert post(f"{a}/unmerge") == (409, "conflict")
    assert post(f"{a}/merge", {"into": b})[0] == 200
    assert post(f"{a}/merge", {"into": c}) == (409, "conflict")
    assert post(f"{c}/merge", {"into": a}) == (409, "conflict")
    assert post(f"{b}/merge", {"into": a}) == (409, "conflict")
    assert post(f"{c}/jira", {"key": "PROD-1"}) == (409, "conflict")
    unlinked = client.delete(f"/api/v1/problems/{c}/jira", headers=auth)
    assert (unlinked.status_code, unlinked.get_json()["error"]) == (409, "conflict")
    assert post(f"{a}/unmerge")[0] == 200
    assert post(f"{a}/unmerge") == (409, "conflict")
    assert post(f"{a}/merge", {"into": a}) == (400, "bad_request")
    assert post(f"{b}/merge", {"into": c})[0] == 200  # nothing refused is left half done
