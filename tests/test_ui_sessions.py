"""UI sessions on the server: started by a token, ended by sign-out, expiry or revocation."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from voice_router.models import ApiToken, UiSession
from voice_router.platform import ui_sessions
from voice_router.platform.clock import utcnow
from voice_router.platform.tokens import Caller, create_token


def test_a_session_signs_in_the_token_it_was_started_with(runtime):
    token = create_token(runtime.engine, "pm", "Priya")
    session_id, caller = ui_sessions.start(runtime.engine, token)
    assert caller == Caller("Priya", "pm")
    assert ui_sessions.caller(runtime.engine, session_id) == caller
    assert ui_sessions.caller(runtime.engine, session_id + "x") is None


def test_an_unknown_or_revoked_token_starts_no_session(runtime):
    assert ui_sessions.start(runtime.engine, "vr_nobody") is None
    token = create_token(runtime.engine, "agent", "Ann")
    session_id, _ = ui_sessions.start(runtime.engine, token)
    with Session(runtime.engine) as session:
        row = session.exec(select(ApiToken)).one()
        row.revoked_at = utcnow()
        session.add(row)
        session.commit()
    assert ui_sessions.caller(runtime.engine, session_id) is None
    assert ui_sessions.start(runtime.engine, token) is None


def test_ending_a_session_twice_is_harmless(runtime):
    token = create_token(runtime.engine, "agent", "Ann")
    session_id, _ = ui_sessions.start(runtime.engine, token)
    ui_sessions.end(runtime.engine, session_id)
    with Session(runtime.engine) as session:
        ended = session.exec(select(UiSession.ended_at)).one()
    ui_sessions.end(runtime.engine, session_id)
    with Session(runtime.engine) as session:
        assert session.exec(select(UiSession.ended_at)).one() == ended
    assert ui_sessions.caller(runtime.engine, session_id) is None


def test_signing_in_clears_away_sessions_past_their_lifetime(runtime):
    token = create_token(runtime.engine, "agent", "Ann")
    old, _ = ui_sessions.start(runtime.engine, token)
    recent, _ = ui_sessions.start(runtime.engine, token)
    with Session(runtime.engine) as session:
        first = session.exec(select(UiSession).order_by(UiSession.id)).first()
        first.created_at = utcnow() - ui_sessions.LIFETIME - timedelta(seconds=1)
        session.add(first)
        session.commit()
    assert ui_sessions.caller(runtime.engine, old) is None
    ui_sessions.start(runtime.engine, token)
    with Session(runtime.engine) as session:
        assert len(session.exec(select(UiSession)).all()) == 2
    assert ui_sessions.caller(runtime.engine, recent) is not None
