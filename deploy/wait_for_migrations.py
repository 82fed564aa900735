"""Wait until the database schema is at the migration head this image ships.

Kubernetes runs migrations once, in the `voice-router-migrate` Job; web and worker pods
run this script as an init container so that they start only after that Job has brought
the schema up to date (compose gets the same order from `depends_on`). It only reads the
Alembic version table; it never migrates.

    python deploy/wait_for_migrations.py [--timeout SECONDS] [--interval SECONDS]

Exit status: 0 when the schema is at this image's head (or at a revision this image does
not know, i.e. a newer release already migrated it: old pods are not held back during a
rollout), 1 on timeout, 2 on a configuration error. The database URL comes from the usual
settings (VOICE_ROUTER_CONFIG / VOICE_ROUTER_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after (s)")
    parser.add_argument("--interval", type=float, default=3.0, help="poll every (s)")
    args = parser.parse_args(argv)

    from voice_router.platform.db import make_engine
    from voice_router.platform.schema import heads, schema_state
    from voice_router.platform.settings import ConfigError, load_settings

    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"voice-router: configuration error: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    wanted = ", ".join(sorted(heads()))
    deadline = time.monotonic() + args.timeout
    last = None
    try:
        while True:
            try:
                state = schema_state(engine)  # the comparison serve, worker and /readyz make
            except Exception as exc:  # database not reachable yet: keep waiting
                status = f"database unreachable ({type(exc).__name__})"
            else:
                if state.at_head:
                    print(f"schema at {state.current}: ready", flush=True)
                    return 0
                if state.newer:
                    print(
                        f"schema at {state.current}, newer than this image's {wanted}: not waiting",
                        flush=True,
                    )
                    return 0
                status = f"schema at {state.current or 'nothing'}, waiting for {wanted}"
            if status != last:
                print(status, flush=True)
                last = status
            if time.monotonic() >= deadline:
                print(f"gave up after {args.timeout:g} s: {status}", file=sys.stderr)
                return 1
            time.sleep(args.interval)
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
