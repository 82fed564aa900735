"""The voice-router command line, run as a user would."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlmodel import Session, select

from integrations import registry
from tests.support import by_key, config_file, generic_delivery, post_signed, run_cli
from tests.ui.ui_support import sign_in
from voice_router.cli import cli
from voice_router.models import Account, ApiToken, Delivery, Problem, UiSession
from voice_router.platform.tokens import authenticate, create_token
from voice_router.problems import impact_check, merging

pytestmark = pytest.mark.usefixtures("jira_openapi_check")


def run(tmp_path, settings, *args):
    result = CliRunner().invoke(
        cli, ["--config", str(config_file(tmp_path, settings.database_url)), *args]
    )
    return result


def test_db_upgrade_reports_the_revision(tmp_path, settings):
    from alembic.script import ScriptDirectory

    from voice_router.platform.db import MIGRATIONS

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    result = run(tmp_path, settings, "db", "upgrade")
    assert result.exit_code == 0 and f"revision {head}" in result.output


def test_token_create_prints_a_working_token_once(tmp_path, settings, runtime):
    result = run(tmp_path, settings, "token", "create", "--role", "pm", "--name", "Priya")
    assert result.exit_code == 0
    plain = result.output.strip()
    caller = authenticate(runtime.engine, plain)
    assert caller is not None and (caller.name, caller.role) == ("Priya", "pm")


def test_token_create_refuses_an_unknown_role(tmp_path, settings):
    result = run(tmp_path, settings, "token", "create", "--role", "boss", "--name", "X")
    assert result.exit_code == 2 and "boss" in result.output


@pytest.mark.parametrize(
    ("name", "message"),
    [("x" * 101, "at most 100 characters, got 101"), ("   ", "must not be blank"), ("", "blank")],
)
def test_token_create_refuses_a_name_blank_or_longer_than_its_column(
    tmp_path, settings, runtime, name, message
):
    """The same answer on both databases: SQLite kept a 300-character name, PostgreSQL
    ended in a traceback; a blank name left notes without an author."""
    config = config_file(tmp_path, settings.database_url)
    result = run_cli(config, "token", "create", "--role", "agent", "--name", name)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--name" in result.stderr and message in result.stderr
    with Session(runtime.engine) as session:
        assert session.exec(select(ApiToken)).all() == []
    fits = run_cli(config, "token", "create", "--role", "agent", "--name", " " + "y" * 100)
    assert fits.returncode == 0
    assert authenticate(runtime.engine, fits.stdout.strip()).name == "y" * 100


def token_id(runtime, name: str) -> int:
    with Session(runtime.engine) as session:
        return session.exec(select(ApiToken.id).where(ApiToken.name == name)).one()


def test_token_list_shows_each_token_but_never_its_value_or_hash(tmp_path, settings, runtime):
    assert run(tmp_path, settings, "token", "list").output.startswith("no tokens")
    priya = run(tmp_path, settings, "token", "create", "--role", "pm", "--name", "Priya").output
    ann = run(tmp_path, settings, "token", "create", "--role", "agent", "--name", "Ann").output
    assert run(tmp_path, settings, "token", "revoke", str(token_id(runtime, "Ann"))).exit_code == 0
    result = run(tmp_path, settings, "token", "list")
    assert result.exit_code == 0
    header, first, second = result.output.strip().splitlines()
    assert header.split() == ["ID", "NAME", "ROLE", "CREATED", "REVOKED"]
    assert first.split()[:3] == [str(token_id(runtime, "Priya")), "Priya", "pm"]
    assert first.split()[-1] == "-"
    assert second.split()[:3] == [str(token_id(runtime, "Ann")), "Ann", "agent"]
    assert second.split()[-1].endswith("Z")
    with Session(runtime.engine) as session:
        hashes = session.exec(select(ApiToken.token_hash)).all()
    for secret in [priya.strip(), ann.strip(), *hashes]:
        assert secret not in result.output


def test_a_revoked_token_stops_working_for_the_api_and_the_ui_at_once(
    tmp_path, settings, runtime, client
):
    plain = sign_in(client, runtime, "pm", name="Priya")
    auth = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/problems", headers=auth).status_code == 200
    assert client.get("/").status_code == 200

    result = run(tmp_path, settings, "token", "revoke", str(token_id(runtime, "Priya")))
    assert result.exit_code == 0 and "revoked token" in result.output and "Priya" in result.output
    assert client.get("/api/v1/problems", headers=auth).status_code == 401
    signed_out = client.get("/")
    assert signed_out.status_code == 303 and signed_out.headers["Location"].startswith("/login")
    with Session(runtime.engine) as session:
        assert session.exec(select(UiSession.ended_at)).one() is not None


def test_revoking_twice_is_harmless(tmp_path, settings, runtime):
    create_token(runtime.engine, "agent", "Ann")
    ann = str(token_id(runtime, "Ann"))
    assert run(tmp_path, settings, "token", "revoke", ann).exit_code == 0
    with Session(runtime.engine) as session:
        revoked_at = session.exec(select(ApiToken.revoked_at)).one()
    again = run(tmp_path, settings, "token", "revoke", ann)
    assert again.exit_code == 0 and "already revoked" in again.output
    with Session(runtime.engine) as session:
        assert session.exec(select(ApiToken.revoked_at)).one() == revoked_at


@pytest.mark.parametrize("unknown", ["999", "0", "99999999999999999999"])
def test_revoking_an_unknown_token_says_so_and_fails(tmp_path, settings, runtime, unknown):
    create_token(runtime.engine, "agent", "Ann")
    result = run(tmp_path, settings, "token", "revoke", unknown)
    assert result.exit_code == 1
    assert f"no token with id {unknown}" in result.output
    with Session(runtime.engine) as session:
        assert session.exec(select(ApiToken.revoked_at)).one() is None


def test_import_accounts_keeps_good_rows_and_reports_bad_ones(tmp_path, settings, runtime, client):
    assert (
        post_signed(
            client, "generic", generic_delivery("T1", "a@acme.com", ["pain-sso"])
        ).status_code
        == 202
    )
    csv_file = tmp_path / "accounts.csv"
    csv_file.write_text(
        "domain,name,plan,mrr\n"
        "acme.com,Acme Corp,Business,1200\n"
        "not a domain,Broken,Pro,10\n"
        "globex.io,Globex,Growth,abc\n"
        "gmail.com,Google Mail,Free,0\n"
        "initech.com,Initech,,800.50\n"
    )
    result = run(tmp_path, settings, "import-accounts", str(csv_file))
    assert result.exit_code == 1
    assert f"{csv_file}:3: domain 'not a domain' is not a domain name" in result.output
    assert f"{csv_file}:4: mrr 'abc' is not a number" in result.output
    assert f"{csv_file}:5: gmail.com is a free-mail domain" in result.output
    assert "imported 2 account(s), 3 bad row(s)" in result.output
    # The progress bar ends full: it counted the imported rows only and stopped at 2/5.
    assert "5/5" in result.stderr.rsplit("accounts:", 1)[-1]
    with Session(runtime.engine) as session:
        accounts = {a.key: a for a in session.exec(select(Account)).all()}
    assert accounts["acme.com"].mrr == 1200 and accounts["acme.com"].plan == "Business"
    assert str(accounts["initech.com"].mrr) == "800.50"
    assert by_key(client, runtime)["sso"]["mrr"] == 1200.0  # impact recomputed


def test_import_accounts_sums_mrr_again_for_merged_problems_too(
    tmp_path, settings, runtime, client
):
    """Customers of acme.com on two problems, one merged into the other, globex.com's on the
    surviving one: an import that reprices acme.com moves the MRR of both, the surviving
    problem's over its whole group, and every count still equals a recount."""
    for ticket, email, tag in [
        ("T1", "a@acme.com", "pain-sso"),
        ("T2", "b@acme.com", "pain-login"),
        ("T3", "c@globex.com", "pain-login"),
    ]:
        body = generic_delivery(ticket, email, [tag], company=email.split("@")[1], mrr=100)
        assert post_signed(client, "generic", body).status_code == 202
    problems = by_key(client, runtime)
    merging.merge(runtime.engine, problems["sso"]["id"], problems["login"]["id"], "pm")
    csv_file = tmp_path / "accounts.csv"
    csv_file.write_text("domain,name,plan,mrr\nacme.com,Acme,Business,1200\n")
    result = run(tmp_path, settings, "import-accounts", str(csv_file))
    assert result.exit_code == 0, result.output
    with Session(runtime.engine) as session:
        mrr = {p.key: float(p.mrr) for p in session.exec(select(Problem)).all()}
    assert mrr == {"sso": 1200.0, "login": 1300.0}  # login's group: acme.com once, globex.com
    assert impact_check.recompute_all(runtime.engine, fix=False) == []


