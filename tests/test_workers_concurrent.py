"""Two workers draining one inbox on PostgreSQL (FOR UPDATE SKIP LOCKED) split the work and
keep exact counts when both touch the same problems at once."""

from __future__ import annotations

import json
import threading

from sqlmodel import Session, select

from integrations import generic
from tests.conftest import _truncate_postgres, source_table
from tests.support import SECRETS
from voice_router.intake import inbox, processing
from voice_router.models import Delivery, Problem
from voice_router.platform.db import make_engine
from voice_router.platform.settings import parse_settings
from voice_router.problems import impact_check

DELIVERIES = 120


def test_two_workers_on_one_problem_keep_exact_counts(postgres_database: str) -> None:
    _truncate_postgres(postgres_database)
    settings = parse_settings(
        {"database_url": postgres_database, "sources": source_table()}, {}, "test"
    )
    engine = make_engine(postgres_database)
    for n in range(DELIVERIES):
        person, company = n % 37, n % 37 % 11
        customer = {"email": f"c{person}@co{company}.com", "company": f"Co{company}", "mrr": 10}
        body = json.dumps(
            {
                "id": f"d{n}",
                "ticket": {"id": f"T{n}"},
                "customer": customer,
                "tags": ["pain-shared"] + (["pain-other"] if n % 3 == 0 else []),
                "occurred_at": f"2026-11-{1 + n % 28:02d}T10:00:00Z",
            }
        ).encode()
        inbox.receive(engine, settings, "generic", generic.sign(body, SECRETS["generic"]), body)
    start = threading.Barrier(2)
    done: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        own = make_engine(postgres_database)
        try:
            start.wait()
            done.append(processing.drain(own, settings, batch_size=8).processed)
        except BaseException as exc:  # reported by the test below
            errors.append(exc)
        finally:
            own.dispose()

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == []
    assert sum(done) == DELIVERIES and all(done), done  # both took part
    with Session(engine) as session:
        assert set(session.exec(select(Delivery.status)).all()) == {"processed"}
        shared = session.exec(select(Problem).where(Problem.key == "shared")).one()
        assert (shared.tickets, shared.customers, shared.accounts) == (DELIVERIES, 37, 11)
    assert impact_check.recompute_all(engine, fix=False) == []
    engine.dispose()
