"""axe-core in the browser tests: every page they load is checked at desktop and phone
width, and a test fails on any violation — or on a page it loaded without checking it.

axe-core is vendored (tests/fixtures/axe, MPL-2.0) and evaluated through Playwright, which
runs it outside the page's Content-Security-Policy (the UI allows no script at all).
Loading axe into a page and running it twice takes most of a second, so a page whose kind
was already checked — the same set of elements, classes, ids and roles; only text and
numbers differ — is not checked again (`seen`, one per test module).
"""

from __future__ import annotations

import functools
from pathlib import Path

from playwright.sync_api import Page

AXE_VERSION = "4.14.1"
AXE = Path(__file__).resolve().parents[1] / "fixtures" / "axe" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# The kind of page: the set of tag.class#id[role] it is made of (text and counts aside).
KIND = """() => [...new Set([...document.querySelectorAll('*')].map(e =>
  e.tagName + '.' + [...e.classList].sort().join('.') + '#' + e.id + '[' +
  (e.getAttribute('role') || '') + ']'))].sort().join(' ')"""

RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => `${v.id} (${v.impact}): ${v.help} at ` +
    v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
}"""


@functools.cache
def axe_source() -> str:
    source = AXE.read_text(encoding="utf-8")
    assert f"axe v{AXE_VERSION}" in source[:200], "tests/fixtures/axe is not the version named"
    return source


class Audit:
    """Counts the documents a page loads; `check()` runs axe on the current one."""

    def __init__(self, page: Page, seen: set[str] | None) -> None:
        """`seen`: kinds already checked, shared across a module; None: run no checks (the
        same pages are checked in another run of the test)."""
        self.page = page
        self.seen = seen
        self.loads: list[str] = []
        self.checked = 0  # loads[:checked] were checked, or are in `skipped`
        self.skipped: list[str] = []
        page.on("load", lambda loaded: self.loads.append(loaded.url))

    def check(self, widths: tuple[dict[str, int], ...] = (DESKTOP, PHONE)) -> None:
        page = self.page
        page.wait_for_load_state("load")
        if self.seen is not None:
            kind = page.evaluate(KIND)
            if kind not in self.seen:
                violations = self.violations(widths)
                assert violations == [], f"axe-core {AXE_VERSION} on {page.url}:\n" + "\n".join(
                    violations
                )
                self.seen.add(kind)
        self.skipped += self.loads[self.checked : -1]  # loaded, then left before a check
        self.checked = len(self.loads)

    def violations(self, widths: tuple[dict[str, int], ...]) -> list[str]:
        page = self.page
        if not page.evaluate("typeof window.axe === 'object'"):
            page.evaluate(axe_source())
        found: list[str] = []
        for size in widths:
            page.set_viewport_size(size)
            found += [f"{size['width']} px {v}" for v in page.evaluate(RUN)]
        page.set_viewport_size(DESKTOP)
        return found

    def assert_all_checked(self) -> None:
        unchecked = self.skipped + self.loads[self.checked :]
        assert unchecked == [], f"pages loaded but never checked with axe: {unchecked}"
