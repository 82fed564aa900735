"""`voice-router demo`: sample deliveries from every helpdesk, signed and posted to the real
HTTP endpoint of a throwaway instance, processed, and the problems printed by impact."""

from __future__ import annotations

import json
import re
import secrets
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import click
from sqlmodel import Session
from werkzeug.serving import WSGIRequestHandler, make_server

from integrations import registry
from jira_sandbox import JiraSandbox
from voice_router.closing.notify import notify_json
from voice_router.platform.runtime import Runtime
from voice_router.platform.settings import parse_settings
from voice_router.problems.listing import list_problems
from workers.runtime import build_runtime


def sample_files() -> Iterator[tuple[str, str, Any]]:
    """(kind, file name, parsed sample) for every sample shipped with the package."""
    root = resources.files("voice_router") / "samples"
    for kind in registry.kinds():
        folder = root / kind
        if not folder.is_dir():
            continue
        for item in sorted(folder.iterdir(), key=lambda p: p.name):
            if item.name.endswith(".json"):
                yield kind, item.name, json.loads(item.read_text(encoding="utf-8"))


# A moment in a sample: an ISO 8601 string, or Unix seconds under a key naming a moment
# (0 there means "never", as Intercom's `delivered_at`).
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
EPOCH_KEY = re.compile(r"(_at|At)$")


def _is_epoch(value: Any, key: str) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and value >= 1_000_000_000 and EPOCH_KEY.search(key) is not None


