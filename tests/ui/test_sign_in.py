"""Signing in to the UI with an API token: the session cookie, CSRF, and where it leads."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from tests.support import generic_delivery, inline_runtime, post_signed, token
from tests.ui.ui_support import csrf_token, form_post, problem_ids, seed_three_problems, sign_in
from voice_router.models import ApiToken, Note, UiSession
from voice_router.platform.clock import utcnow
from voice_router.platform.tokens import create_token
from voice_router.web import create_app


@pytest.mark.parametrize(
    "path", ["/", "/problems/1", "/problems/1/merge?into=2", "/problems/1/notify.csv"]
)
def test_signed_out_pages_send_you_to_sign_in_and_back(client, path):
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=")


def test_sign_in_then_out(client, runtime):
    sign_in(client, runtime, "pm", name="Priya")
    page = client.get("/")
    assert page.status_code == 200
    assert "Priya" in page.get_data(as_text=True)

    response = form_post(client, "/", "/logout")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert client.get("/").status_code == 303


def test_session_cookie_is_httponly_lax_and_not_secure_on_http(client, runtime):
    token = create_token(runtime.engine, "agent", "Ann")
    page = client.get("/login")
    response = client.post(
        "/login", data={"token": token, "csrf_token": csrf_token(page.get_data(as_text=True))}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_when_base_url_is_https(make_settings):
    runtime = inline_runtime(make_settings(base_url="https://vr.example"))
    try:
        app = create_app(runtime=runtime)
        client = app.test_client()
        token = create_token(runtime.engine, "agent", "Ann")
        page = client.get("/login", base_url="https://vr.example")
        response = client.post(
            "/login",
            base_url="https://vr.example",
            headers={"Referer": "https://vr.example/login"},
            data={"token": token, "csrf_token": csrf_token(page.get_data(as_text=True))},
        )
        assert response.status_code == 303
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    finally:
        runtime.engine.dispose()


def test_the_cookie_holds_no_token(app, client, runtime):
    plain = sign_in(client, runtime)
    cookie = client.get_cookie("voice_router_session")
    data = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    assert plain not in repr(data)


def test_unknown_token_is_refused(client):
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"token": "vr_not-a-token", "csrf_token": csrf_token(page.get_data(as_text=True))},
    )
    assert response.status_code == 401
    assert "unknown or revoked" in response.get_data(as_text=True)
    assert client.get("/").status_code == 303


def test_sign_in_without_a_csrf_token_is_rejected(client, runtime):
    token = create_token(runtime.engine, "admin", "Ann")
    response = client.post("/login", data={"token": token})
    assert response.status_code == 400
    assert "could not be accepted" in response.get_data(as_text=True)
    assert client.get("/").status_code == 303


def test_a_form_post_without_a_csrf_token_is_rejected_and_changes_nothing(client, runtime):
    seed_three_problems(client)
    sign_in(client, runtime, "admin")
    login = problem_ids(runtime)["sso-login"]
    response = client.post(f"/problems/{login}/notes", data={"note-body": "sneaky"})
    assert response.status_code == 400
    response = client.post(
        f"/problems/{login}/notes", data={"note-body": "sneaky", "note-csrf_token": "forged"}
    )
    assert response.status_code == 400
    with Session(runtime.engine) as session:
        assert session.exec(select(Note)).all() == []


def test_webhooks_and_the_api_need_no_csrf_token(client, runtime):
    body = generic_delivery("T1", "a@acme.com", ["pain-login"])
    assert post_signed(client, "generic", body).status_code == 202
    login = problem_ids(runtime)["login"]
    response = client.post(
        f"/api/v1/problems/{login}/notes", json={"body": "from the API"}, headers=token(runtime)
    )
    assert response.status_code == 201


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_after_sign_in_only_local_paths_are_followed(client, runtime, target):
    token = create_token(runtime.engine, "agent", "Ann")
    page = client.get("/login", query_string={"next": target})
    response = client.post(
        "/login",
        data={
            "token": token,
            "next": target,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert response.headers["Location"] == "/"


def test_after_sign_in_you_land_where_you_were_going(client, runtime):
    token = create_token(runtime.engine, "agent", "Ann")
    first = client.get("/?sort=mrr")
    target = first.headers["Location"].split("next=", 1)[1]
    page = client.get(first.headers["Location"])
    response = client.post(
        "/login",
        data={"token": token, "next": "/?sort=mrr", "csrf_token": csrf_token(page.text)},
    )
    assert target and response.headers["Location"] == "/?sort=mrr"


def test_revoking_the_token_ends_its_ui_sessions(client, runtime):
    sign_in(client, runtime)
    assert client.get("/").status_code == 200
    with Session(runtime.engine) as session:
        for row in session.exec(select(ApiToken)).all():
            row.revoked_at = utcnow()
            session.add(row)
        session.commit()
    assert client.get("/").status_code == 303


def copy_of_the_cookie(app, client):
    """A second browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("voice_router_session", client.get_cookie("voice_router_session").value)
    return thief


def test_a_copied_session_cookie_stops_working_at_sign_out(app, client, runtime):
    sign_in(client, runtime, name="Ann")
    thief = copy_of_the_cookie(app, client)
    assert thief.get("/").status_code == 200

    assert form_post(client, "/", "/logout").status_code == 303
    assert thief.get("/").status_code == 303
    assert thief.get("/problems/1").headers["Location"].startswith("/login")


def test_signing_in_again_ends_the_session_the_cookie_held(app, client, runtime):
    sign_in(client, runtime, name="Ann")
    thief = copy_of_the_cookie(app, client)
    other = create_token(runtime.engine, "pm", "Priya")
    response = form_post(client, "/", "/login", {"token": other})
    assert response.status_code == 303
    assert "Priya" in client.get("/").text
    assert thief.get("/").status_code == 303


def test_the_cookie_names_a_session_whose_hash_alone_is_stored(app, client, runtime):
    plain = sign_in(client, runtime)
    cookie = client.get_cookie("voice_router_session")
    data = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    session_id = data["ui_session"]
    assert plain not in repr(data) and hashlib.sha256(plain.encode()).hexdigest() not in repr(data)
    with Session(runtime.engine) as session:
        [row] = session.exec(select(UiSession)).all()
        token_row = session.exec(select(ApiToken)).one()
    assert row.session_hash == hashlib.sha256(session_id.encode()).hexdigest()
    assert session_id not in repr(row.model_dump())
    assert row.token_id == token_row.id and row.ended_at is None


def test_sign_out_ends_the_session_on_the_server(client, runtime):
    sign_in(client, runtime)
    form_post(client, "/", "/logout")
    with Session(runtime.engine) as session:
        [row] = session.exec(select(UiSession)).all()
    assert row.ended_at is not None


def test_a_session_older_than_its_lifetime_signs_nobody_in(client, runtime):
    sign_in(client, runtime)
    assert client.get("/").status_code == 200
    with Session(runtime.engine) as session:
        row = session.exec(select(UiSession)).one()
        row.created_at = utcnow() - timedelta(hours=12, minutes=1)
        session.add(row)
        session.commit()
    assert client.get("/").status_code == 303


@pytest.mark.slow
def test_after_sign_out_the_flash_message_is_shown_on_the_sign_in_page(client, runtime):
    sign_in(client, runtime)
    response = form_post(client, "/", "/logout")
    assert "You are signed out." in client.get(response.headers["Location"]).text