def test_import_accounts_without_the_columns_says_so(tmp_path, settings):
    csv_file = tmp_path / "accounts.csv"
    csv_file.write_text("company,revenue\nacme,1\n")
    result = run(tmp_path, settings, "import-accounts", str(csv_file))
    assert result.exit_code == 1 and "missing column(s): domain, name, plan, mrr" in result.output


def test_failed_deliveries_are_listed_and_replayed(tmp_path, settings, runtime, client):
    post_signed(client, "generic", b"{broken")
    body = generic_delivery("T1", "a@acme.com", ["pain-x"])
    post_signed(client, "generic", body)
    with Session(runtime.engine) as session:
        good = session.exec(select(Delivery).where(Delivery.status == "processed")).one()
        good.status, good.attempts, good.last_error = "failed", 5, "RuntimeError: boom"
        session.add(good)
        session.commit()
        good_id = good.id
    listing = run(tmp_path, settings, "deliveries", "failed")
    assert listing.exit_code == 0
    assert "invalid" in listing.output and "RuntimeError: boom" in listing.output
    replayed = run(tmp_path, settings, "deliveries", "replay", str(good_id))
    assert replayed.exit_code == 0 and "replaying 1" in replayed.output
    with Session(runtime.engine) as session:  # back in the inbox, for the job runner
        row = session.get(Delivery, good_id)
        assert (row.status, row.attempts) == ("pending", 0)
    runtime.queue.signal_drain()  # what the running service's runner does next
    with Session(runtime.engine) as session:
        assert session.get(Delivery, good_id).status == "processed"
    assert by_key(client, runtime)["x"]["tickets"] == 1
    again = run(tmp_path, settings, "deliveries", "replay", str(good_id))
    assert "nothing to replay" in again.output


