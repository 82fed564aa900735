"""Which code may import which, read from the source with `ast`: every `import` and `from`
anywhere in a module counts, inside functions and under TYPE_CHECKING too."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# voice_router/ modules that are entry points, not the core, and why each may reach out.
NOT_CORE = {
    "voice_router.demo": "`voice-router demo`: starts the Jira emulator, serves the app with "
    "werkzeug and runs an embedded job runner",
}


@cache
def modules(package: str) -> dict[str, Path]:
    """Dotted name → file of every module of a top-level package."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


@cache
def imports_of(module: str, path: Path) -> frozenset[str]:
    """The absolute names a module imports: `from a import b` gives `a.b` and `a`."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return frozenset(names)


def importers_of(top_levels: set[str], package: str, exempt: dict[str, str]) -> list[str]:
    """`module: name` for every import of those top-level packages from `package`."""
    return [
        f"{module}: {name}"
        for module, path in modules(package).items()
        if module not in exempt
        for name in sorted(imports_of(module, path))
        if name.split(".")[0] in top_levels
    ]


def test_the_exemptions_name_modules_that_exist():
    assert set(NOT_CORE) <= set(modules("voice_router"))


def test_nothing_in_voice_router_imports_the_jira_emulator():
    """The emulator is for the demo, the tests and the benchmarks, never the product."""
    assert importers_of({"jira_sandbox"}, "voice_router", NOT_CORE) == []
    assert importers_of({"jira_sandbox"}, "integrations", {}) == []
    assert importers_of({"jira_sandbox"}, "workers", {}) == []
