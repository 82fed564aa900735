"""`voice-router reconcile`, run as an operator runs it: one pass against Jira that ships what
a lost Jira webhook left behind, sends what is owed, and says what it did in one line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlmodel import Session, select

from jira_sandbox import JiraSandbox
from tests.jira_sync.conftest import EMAIL, TOKEN
from tests.shipping.conftest import JIRA_SECRET
from tests.shipping.test_close_the_loop import problem, seed
from tests.support import SECRETS
from voice_router.models import Outbound
from voice_router.platform.clock import utcnow

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("jira_openapi_check")]

SLACK_PATH = "/hooks/T000/B000"


def toml(data: dict[str, Any], name: str = "") -> str:
    """Strings, numbers and (nested) tables of them: JSON's string escapes are TOML's."""
    lines = [f"[{name}]"] if name else []
    lines += [f"{k} = {json.dumps(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for key, table in data.items():
        if isinstance(table, dict):
            lines.append(toml(table, f"{name}.{key}" if name else key))
    return "\n".join(lines) + "\n"


def voice_router(tmp_path: Path, config: dict[str, Any], *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / "voice-router.toml"
    path.write_text(toml(config))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICE_ROUTER_")}
    return subprocess.run(
        [sys.executable, "-m", "voice_router", "--config", str(path), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def config_of(loop, jira: bool = True, **top: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    settings = loop.runtime.settings
    config: dict[str, Any] = {
        "database_url": settings.database_url,
        **top,
        "sources": {"generic": {"kind": "generic", "secret": SECRETS["generic"]}},
        "notify": {"slack_webhook_url": settings.notify.slack_webhook_url},
    }
    if jira:
        config["jira"] = {
            "url": loop.sandbox.url,
            "email": EMAIL,
            "api_token": TOKEN,
            "project": "PROD",
            "webhook_secret": JIRA_SECRET,
        }
    return config


def outbound_rows(loop) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    with Session(loop.runtime.engine) as session:
        rows = session.exec(select(Outbound.channel, Outbound.target, Outbound.status)).all()
    return sorted((channel, target, status) for channel, target, status in rows)


def summary(result: subprocess.CompletedProcess) -> str:
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("queue", ["embedded", "redis"])
def test_a_lost_jira_webhook_ships_the_problem_when_reconcile_runs(
    make_loop, httpserver, tmp_path, request, queue
):
    httpserver.expect_request(SLACK_PATH, method="POST").respond_with_data("ok")
    loop = make_loop(webhooks=False, notify={"slack_webhook_url": httpserver.url_for(SLACK_PATH)})
    p = seed(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")  # its webhook is lost
    assert problem(loop).status == "open" and outbound_rows(loop) == []
    # With Redis configured the command still makes the pass itself (no worker runs here).
    top = {"redis_url": request.getfixturevalue("redis_url")} if queue == "redis" else {}

    result = voice_router(tmp_path, config_of(loop, **top), "reconcile")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # few issues: no progress bar, and no log lines
    assert summary(result) == (
        "reconcile: 1 issue(s) read, 1 status change(s) (1 shipped), "
        "outbound: 2 sent, 0 retrying, 0 failed"
    )
    shipped = problem(loop)
    assert (shipped.status, shipped.jira_status) == ("shipped", "Done")
    assert outbound_rows(loop) == [
        ("slack", "bob@support.example", "sent"),
        ("slack", "carol@support.example", "sent"),
    ]
    assert len(httpserver.log) == 2

    again = voice_router(tmp_path, config_of(loop, **top), "reconcile")
    assert again.returncode == 0, again.stderr
    assert "0 status change(s) (0 shipped), outbound: 0 sent" in summary(again)
    assert len(httpserver.log) == 2  # nobody hears twice


def test_without_jira_it_says_so_and_still_sends_what_is_owed(make_loop, httpserver, tmp_path):
    httpserver.expect_request(SLACK_PATH, method="POST").respond_with_data("busy", status=503)
    loop = make_loop(notify={"slack_webhook_url": httpserver.url_for(SLACK_PATH)})
    p = seed(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")  # Slack says 503: owed
    assert [status for *_, status in outbound_rows(loop)] == ["pending", "pending"]
    with Session(loop.runtime.engine) as session:
        for row in session.exec(select(Outbound)):
            row.next_attempt_at = utcnow() - timedelta(seconds=1)  # their retry time came
            session.add(row)
        session.commit()
    httpserver.clear()
    httpserver.expect_request(SLACK_PATH, method="POST").respond_with_data("ok")

    result = voice_router(tmp_path, config_of(loop, jira=False), "reconcile")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Jira is not configured ([jira].url is empty): no issues to read",
        "reconcile: 0 issue(s) read, 0 status change(s) (0 shipped), "
        "outbound: 2 sent, 0 retrying, 0 failed",
    ]
    assert [status for *_, status in outbound_rows(loop)] == ["sent", "sent"]


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize(
    ("jira", "expected"),
    [
        ({"api_token": "not-the-token"}, "Jira error (unauthorized): "),
        ({"url": "closed port"}, "Jira error (unavailable): could not reach Jira"),
    ],
)
def test_a_jira_error_is_one_line_and_a_failing_exit(make_loop, tmp_path, jira, expected):
    loop = make_loop(webhooks=False)
    p = seed(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    config = config_of(loop)
    config["jira"].update(jira)
    if config["jira"]["url"] == "closed port":
        config["jira"]["url"] = closed_port_url()

    result = voice_router(tmp_path, config, "reconcile")

    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("voice-router: reconcile stopped, ") and expected in line
    assert "not-the-token" not in line
    assert result.stdout == ""
    assert problem(loop).status == "open"


def file_issues(sandbox: JiraSandbox, count: int) -> None:
    """Issues labelled for voice-router (no problem's): a pass reads them in pages of 100."""
    with requests.Session() as jira:
        jira.auth = (EMAIL, TOKEN)
        for number in range(count):
            fields = {
                "project": {"key": "PROD"},
                "issuetype": {"name": "Bug"},
                "summary": f"Issue {number}",
                "labels": ["voice-router"],
            }
            response = jira.post(f"{sandbox.url}/rest/api/2/issue", json={"fields": fields})
            assert response.status_code == 201, response.text


def test_many_issues_show_a_progress_bar_on_stderr(make_loop, tmp_path):
    loop = make_loop(webhooks=False)
    file_issues(loop.sandbox, 150)  # two pages of Jira's search

    result = voice_router(tmp_path, config_of(loop), "reconcile")

    assert result.returncode == 0, result.stderr
    assert summary(result).startswith("reconcile: 150 issue(s) read, 0 status change(s)")
    bar = result.stderr.replace("\r", "\n").splitlines()
    assert any(line.startswith("Jira issues read: 150 issues") for line in bar), result.stderr