def test_recompute_refuses_check_and_fix_together(tmp_path, settings, runtime, client):
    """The last flag given used to win: `--check --fix` stored the recount."""
    body = generic_delivery("T1", "ann@acme.com", ["pain-x"])
    assert post_signed(client, "generic", body).status_code == 202
    with runtime.engine.begin() as connection:
        connection.execute(sa.text("UPDATE problem SET tickets = 7"))
    result = run(tmp_path, settings, "recompute", "--check", "--fix")
    assert result.exit_code == 2 and "give --check or --fix, not both" in result.output
    assert by_key(client, runtime)["x"]["tickets"] == 7


def test_replay_needs_an_id_or_all(tmp_path, settings):
    result = run(tmp_path, settings, "deliveries", "replay")
    assert result.exit_code == 2 and "--all" in result.output


def test_demo_runs_every_helpdesk_and_ranks_the_problems():
    result = CliRunner().invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    for kind in registry.kinds():
        assert f"  {kind} " in result.output
    assert "-> 202" in result.output and "-> 4" not in result.output
    table = result.output.split("Problems ranked by impact")[1].splitlines()
    first = next(line for line in table if line.strip().startswith("1 "))
    assert "SSO login loop" in first
    # Maria (two helpdesks), Dev, Tom, Li, Sam, Anna; accounts Acme, Globex, Initech, Umbrella
    assert first.split()[4:6] == ["6", "4"]
    # The samples are moved to the last days, so each one's ticket counts in the 7-day trend
    # (with their written dates of March 2026 every row read +0).
    rows = [line.split() for line in table if re.match(r"^ *\d+  ", line)]
    assert len(rows) == 4 and all(row[-1] == f"+{row[-2]}" for row in rows), table
    assert "using the built-in Jira sandbox" in result.output
    issues = re.findall(r"^  (PROD-\d+) +(.+)$", result.output, re.MULTILINE)
    assert sorted(title for _, title in issues) == [  # one issue per problem
        "CSV export timeout",
        "Invoice PDF missing",
        "Mobile sync crash",
        "SSO login loop",
    ]
    assert len({key for key, _ in issues}) == 4
    assert "|6|4|4,500|7|+7|+7|" in result.output  # the block written into the top issue
    after = result.output.split("is now shipped. Who tells whom:")[1]
    assert "  carol@support.example\n    - Maria Lopez at Acme Corp" in after
    assert after.count("    - ") == 6  # one line per customer, none twice


