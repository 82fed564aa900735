"""Instructions a pain point costs the processing code: valgrind's count, not seconds.

    python bench/instructions.py [--deliveries 3000] [--databases postgresql,sqlite]
        [--batch-size 1000] [--compare-with REF]

For each database it stores N generic deliveries once (as `bench/processing.py` does), then,
for this code and REF's (`git archive`, compiled), runs a Python process under `valgrind
--tool=callgrind` that imports the code, drains a clone of that inbox in-process
(`processing.drain`, as a worker's drain job does, `gc` set as a job process sets it) and
exits; and the same over a clone whose deliveries are all processed already. Their
difference over N is what a pain point costs the worker's process in instructions: imports,
connections and start-up are in both runs and cancel out. Both codes are imported from a
tree on PYTHONPATH (this one from the checkout), so the import machinery is the same; REF's
runs on a clone taken back to its own newest migration.

Why a count: on this 2-core shared machine the same code's rate moves by half within
minutes, and a change of a few per cent in the worker's CPU is lost in it (`processing.py
--pairs` needs many pairs to see one). The count repeats to about 0.1% whatever else the
machine does. It is the worker's CPU only: PostgreSQL's work is not in it (`processing.py`
reports PostgreSQL's CPU seconds), nor the waits between the two. Needs valgrind (Debian's
package); a 3,000-delivery drain takes about 20 s under it.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from common import (
    BENCH,
    PYTHON,
    ROOT,
    compile_code,
    create_postgres,
    drop_postgres,
    log,
    machine,
    postgres_url,
    temp_dir,
    write_result,
)
from processing import export_code, fill_inbox, schema_as_of

DRAIN = f"""
import sys
sys.path.insert(0, {str(BENCH)!r})
from common import settings_for
from voice_router.intake import processing
from voice_router.platform.db import make_engine
try:
    from workers.jobs import freeze_loaded
except ImportError:  # older code: no frozen heap, Python's own collector thresholds
    pass
else:
    freeze_loaded()
url, batch = sys.argv[1], int(sys.argv[2])
result = processing.drain(make_engine(url), settings_for(url), batch_size=batch)
print("processed", result.processed)
"""


def counted(database_url: str, code: Path, batch: int, workdir: Path) -> tuple[int, int]:
    """(instructions, deliveries processed) of one in-process drain under callgrind, in
    `workdir` (in the checkout, `python -c` would import this code whatever PYTHONPATH says:
    the current directory comes first)."""
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            PYTHON,
            "-c",
            DRAIN,
            database_url,
            str(batch),
        ],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(code)},
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    total = re.search(r"Collected : (\d+)", done.stderr)
    processed = re.search(r"processed (\d+)", done.stdout)
    if done.returncode != 0 or total is None or processed is None:
        raise RuntimeError(f"the drain under callgrind failed:\n{done.stdout}\n{done.stderr}")
    return int(total.group(1)), int(processed.group(1))


def clone(database: str, inbox: str, workdir: Path, name: str) -> str:
    """A copy of the inbox: a PostgreSQL database made from it, or a copy of the file."""
    if database == "postgresql":
        return postgres_url(create_postgres("instr", template=inbox))
    copy = workdir / f"{name}.db"
    shutil.copy(inbox.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


def drop(url: str) -> None:
    if url.startswith("postgresql"):
        drop_postgres(url.rsplit("/", 1)[1])


def all_processed(url: str) -> None:
    import sqlalchemy as sa

    from voice_router.platform.db import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE delivery SET status = 'processed'"))
    engine.dispose()


def measure(
    database: str, inbox: str, code: Path, name: str, baseline: bool, args: Any, workdir: Path
) -> dict[str, Any]:
    """This code's drain and empty drain on clones of `inbox`: instructions a pain point."""
    figures: dict[str, int] = {}
    for kind in ("empty", "drain"):
        url = clone(database, inbox, workdir, f"{name}-{kind}")
        try:
            if baseline:
                schema_as_of(url, code)
            if kind == "empty":
                all_processed(url)
            found = counted(url, code, args.batch_size, workdir)
            figures[kind], figures[f"{kind}_processed"] = found
        finally:
            drop(url)
    if figures["drain_processed"] != args.deliveries:
        raise RuntimeError(f"{name}: processed {figures['drain_processed']} of {args.deliveries}")
    per = (figures["drain"] - figures["empty"]) / args.deliveries
    log(f"{database} ({name}): {per:,.0f} instructions a pain point")
    return {
        "database": database,
        "code": name,
        "instructions_drain": figures["drain"],
        "instructions_empty": figures["empty"],
        "instructions_per_pain_point": round(per),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--databases", default="postgresql")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--compare-with", default="", help="a git ref: the baseline's code")
    parser.add_argument("--output", default="instructions", help="bench/results/<OUTPUT>.json")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("bench/instructions.py needs valgrind (apt-get install valgrind)")
    runs: list[dict[str, Any]] = []
    with temp_dir("vr-bench-instructions-") as workdir:
        compile_code(ROOT)
        codes = [("this", ROOT, False)]
        if args.compare_with:
            codes.append((args.compare_with, export_code(args.compare_with, workdir), True))
        for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
            made = create_postgres("instrinbox") if database == "postgresql" else ""
            inbox = made or f"sqlite:///{workdir / 'inbox.db'}"
            try:
                log(f"{database}: storing {args.deliveries} deliveries (not counted) ...")
                fill_inbox(postgres_url(made) if made else inbox, args.deliveries, args.seed)
                for name, code, baseline in codes:
                    runs.append(measure(database, inbox, code, name, baseline, args, workdir))
            finally:
                if made:
                    drop_postgres(made)
    print(f"{'database':<12}{'code':<14}{'instructions a pain point':>27}{'÷ baseline':>12}")
    for run in runs:
        base = next(
            (r for r in runs if r["database"] == run["database"] and r["code"] != "this"), None
        )
        per = run["instructions_per_pain_point"]
        shown = ""
        if base is not None and run["code"] == "this":
            shown = f"{per / base['instructions_per_pain_point']:.3f}"
        print(f"{run['database']:<12}{run['code']:<14}{per:>27,}{shown:>12}")
    written = write_result(args.output, {"machine": machine(), "args": vars(args), "runs": runs})
    print(f"-> {written}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