def _moments(value: Any, key: str = "") -> Iterator[datetime]:
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _moments(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _moments(item, key)
    elif isinstance(value, str) and ISO_MOMENT.match(value):
        yield datetime.fromisoformat(value.replace("Z", "+00:00"))
    elif _is_epoch(value, key):
        yield datetime.fromtimestamp(value, UTC)


def _shifted(value: Any, by: timedelta, key: str = "") -> Any:
    if isinstance(value, dict):
        return {name: _shifted(item, by, name) for name, item in value.items()}
    if isinstance(value, list):
        return [_shifted(item, by, key) for item in value]
    if isinstance(value, str) and ISO_MOMENT.match(value):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")) + by
        text = moment.isoformat(timespec="seconds")
        return text.replace("+00:00", "Z") if value.endswith("Z") else text
    if _is_epoch(value, key):
        return value + int(by.total_seconds())
    return value


def recent(samples: list[tuple[str, str, Any]], now: datetime) -> list[tuple[str, str, Any]]:
    """The samples moved in time as one, so the latest report was an hour before `now` and
    the days between them stay as written: the problems' 7-day trends then show the
    samples, as a new user's first table should (their dates alone fall out of any week)."""
    latest = max(m for _, _, sample in samples for m in _moments(sample["body"]))
    by = timedelta(seconds=int((now - timedelta(hours=1) - latest).total_seconds()))
    return [
        (kind, name, {**sample, "body": _shifted(sample["body"], by)})
        for kind, name, sample in samples
    ]


DEMO_JIRA_EMAIL = "voice-router@demo.invalid"


def demo_config(database_url: str, jira_url: str, jira_token: str) -> dict[str, Any]:
    return {
        "database_url": database_url,
        "base_url": "http://localhost:8000",
        "sources": {
            kind: {"kind": kind, "secret": secrets.token_hex(16)} for kind in registry.kinds()
        },
        "jira": {
            "url": jira_url,
            "email": DEMO_JIRA_EMAIL,
            "api_token": jira_token,
            "webhook_secret": secrets.token_hex(16),
            "update_interval_seconds": 0,  # show every change at once
        },
    }


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


@contextmanager
def serving(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


def post_sample(base: str, kind: str, secret: str, sample: dict[str, Any]) -> int:
    body = json.dumps(sample["body"]).encode()
    headers = {"Content-Type": "application/json", **sample.get("headers", {})}
    headers.update(registry.adapter(kind).sign(body, secret))
    request = urllib.request.Request(f"{base}/webhooks/{kind}", data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code


def render_table(problems: list[dict[str, Any]]) -> str:
    header = (
        f"{'#':>2}  {'PROBLEM':<28} {'CUSTOMERS':>9} {'ACCOUNTS':>8} {'MRR':>9} "
        f"{'TICKETS':>7}  {'TREND 7D':>8}"
    )
    lines = [header, "-" * len(header)]
    for rank, p in enumerate(problems, 1):
        lines.append(
            f"{rank:>2}  {p['title'][:28]:<28} {p['customers']:>9} {p['accounts']:>8} "
            f"{p['mrr']:>9,.0f} {p['tickets']:>7}  {p['trend_7d']:>+8}"
        )
    return "\n".join(lines)


def show_jira(sandbox: JiraSandbox, problems: list[dict[str, Any]]) -> None:
    click.echo("\nJira issues kept by voice-router (one per problem):\n")
    for p in problems:
        jira = p["jira"] or {}
        click.echo(f"  {jira.get('key') or '-':<8} {p['title']}")
    top = problems[0]["jira"] if problems else None
    if top and top.get("key"):
        description = sandbox.issue(top["key"])["fields"]["description"] or ""
        click.echo(f"\nThe impact block voice-router wrote into {top['key']}:\n")
        click.echo("\n".join("    " + line for line in description.splitlines()))


def show_notify_list(runtime: Runtime, problem: dict[str, Any]) -> None:
    with Session(runtime.engine) as session:
        data = notify_json(session, problem["id"])
    status = "shipped" if data["shipped"] else data["status"]
    click.echo(f"\n{problem['title']} is now {status}. Who tells whom:\n")
    by_agent: dict[str, list[dict[str, Any]]] = {}
    for recipient in data["recipients"]:
        by_agent.setdefault(recipient["agent_email"] or "(no agent)", []).append(recipient)
    for agent, people in by_agent.items():
        click.echo(f"  {agent}")
        for r in people:
            who = r["customer_name"] or r["customer_email"] or "(a forgotten customer)"
            where = f" at {r['account']}" if r["account"] else ""
            email = f" <{r['customer_email']}>" if r["customer_email"] else ""
            click.echo(
                f"    - {who}{where}{email}, {r['source']} ticket "
                f"{r['ticket_id']}: {r['ticket_url'] or ''}"
            )


def _remove_previous(database: Path) -> bool:
    """A kept folder's earlier demo database goes, with SQLite's side files: the demo starts
    fresh, as it says. Its Jira sandbox lives in memory and is new each run, so the issues
    the old database pointed at are gone anyway (the second run ended in a KeyError)."""
    found = database.exists()
    for suffix in ("", "-wal", "-shm", ".migrate-lock"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    return found


def run_demo(keep: Path | None = None) -> None:
    from voice_router.web import create_app
    from workers.embedded import JobRunner

    with tempfile.TemporaryDirectory(prefix="voice-router-demo-") as tmp:
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        database = folder / "demo.db"
        replaced = _remove_previous(database)
        jira_token = secrets.token_hex(8)
        sandbox = JiraSandbox(email=DEMO_JIRA_EMAIL, api_token=jira_token, project="PROD")
        sandbox.start()
        settings = parse_settings(
            demo_config(f"sqlite:///{database}", sandbox.url, jira_token), {}, "demo"
        )
        runtime = build_runtime(settings)
        app = create_app(runtime=runtime)
        runner = JobRunner(runtime, poll=0.2).start()  # what `voice-router serve` runs
        click.echo(f"voice-router demo: a fresh SQLite database at {database}")
        if replaced:
            click.echo("  (the previous demo's database in that folder was replaced)")
        click.echo(
            "The demo reads no configuration (voice-router.toml, VOICE_ROUTER_*): "
            f"using the built-in Jira sandbox at {sandbox.url}, project PROD"
        )
        with serving(app) as base:
            click.echo(f"posting signed sample webhooks to {base}/webhooks/<source>")
            for kind, name, sample in recent(list(sample_files()), datetime.now(UTC)):
                status = post_sample(base, kind, settings.sources[kind].secret, sample)
                click.echo(f"  {kind:<10} {name:<40} -> {status}")
            runner.settle()  # processed, and each problem's Jira issue written
            with Session(runtime.engine) as session:
                problems = list_problems(session, sort="impact")
            click.echo("\nProblems ranked by impact (customers, then accounts, MRR, tickets):\n")
            click.echo(render_table(problems))
            show_jira(sandbox, problems)
            top = problems[0]
            key = (top["jira"] or {}).get("key")
            if key:
                sandbox.register_webhook(f"{base}/webhooks/jira", settings.jira.webhook_secret)
                click.echo(
                    f"\nIn the sandbox, {key} moves to Done (resolution Done); Jira sends its "
                    f"signed webhook to {base}/webhooks/jira"
                )
                sandbox.transition(key, "Done", resolution="Done")
                sandbox.flush_webhooks()
                runner.settle()
                show_notify_list(runtime, top)
        runner.stop()
        runtime.engine.dispose()
        sandbox.stop()
