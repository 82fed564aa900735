"""The "bare Flask" baseline for bench/intake.py: one route that takes the same POST as
/webhooks/<source>, reads the body and answers 202 with a small JSON document — no
signature check, no database, no queue. Served by gunicorn exactly like voice-router:

    gunicorn --pythonpath bench bare_app:app
"""

from __future__ import annotations

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/webhooks/<source>")
def receive(source: str):  # type: ignore[no-untyped-def]
    request.get_data(cache=False)
    return jsonify({"delivery_id": 0, "duplicate": False}), 202