@pytest.mark.slow
def test_demo_prints_the_story_only_and_names_the_file_its_logs_went_to(tmp_path):
    """As a user runs it: the terminal shows the story, not log lines; they are in a file
    named on the last line (in the temporary folder, which outlives the demo)."""
    result = subprocess.run(
        [sys.executable, "-m", "voice_router", "demo"],
        cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for line in result.stdout.splitlines():
        assert not line.startswith('{"'), line  # a JSON log line
        assert '"event"' not in line and "inbox.drained" not in line, line
    assert "Problems ranked by impact" in result.stdout
    assert "is now shipped. Who tells whom:" in result.stdout
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("logs: ")
    log_file = Path(last.removeprefix("logs: "))
    assert log_file.parent == tmp_path and log_file.is_file()
    events = [json.loads(line)["event"] for line in log_file.read_text().splitlines()]
    for event in ("inbox.drained", "jira.sync.created", "problem.status_changed"):
        assert event in events


@pytest.mark.slow
def test_demo_kept_in_a_folder_runs_again_there_from_a_fresh_database(tmp_path):
    """The second run reused the first one's database with a new, empty Jira sandbox and
    ended in a KeyError traceback for an issue only the first sandbox had."""
    runs = [
        subprocess.run(
            [sys.executable, "-m", "voice_router", "demo", "--keep", str(tmp_path / "kept")],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        for _ in range(2)
    ]
    for result in runs:
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert "is now shipped. Who tells whom:" in result.stdout
    assert "previous demo's database in that folder was replaced" in runs[1].stdout
    assert "The demo reads no configuration (voice-router.toml, VOICE_ROUTER_*)" in runs[0].stdout
    assert (
        runs[0].stdout.split("Problems ranked")[1].split("Jira issues")[0]
        == (runs[1].stdout.split("Problems ranked")[1].split("Jira issues")[0])
    )  # counted once each run, not twice


def test_replaying_an_id_beyond_any_delivery_is_a_usage_error_not_a_crash(tmp_path, settings):
    result = run(tmp_path, settings, "deliveries", "replay", "99999999999999999999")
    assert result.exit_code == 2 and "99999999999999999999" in result.output


def test_commands_on_a_new_embedded_database_answer_instead_of_a_traceback(tmp_path):
    """Run where no database is yet (no config: the embedded default in this directory),
    a command that reads deliveries made the file and then failed on its missing tables."""
    from voice_router.platform.settings import parse_settings

    fresh = parse_settings({"database_url": f"sqlite:///{tmp_path / 'new.db'}"}, {}, "test")
    for args in (("deliveries", "failed"), ("deliveries", "replay", "--all")):
        result = run(tmp_path, fresh, *args)
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output
    assert "no failed deliveries" in run(tmp_path, fresh, "deliveries", "failed").output


def test_import_accounts_refuses_an_mrr_over_the_webhooks_cap_and_keeps_the_good_rows(
    tmp_path, settings, runtime, client
):
    """1e309 was stored as infinity on SQLite (the API then wrote `Infinity`, not JSON); a
    number past NUMERIC(20,2) lost the whole file on PostgreSQL with a traceback."""
    csv_file = tmp_path / "accounts.csv"
    csv_file.write_text(
        "domain,name,plan,mrr\n"
        "acme.com,Acme,Business,1200\n"
        "umbrella.co,Umbrella,pro,1e309\n"
        "big.co,Big,pro,100000000000000000000\n"
        'globex.com,Globex,pro,"12,500.50"\n'
        'eu.example,EU,pro,"1,5"\n'
        'eu2.example,EU,pro,"1.234,56"\n'
    )
    result = run_cli(config_file(tmp_path, settings.database_url), "import-accounts", str(csv_file))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{csv_file}:3: mrr '1e309' is over 10,000,000,000" in result.stderr
    assert f"{csv_file}:4: mrr '100000000000000000000' is over 10,000,000,000" in result.stderr
    assert f"{csv_file}:6: mrr '1,5' is ambiguous" in result.stderr
    assert f"{csv_file}:7: mrr '1.234,56' is ambiguous" in result.stderr
    assert "imported 2 account(s), 4 bad row(s)" in result.stdout
    with Session(runtime.engine) as session:
        mrr = {a.key: a.mrr for a in session.exec(select(Account)).all()}
    assert mrr == {"acme.com": 1200, "globex.com": Decimal("12500.50")}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"domain,name,plan,mrr\nacme.com,Caf\xe9 GmbH,pro,1500\n",
            'not UTF-8 text (byte 0xe9 at offset 33): save it as "CSV UTF-8"',
        ),
        (
            b"domain;name;plan;mrr\nacme.com;Acme;pro;1500\n",
            "missing column(s): domain, name, plan, mrr (the columns look separated by ';'",
        ),
    ],
)
def test_import_accounts_says_what_is_wrong_with_a_file_excel_saved(
    tmp_path, settings, content, message
):
    csv_file = tmp_path / "accounts.csv"
    csv_file.write_bytes(content)
    result = run_cli(config_file(tmp_path, settings.database_url), "import-accounts", str(csv_file))
    assert result.returncode == 1
    assert message in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr


