"""`voice-router forget` reaches SQLite's spool: a person's deliveries waiting in its files
are taken in and erased with the rest, those in `corrupt/` files are erased in place, and a
file it cannot read is named in what it prints (voice_router/intake/spool_forget.py)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from tests.support import config_file, generic_delivery, post_signed, spooled_row
from voice_router.cli import cli
from voice_router.intake import processing, spool
from voice_router.intake.processing.spooled import FILES_PER_PASS
from voice_router.models import Customer
from voice_router.problems.privacy import FORGOTTEN_BODY

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

EMAIL = "maria.lopez@acme-corp.com"


def run(tmp_path: Path, settings: Any, *args: str, answer: str | None = None) -> Any:
    config = config_file(tmp_path, settings.database_url)
    return CliRunner().invoke(cli, ["--config", str(config), *args], input=answer)


def maria(ticket: str) -> dict[str, Any]:
    return generic_delivery(ticket, EMAIL, ["pain-export"], name="Maria Lopez")


def mentions_her(directory: Path) -> list[str]:
    """The readable spool files (waiting and corrupt) whose deliveries, decoded, hold her
    address."""
    found = []
    for path in [*spool.waiting(directory), *spool.waiting(directory / spool.CORRUPT)]:
        try:
            rows = spool.read(path)
        except spool.Corrupt:
            continue
        if any(
            EMAIL.encode() in row["body"].lower() + row["headers"].lower().encode() for row in rows
        ):
            found.append(path.name)
    return found


def spool_with_her(client: Any, runtime: Any, database_url: str) -> tuple[Path, Path, Path]:
    """Maria known (her first ticket processed); in the spool: more files than one drain
    takes in, her second ticket in the newest; in `corrupt/`, a file the database refused
    holding her third ticket and a colleague's that quotes her address, and a file cut
    short. The spool's directory, the readable corrupt file and the cut-short one."""
    assert post_signed(client, "generic", maria("M-1")).status_code == 202
    processing.drain(runtime.engine, runtime.settings)
    directory = spool.directory_of(database_url.removeprefix("sqlite:///"))
    assert directory is not None
    for i in range(FILES_PER_PASS):
        other = generic_delivery(f"O-{i}", f"other{i}@globex.com", ["pain-export"])
        spool.write(directory, [spooled_row(other)])
    spool.write(directory, [spooled_row(maria("M-2"))])
    corrupt = directory / spool.CORRUPT
    corrupt.mkdir()
    colleague = generic_delivery(
        "C-1", "ole.berg@umbrella.co", ["pain-export"], subject=f"Ask {EMAIL} about it"
    )
    refused = spool.write(corrupt, [spooled_row(maria("M-3")), spooled_row(colleague)])
    cut = corrupt / "00000000000000000001-cut.json"
    cut.write_bytes(b'{"format": "voice-router-spool/1", "rows": [{"source": "gen')
    return directory, refused, cut


def test_forget_erases_her_from_waiting_and_corrupt_spool_files_and_names_what_it_cannot_read(
    tmp_path, settings, client, runtime, database_url
):
    directory, refused, cut = spool_with_her(client, runtime, database_url)
    assert len(mentions_her(directory)) == 2
    result = run(tmp_path, settings, "forget", EMAIL, "--yes")
    assert result.exit_code == 0, result.output
    assert mentions_her(directory) == []
    assert spool.waiting(directory) == []  # every waiting file taken in
    her, colleague = spool.read(refused)
    assert her["body"] == FORGOTTEN_BODY and her["status"] == "forgotten"
    assert b"ole.berg@umbrella.co" in colleague["body"] and colleague["status"] == "pending"
    assert "deliveries erased in files of SQLite's spool: 2" in result.output
    assert (
        f"1 spool file(s) in {directory / spool.CORRUPT} that cannot be read (or" in result.output
    )
    assert cut.exists()  # left for the operator, as said
    assert "lopez" not in result.output.lower()


def test_the_preview_counts_her_spooled_deliveries_and_the_unreadable_files(
    tmp_path, settings, client, runtime, database_url
):
    directory, _, _ = spool_with_her(client, runtime, database_url)
    result = run(tmp_path, settings, "forget", EMAIL, answer="n\n")
    assert result.exit_code == 1, result.output
    preview = result.output.split("Erase it?")[0]
    # M-2 still waiting (the drain before took in the older files), M-3 and the colleague's
    # quote in corrupt/; M-1 in the table
    assert "deliveries erased in files of SQLite's spool: 3" in preview
    assert "raw webhook deliveries erased: 1" in preview
    assert f"1 spool file(s) in {directory / spool.CORRUPT} that cannot be read (or" in preview
    assert "nothing erased" in result.output
    assert len(mentions_her(directory)) == 2  # untouched


# `voice-router forget` in a process of its own, which dies (SIGKILL, as a power cut or the
# OOM killer would end it) the moment it first puts a file in place in `corrupt/`.
DIES_AT_CORRUPT_REWRITE = """
import os, signal, sys
rename = os.rename
def dying(source, target, *args, **kwargs):
    if os.sep + "corrupt" + os.sep in os.fspath(target):
        os.kill(os.getpid(), signal.SIGKILL)
    return rename(source, target, *args, **kwargs)
os.rename = dying
from voice_router.cli import cli
cli(sys.argv[1:])
"""


@pytest.mark.slow
def test_forget_killed_as_it_rewrites_a_corrupt_file_never_leaves_her_there_behind_erased_tables(
    tmp_path, settings, client, runtime, database_url
):
    assert post_signed(client, "generic", maria("M-1")).status_code == 202
    processing.drain(runtime.engine, runtime.settings)
    directory = spool.directory_of(database_url.removeprefix("sqlite:///"))
    assert directory is not None
    (directory / spool.CORRUPT).mkdir(parents=True)
    refused = spool.write(directory / spool.CORRUPT, [spooled_row(maria("M-3"))])
    config = config_file(tmp_path, settings.database_url)
    command = ["--config", str(config), "forget", EMAIL, "--yes"]
    child = subprocess.run(
        [sys.executable, "-c", DIES_AT_CORRUPT_REWRITE, *command],
        capture_output=True,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert mentions_her(directory) == [refused.name]  # the file as it was ...
    with Session(runtime.engine) as session:  # ... and so are the tables: nothing erased
        assert session.exec(select(Customer).where(Customer.email == EMAIL)).one()
    result = run(tmp_path, settings, "forget", EMAIL, "--yes")  # as the operator would
    assert result.exit_code == 0, result.output
    assert mentions_her(directory) == []
    with Session(runtime.engine) as session:
        assert session.exec(select(Customer).where(Customer.email == EMAIL)).all() == []
