"""Which code may import which, read from the source with `ast`: every `import` and `from`
anywhere in a module counts, inside functions and under TYPE_CHECKING too.

The core is voice_router/ without its entry points (`NOT_CORE`): it decides, and reaches
HTTP, Redis and Jira only through integrations/ and what the entry points hand it. It is
made of stage packages (`STAGES`), each importing only the stages below it."""

from __future__ import annotations

import ast
from functools import cache
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

EDGE_LIBRARIES = {"flask", "werkzeug", "rq", "redis", "requests", "jira"}

# The parts of voice_router/ that are entry points, not the core (a name covers its
# submodules), and why each may import edge libraries and the job runner.
NOT_CORE = {
    "voice_router.web": "the HTTP edge: the Flask app, and the WSGI layer answering webhooks",
    "voice_router.cli": "the command line: builds the runtime, runs the rq worker",
    "voice_router.__main__": "`python -m voice_router`: runs the command line",
    "voice_router.demo": "`voice-router demo`: starts the Jira emulator, serves the app with "
    "werkzeug and runs an embedded job runner",
    "voice_router.gunicorn_config": "gunicorn's settings and process hooks for the web server",
    "voice_router.server": "`voice-router serve`: granian, and the job runner's own process",
}
# The core's stages, bottom up, and the stages each may import besides its own modules and
# the tables (voice_router.models, which import only the platform). Intake is on top: it
# applies helpdesk deliveries to problems and Jira's deliveries to the tracker, which
# hands a shipped or reopened problem to closing.
PLATFORM, PROBLEMS = "voice_router.platform", "voice_router.problems"
CLOSING, TRACKER, INTAKE = "voice_router.closing", "voice_router.tracker", "voice_router.intake"
STAGES: dict[str, set[str]] = {
    PLATFORM: set(),
    PROBLEMS: {PLATFORM},
    CLOSING: {PROBLEMS, PLATFORM},
    TRACKER: {CLOSING, PROBLEMS, PLATFORM},
    INTAKE: {TRACKER, CLOSING, PROBLEMS, PLATFORM},
}
# voice_router/ beside the stages and the entry points: the package, its tables, and Alembic's
# environment and versions (which may read the tables and any stage, as entry points do).
BESIDE_THE_STAGES = {
    "voice_router": "the package",
    "voice_router.models": "the tables",
    "voice_router.migrations": "Alembic's environment and migrations",
}
# Only the demo may start the Jira emulator.
MAY_IMPORT_THE_EMULATOR = {key: NOT_CORE[key] for key in ("voice_router.demo",)}
PRODUCT = ("voice_router", "integrations", "workers")


@cache
def modules(package: str) -> dict[str, Path]:
    """Dotted name → file of every module of a top-level package."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


@cache
def imports_of(module: str, path: Path) -> tuple[tuple[str, str | None], ...]:
    """(module, name) per imported thing, absolute: `import a.b` is ("a.b", None),
    `from a import b` is ("a", "b"), whether `b` is a module or a name in `a`."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found += [(base, alias.name) for alias in node.names]
    return tuple(found)


def is_under(module: str, names: dict[str, str]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in names)


def importers_of(top_levels: set[str], package: str, exempt: dict[str, str]) -> list[str]:
    """`module: imported` for every import of those top-level packages from `package`."""
    return [
        f"{module}: {base}"
        for module, path in modules(package).items()
        if not is_under(module, exempt)
        for base, _name in imports_of(module, path)
        if base.split(".")[0] in top_levels
    ]


def product_graph(packages: tuple[str, ...] = PRODUCT) -> dict[str, set[str]]:
    """Module → the modules of `packages` it imports (`from a import b`: `a.b` when that is
    a module, else `a`)."""
    known = {name: path for package in packages for name, path in modules(package).items()}
    graph: dict[str, set[str]] = {}
    for module, path in known.items():
        targets = set()
        for base, name in imports_of(module, path):
            target = f"{base}.{name}" if f"{base}.{name}" in known else base
            if target in known and target != module:
                targets.add(target)
        graph[module] = targets
    return graph


def test_the_exemptions_name_modules_that_exist():
    assert all(name in modules("voice_router") for name in NOT_CORE)


def stage_of(module: str) -> str | None:
    return next((stage for stage in STAGES if is_under(module, {stage: ""})), None)


def test_every_core_module_is_in_a_stage():
    """A new module goes into the stage it serves, not beside them."""
    loose = [
        module
        for module in modules("voice_router")
        if stage_of(module) is None
        and not is_under(module, NOT_CORE)
        and module not in BESIDE_THE_STAGES
        and not is_under(module, {"voice_router.migrations": ""})
    ]
    assert loose == []


def test_each_stage_imports_only_the_stages_below_it():
    allowed = {"voice_router", "voice_router.models"}
    wrong = [
        f"{module} imports {target}"
        for module, targets in product_graph().items()
        if (stage := stage_of(module)) is not None
        for target in targets
        if target.split(".")[0] == "voice_router"
        and target not in allowed
        and stage_of(target) not in {stage, *STAGES[stage]}
    ]
    assert wrong == []


def test_the_tables_import_only_the_platform():
    targets = product_graph()["voice_router.models"]
    assert {stage_of(target) for target in targets} <= {PLATFORM}


def test_the_core_imports_no_edge_library():
    assert importers_of(EDGE_LIBRARIES, "voice_router", NOT_CORE) == []


def test_the_core_does_not_build_or_run_the_job_queue():
    """It signals the queue it is handed (voice_router.platform.runtime.JobQueue); entry
    points build it (workers/runtime.py)."""
    assert importers_of({"workers"}, "voice_router", NOT_CORE) == []


def test_nothing_in_the_product_imports_the_jira_emulator():
    """The emulator is for the demo, the tests and the benchmarks."""
    assert importers_of({"jira_sandbox"}, "voice_router", MAY_IMPORT_THE_EMULATOR) == []
    assert importers_of({"jira_sandbox"}, "integrations", {}) == []
    assert importers_of({"jira_sandbox"}, "workers", {}) == []


def test_integrations_know_neither_the_core_nor_the_job_runner():
    assert importers_of({"voice_router", "workers"}, "integrations", {}) == []


def assert_no_cycle(graph: dict[str, set[str]]) -> None:
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        cycle = reversed(exc.args[1])  # graphlib lists each module before its importer
        raise AssertionError(f"import cycle: {' imports '.join(cycle)}") from None


def test_no_import_cycle_in_voice_router_integrations_and_workers():
    assert_no_cycle(product_graph())


def test_no_import_cycle_in_the_jira_emulator():
    assert_no_cycle(product_graph(("jira_sandbox",)))


def test_imports_inside_functions_and_for_type_checking_count(tmp_path):
    source = tmp_path / "module.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from voice_router.intake.processing import BatchResult\n"
        "def later():\n    import rq.registry\n    from . import sibling\n"
    )
    assert set(imports_of("voice_router.module", source)) == {
        ("typing", "TYPE_CHECKING"),
        ("voice_router.intake.processing", "BatchResult"),
        ("rq.registry", None),
        ("voice_router", "sibling"),
    }
