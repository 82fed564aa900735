"""What back-filling former addresses (`customeralias`) from the stored deliveries would cost, as
a data migration would run it over a grown database: the figure behind docs/privacy.md's
answer that no migration does it (forget reads the same from the deliveries when it runs).

    python bench/alias_backfill.py [--deliveries 200000] [--changed 0.02]
        [--databases postgresql,sqlite]

For each database: `bench/processing.py`'s inbox of N generic deliveries (~2,000 customers),
each customer known by `customer.id` as well, and a share `--changed` of the deliveries
naming the customer's other address (each a ticket of its own, so every one is current and
moves the customer's address), drained in this process: processing records every address a
customer gave up. Those rows are kept aside and deleted, as if every change had been made
before migration 0023; then the back-fill is timed: read every stored helpdesk delivery,
read whom it names through its adapter (`Adapter.named`), and record for each helpdesk id
every address it was named with that its customer does not have now. It must write back
the rows processing had written (but for an address a customer went back to). Reported:
seconds, deliveries per second, rows.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import processing as processing_bench
from common import (
    Population,
    compile_code,
    generic_body,
    machine,
    rounds_on_databases,
    settings_for,
    write_result,
)


def with_customer_ids(changed: float) -> Any:
    """`generic_body` with the customer's id, and now and then their other address."""

    def body(pop: Population, index: int, occurred_at: str) -> bytes:
        document = json.loads(generic_body(pop, index, occurred_at))
        customer = document["customer"]
        number = customer["name"].removeprefix("Person ")
        customer["id"] = f"c-{number}"
        if pop.rng.random() < changed:
            customer["email"] = f"before.{customer['email']}"
        return json.dumps(document, separators=(",", ":")).encode()

    return body


def backfill(engine: Any) -> int:
    """The migration's work: every former address the stored deliveries show; rows written."""
    import sqlalchemy as sa
    from sqlmodel import Session

    from voice_router.models import CustomerAlias
    from voice_router.platform.upsert import insert_missing
    from voice_router.problems.delivery_erasure import FORGOTTEN_BODY, people
    from voice_router.problems.forget_late import subject_hash

    found: set[tuple[int, str]] = set()
    with Session(engine) as session:
        holders = {
            (source, external_id): (customer_id, email)
            for source, external_id, customer_id, email in session.execute(
                sa.text(
                    "SELECT i.source, i.external_id, c.id, c.email FROM customeridentity i "
                    "JOIN customer c ON c.id = i.customer_id"
                )
            )
        }
        rows = session.execute(
            sa.text(
                "SELECT source, kind, headers, body FROM delivery "
                "WHERE kind <> 'jira' AND body <> :stub"
            ).bindparams(stub=FORGOTTEN_BODY),
            execution_options={"yield_per": 1000},
        )
        for source, kind, headers, body in rows:
            for person in people(kind, headers, bytes(body)):
                holder = holders.get((source, person.external_id or ""))
                email = (person.email or "").strip().lower()
                if holder is not None and email and email != holder[1]:
                    found.add((holder[0], subject_hash(email)))
        values = [{"customer_id": c, "email_hash": h} for c, h in sorted(found)]
        for start in range(0, len(values), 1000):
            insert_missing(session, CustomerAlias, values[start : start + 1000])
        session.commit()
    return len(found)


def one_round(database_url: str, deliveries: int, changed: float) -> dict[str, Any]:
    import sqlalchemy as sa

    from voice_router.intake import processing
    from voice_router.platform.db import make_engine
    from voice_router.problems.forget_late import subject_hash

    processing_bench.generic_body = with_customer_ids(changed)
    processing_bench.fill_inbox(database_url, deliveries, seed=1)
    engine = make_engine(database_url)
    aliases = sa.text("SELECT customer_id, email_hash FROM customeralias")
    try:
        processing.drain(engine, settings_for(database_url, process_batch_size=1000))
        with engine.begin() as connection:
            now = dict(connection.execute(sa.text("SELECT id, email FROM customer")).all())
            written = {
                (c, h)
                for c, h in connection.execute(aliases)
                if h != subject_hash(now[c] or "")  # an address they went back to
            }
            connection.execute(sa.text("DELETE FROM customeralias"))
        started = time.perf_counter()
        rows = backfill(engine)
        seconds = time.perf_counter() - started
        with engine.connect() as connection:
            again = set(map(tuple, connection.execute(aliases)))
    finally:
        engine.dispose()
    if again != written:
        raise RuntimeError(f"the back-fill wrote {len(again)} rows, processing {len(written)}")
    return {
        "seconds": round(seconds, 2),
        "deliveries_per_second": round(deliveries / seconds),
        "aliases": rows,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--deliveries", type=int, default=200_000)
    parser.add_argument("--changed", type=float, default=0.02)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--databases", default="postgresql,sqlite")
    args = parser.parse_args()
    compile_code()
    runs = rounds_on_databases(
        args.databases,
        args.rounds,
        "alias_backfill",
        lambda url: one_round(url, args.deliveries, args.changed),
        lambda found: f"{found['seconds']} s, {found['aliases']} former addresses",
    )
    path = write_result(
        "alias_backfill",
        {"benchmark": "alias_backfill", "deliveries": args.deliveries, "runs": runs}
        | {"machine": machine()},
    )
    print(f"back-filling former addresses over {args.deliveries} deliveries")
    for run in runs:
        print(
            f"{run['database']:<12}{run['seconds']:>8.2f} s{run['deliveries_per_second']:>9}/s"
            f"{run['aliases']:>8} rows"
        )
    print(f"-> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