def test_replaying_a_delivery_that_does_not_exist_says_so_and_fails(tmp_path, settings):
    result = run(tmp_path, settings, "deliveries", "replay", "99999")
    assert result.exit_code == 1
    assert "no delivery with id 99999" in result.output


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("--port", "99999"), 2, "'--port': 99999 is not in the range 1<=x<=65535"),
        (("--host", "nonexistent.invalid", "--port", "18441"), 1, "--host nonexistent.invalid: "),
    ],
)
def test_serve_says_what_is_wrong_with_where_it_was_told_to_listen(
    tmp_path, settings, args, status, message
):
    """A port out of range was an OverflowError traceback; a host name that does not
    resolve was reported as a port in use."""
    result = run_cli(config_file(tmp_path, settings.database_url), "serve", *args, timeout=60)
    assert result.returncode == status and "Traceback" not in result.stderr
    assert message in result.stderr and "in use" not in result.stderr


def test_a_command_that_makes_a_new_sqlite_database_says_so(tmp_path):
    """The default database_url is relative: `token create` run from another directory
    than the service made a database of its own, and the token then got 401, silently."""

    def token_list() -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VOICE_ROUTER_")}
        return subprocess.run(
            [sys.executable, "-m", "voice_router", "token", "list"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    first = token_list()
    assert first.returncode == 0 and first.stdout.startswith("no tokens")
    assert first.stderr.strip() == (
        f"voice-router: no database was at {tmp_path.resolve() / 'voice_router.db'}: made a new, "
        "empty one (a relative database_url is read from the working directory)"
    )
    assert token_list().stderr == ""


def test_help_loads_no_database_library():
    """`voice-router --help` answers at once: every command catches the database's errors,
    and catching them must not import SQLAlchemy (0.4 s of a 0.1 s answer)."""
    probe = (
        "import sys\n"
        "from voice_router.cli import main\n"
        "sys.argv = ['voice-router', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('sqlalchemy' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert "Usage:" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "False"


def test_demo_samples_move_together_to_the_last_days():
    """Every moment of every sample moves by one amount, ISO strings and Unix seconds alike,
    keeping each one's form; a 0 that means "never" stays 0."""
    from datetime import UTC, datetime, timedelta

    from voice_router.demo import _moments, recent, sample_files

    samples = list(sample_files())
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    moved = recent(samples, now)
    before = [sorted(_moments(s["body"])) for _, _, s in samples]
    after = [sorted(_moments(s["body"])) for _, _, s in moved]
    pairs = zip(before, after, strict=True)
    shifts = {b - a for old, new in pairs for a, b in zip(old, new, strict=True)}
    assert len(shifts) == 1 and max(max(m) for m in after) == now - timedelta(hours=1)
    kinds = {kind for kind, _, s in samples if list(_moments(s["body"]))}
    assert kinds == set(registry.kinds())  # no helpdesk's sample left in March
    text = json.dumps([s["body"] for _, _, s in moved])
    assert '"delivered_at": 0' in text and "2026-12-0" in text
    assert not re.search(r"2026-03-\d\dT", text)
