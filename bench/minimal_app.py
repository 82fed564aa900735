"""The "minimal signed intake" reference for bench/intake.py --reference.

What `notes/performance.md` measured at 0.71x bare Flask: one Flask view that checks the
HMAC and inserts the body into the database, and nothing else (no parsing, no shape check,
no dedup lookup, no metrics, no queue). It writes to voice-router's own `delivery` table
through the raw driver with one autocommitted statement, so on the same database it does
the least work any implementation that verifies and stores a delivery must do. Served by
gunicorn like the others; reads the database URL and the generic secret from the TOML file
in VOICE_ROUTER_CONFIG:

    gunicorn --pythonpath bench minimal_app:app
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import threading
import tomllib
from datetime import UTC, datetime
from typing import Any

from flask import Flask, jsonify, request

with open(os.environ["VOICE_ROUTER_CONFIG"], "rb") as config_file:
    CONFIG = tomllib.load(config_file)
DATABASE_URL: str = CONFIG["database_url"]
SECRET = CONFIG["sources"]["generic"]["secret"].encode()
SQLITE = DATABASE_URL.startswith("sqlite")
MARK = "?" if SQLITE else "%s"
INSERT = (
    "INSERT INTO delivery (source, kind, delivery_key, headers, body, status, attempts,"
    " received_at, next_attempt_at) VALUES"
    f" ({MARK}, 'generic', {MARK}, '{{}}', {MARK}, 'pending', 0, {MARK}, {MARK})"
    " ON CONFLICT DO NOTHING RETURNING id"
)

app = Flask(__name__)
_local = threading.local()


def connection() -> Any:
    if getattr(_local, "connection", None) is None:
        if SQLITE:
            db = sqlite3.connect(DATABASE_URL.removeprefix("sqlite:///"), isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=30000")
        else:
            import psycopg

            url = DATABASE_URL.replace("postgresql+psycopg://", "postgresql://")
            db = psycopg.connect(url, autocommit=True)
        _local.connection = db
    return _local.connection


@app.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    return "ok"


@app.post("/webhooks/<source>")
def receive(source: str):  # type: ignore[no-untyped-def]
    body = request.get_data(cache=False)
    timestamp = request.headers.get("X-Voice-Router-Timestamp", "")
    digest = hmac.new(SECRET, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    given = request.headers.get("X-Voice-Router-Signature", "")
    if not hmac.compare_digest("sha256=" + digest, given):
        return jsonify({"error": "unauthorized"}), 401
    now = datetime.now(UTC)
    stamp: Any = now.strftime("%Y-%m-%d %H:%M:%S.%f") if SQLITE else now
    key = hashlib.sha256(body).hexdigest()
    row = connection().execute(INSERT, (source, key, body, stamp, stamp)).fetchone()
    return jsonify({"delivery_id": row[0] if row else 0, "duplicate": row is None}), 202
