"""The UI in a real browser: Playwright drives Debian's Chromium (/usr/bin/chromium) against
the app served on a loopback port, on SQLite and on PostgreSQL like every database test.

Playwright's own browser download does not work on these machines, so the tests launch the
system Chromium by path with the flags this environment needs. Without Chromium they fail
and say how to install it (.ci/run installs it).
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlmodel import Session, select

from tests.support import post_signed
from tests.support import problems as api_problems
from tests.ui.a11y import DESKTOP, PHONE, Audit
from tests.ui.ui_support import IMG, SCRIPT, problem_ids, seed_hostile, seed_three_problems
from voice_router.demo import sample_files, serving
from voice_router.models import Problem
from voice_router.platform.tokens import create_token

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("VOICE_ROUTER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TIMEOUT_MS = 10_000


# Runs in every page before its own content: records what hostile text would do if it ran.
WATCH = """
window.__pwned = undefined;
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__violations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));
window.alert = window.confirm = window.prompt = () => { window.__pwned = 'dialog'; };
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium (see README)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


class Live:
    def __init__(self, base: str, client: Any, runtime: Any, database_url: str) -> None:
        self.base, self.client, self.runtime = base, client, runtime
        self.sqlite = database_url.startswith("sqlite")
        self.agent = create_token(runtime.engine, "agent", "Ann Agent")
        self.pm = create_token(runtime.engine, "pm", "Priya PM")

    def ids(self) -> dict[str, int]:
        return problem_ids(self.runtime)


@pytest.fixture
def live(app, client, runtime, database_url) -> Iterator[Live]:
    seed_three_problems(client)  # reported over the last 20 days, for the sparklines
    with serving(app) as base:
        yield Live(base, client, runtime, database_url)


@pytest.fixture
def page(browser: Browser, live: Live) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, base_url=live.base, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(WATCH)
    opened = context.new_page()
    dialogs: list[str] = []
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # Checked in the SQLite run: the same pages, one set of checks (like the screenshots).
    AUDITS[opened] = audit = Audit(opened, SEEN if live.sqlite else None)
    yield opened
    del AUDITS[opened]
    context.close()
    assert dialogs == [], dialogs
    audit.assert_all_checked()


AUDITS: dict[Page, Audit] = {}
SEEN: set[str] = set()  # kinds of page already checked in this module


def checked(page: Page) -> None:
    """axe-core on the page now shown, at 1280 and 390 px: no violation."""
    AUDITS[page].check()


def visit(page: Page, path: str) -> None:
    page.goto(path)
    checked(page)


def sign_in(page: Page, token: str) -> None:
    visit(page, "/login")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Problems", level=1)).to_be_visible()
    checked(page)


def listed_titles(page: Page) -> list[str]:
    return page.locator("table.problems tbody th a").all_inner_texts()


def screenshot(page: Page, live: Live, name: str, sizes: tuple[tuple[str, Any], ...] = ()) -> None:
    """Docs screenshots at desktop and phone width, from the SQLite run only (the pages
    are the same on PostgreSQL; one set of files, not two racing for the same paths)."""
    if not live.sqlite:
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in sizes or (("1280", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def assert_nothing_ran(page: Page) -> None:
    assert page.evaluate("Array.isArray(window.__violations)")  # the watcher is installed
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("window.__violations") == []


def post_demo_samples(live: Live) -> None:
    """The demo's deliveries from every helpdesk: a fuller list (only this test needs one)."""
    for kind, _name, sample in sample_files():
        response = post_signed(live.client, kind, sample["body"], headers=sample.get("headers"))
        assert response.status_code == 202


def test_sign_in_by_keyboard_sort_filter_and_sign_out(page: Page, live: Live):
    post_demo_samples(live)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/"))
    checked(page)
    assert page.evaluate("document.activeElement.id") == "token"  # focus starts in the field
    page.keyboard.type(live.agent)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Problems", level=1)).to_be_visible()
    checked(page)

    def api_titles(**params: str) -> list[str]:
        return [p["title"] for p in api_problems(live.client, live.runtime, **params)]

    assert listed_titles(page) == api_titles(sort="impact")
    page.get_by_label("Sort by").select_option("mrr")
    page.get_by_role("button", name="Apply").press("Enter")
    expect(page).to_have_url(re.compile(r"sort=mrr"))
    assert listed_titles(page) == api_titles(sort="mrr")
    # The sorted column: aria-sort for assistive technology, an arrow for the eye.
    sorted_by = page.locator('thead th[aria-sort="descending"]')
    expect(sorted_by).to_have_text("MRR (USD)▼")
    checked(page)
    page.get_by_role("link", name="Last seen").click()
    expect(page).to_have_url(re.compile(r"sort=recent"))
    assert listed_titles(page) == api_titles(sort="recent")
    assert listed_titles(page)[0] == "PDF invoice"
    checked(page)

    page.get_by_label("Search").fill("export")
    page.get_by_label("Status").select_option("open")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"q=export&status=open"))
    assert listed_titles(page) == api_titles(sort="recent", q="export", status="open")
    checked(page)

    visit(page, "/?sort=impact")
    row = page.locator("table.problems tbody tr").filter(
        has=page.get_by_role("link", name="SSO login", exact=True)
    )
    expect(row.locator("svg.spark")).to_have_attribute(
        "aria-label", re.compile(r"^3 new tickets in the last 30 days")
    )
    one_line = "el => el.getClientRects().length === 1"  # not wrapped onto a second line
    assert all(k.evaluate(one_line) for k in page.locator("table.problems .key").all())
    screenshot(page, live, "problems")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    checked(page)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    checked(page)


def in_view(page: Page, selector: str) -> bool:
    """Whether the element is inside the viewport: what the person sees first."""
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    assert box is not None and size is not None
    return box["y"] >= 0 and box["y"] + box["height"] <= size["height"]


def ship(live: Live, key: str) -> None:
    """Set directly: the shipping transition itself is tested in tests/shipping."""
    with Session(live.runtime.engine) as session:
        problem = session.exec(select(Problem).where(Problem.key == key)).one()
        problem.status = "shipped"
        session.add(problem)
        session.commit()


def test_open_a_shipped_problem_tell_customers_add_a_note_and_download_the_csv(
    page: Page, live: Live
):
    ship(live, "sso-login")
    sign_in(page, live.agent)
    page.get_by_role("link", name="SSO login", exact=True).click()
    expect(page.get_by_role("heading", name="SSO login", level=1)).to_be_visible()
    checked(page)
    # The task after a ship comes right after the impact, before what customers said.
    headings = page.locator("main h2").all_inner_texts()
    assert headings[:4] == ["Impact", "Tell these customers", "In their words", "Pain points"]
    assert headings.index("Business notes") < headings.index("Jira")
    expect(page.locator("#accounts")).to_contain_text("Northwind")
    notify = page.locator("#notify")
    expect(notify.locator("tr", has_text="Ana Northwind")).to_contain_text("Agent Smith")

    # Nothing ticked: the answer says so where the button is.
    page.get_by_role("button", name="Mark selected as told").click()
    expect(page.locator("#notify-answer")).to_have_text(re.compile("Nobody was marked"))
    assert in_view(page, "#notify-answer")
    assert page.evaluate("document.activeElement.id") == "notify-answer"
    checked(page)
    page.get_by_label("Mark Ana Northwind as told").check()
    page.get_by_role("button", name="Mark selected as told").click()
    expect(page.locator("#notify-answer")).to_have_text("Marked 1 customer as told.")
    assert in_view(page, "#notify-answer")
    checked(page)

    page.get_by_label("Note", exact=True).fill("Northwind renewal is at risk")
    page.get_by_label("ARR at risk in USD (optional)").fill("1e15")  # over the maximum
    page.get_by_role("button", name="Add note").click()
    answer = page.locator("#notes-answer")
    expect(answer).to_have_attribute("role", "alert")
    assert in_view(page, "#notes-answer")
    assert page.evaluate("document.activeElement.id") == "notes-answer"
    expect(page.get_by_label("ARR at risk in USD (optional)")).to_have_attribute(
        "aria-invalid", "true"
    )
    checked(page)
    page.get_by_label("ARR at risk in USD (optional)").fill("12000")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#notes-answer")).to_have_text("Note added.")
    assert in_view(page, "#notes-answer")
    expect(page.locator("#notes")).to_contain_text("Northwind renewal is at risk")
    expect(page.locator("#notes")).to_contain_text("ARR at risk 12,000 USD")
    checked(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"problem-{live.ids()['sso-login']}-notify.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert {r["customer_email"]: r["notified"] for r in rows} == {
        "ana@northwind.example": "true",
        "bo@contoso.example": "false",
        "cy@gmail.com": "false",
    }
    assert rows[0]["ticket_url"].startswith("https://desk.example/t/")
    visit(page, f"/problems/{live.ids()['sso-login']}")
    screenshot(page, live, "problem")


def test_errors_are_pages_of_the_app_and_focus_is_visible(page: Page, live: Live):
    sign_in(page, live.agent)
    for path, heading in (
        ("/no-such-page", "Page not found"),
        ("/problems/abc", "Page not found"),
        ("/problems/99999", "Page not found"),
        ("/?sort=loudest", "That did not work"),
    ):
        page.goto(path)
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        checked(page)
    page.get_by_role("link", name="Back to the problems").click()
    expect(page.get_by_role("heading", name="Problems", level=1)).to_be_visible()
    checked(page)

    # WCAG 2.1 non-text contrast: the focus outline is >= 3:1 against the page, a card
    # (white) and the header.
    page.keyboard.press("Tab")  # the skip link, on the page background
    contrast = """el => {
      const rgb = c => c.match(/\\d+/g).slice(0, 3).map(Number);
      const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
      const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
        return (x + 0.05) / (y + 0.05); };
      const ring = getComputedStyle(el).outlineColor;
      const bg = n => getComputedStyle(n).backgroundColor;
      const header = bg(document.querySelector('header.top'));
      const card = bg(document.querySelector('table.problems'));
      const body = getComputedStyle(document.documentElement).backgroundColor;
      return Math.min(ratio(ring, body), ratio(ring, card), ratio(ring, header));
    }"""
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    assert page.evaluate_handle("document.activeElement").evaluate(contrast) >= 3.0
    page.locator("button", has_text="Apply").focus()
    assert page.locator("button", has_text="Apply").evaluate(contrast) >= 3.0


def test_merge_through_the_preview_then_unmerge(page: Page, live: Live):
    sign_in(page, live.pm)
    ids = live.ids()
    visit(page, f"/problems/{ids['csv-export']}")
    page.get_by_label("Merge this problem into").select_option(str(ids["sso-login"]))
    page.get_by_role("button", name="Preview merge").click()
    expect(page.get_by_role("heading", name="CSV export → SSO login")).to_be_visible()
    together = {
        name: page.locator(f'[data-combined="{name}"]').inner_text()
        for name in ("customers", "accounts", "mrr", "tickets")
    }
    assert together == {"customers": "4", "accounts": "3", "mrr": "10,500", "tickets": "5"}
    checked(page)
    screenshot(page, live, "merge-preview", sizes=(("1280", DESKTOP),))

    page.get_by_role("button", name="Merge CSV export into SSO login").click()
    expect(page).to_have_url(re.compile(rf"/problems/{ids['sso-login']}$"))
    expect(page.get_by_text("Merged. The counts below")).to_be_visible()
    expect(page.locator("dl.impact")).to_contain_text("Customers4")
    checked(page)

    page.get_by_role("button", name="Unmerge CSV export").click()
    expect(page).to_have_url(re.compile(rf"/problems/{ids['csv-export']}$"))
    expect(page.get_by_text("Unmerged")).to_be_visible()
    expect(page.locator("dl.impact")).to_contain_text("Customers2")
    checked(page)
    visit(page, f"/problems/{ids['sso-login']}")
    expect(page.locator("dl.impact")).to_contain_text("Customers3")


def test_hostile_text_never_runs_in_the_browser(page: Page, live: Live):
    seed_hostile(live.client)
    sign_in(page, live.agent)
    assert_nothing_ran(page)
    page.get_by_role("link", name="SSO login", exact=True).click()
    checked(page)
    page.get_by_label("Note", exact=True).fill(SCRIPT)
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Note added.")).to_be_visible()
    checked(page)

    # The markup is on the page as text, where people can read it …
    expect(page.locator("#notes .note-body")).to_have_text(SCRIPT)
    expect(page.locator("#tickets").get_by_role("link", name=SCRIPT)).to_be_visible()
    javascript_ticket = page.locator("#tickets tbody th", has_text="#X2")
    expect(javascript_ticket).to_contain_text(IMG)
    assert javascript_ticket.locator("a").count() == 0
    expect(page.locator("#accounts tbody th", has_text=SCRIPT)).to_be_visible()
    # … no element came out of it, and no link leaves http(s).
    assert page.locator("main script, main img, main iframe").count() == 0
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    assert not [h for h in hrefs if not h.startswith(("http://", "https://"))], hrefs
    assert_nothing_ran(page)


def test_every_control_has_a_label_and_the_keyboard_reaches_it(page: Page, live: Live):
    sign_in(page, live.pm)
    ids = live.ids()
    unlabelled = """() => [...document.querySelectorAll('input, select, textarea, button')]
      .filter(el => el.type !== 'hidden')
      .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                    && !(el.tagName === 'BUTTON' && el.innerText.trim()))
      .map(el => el.outerHTML)"""
    for path in ("/", f"/problems/{ids['sso-login']}", f"/problems/{ids['csv-export']}/merge"):
        visit(page, path)
        assert page.evaluate(unlabelled) == [], path
    visit(page, f"/problems/{ids['sso-login']}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # Tabbing from the top reaches the note field without a mouse.
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "note-body":
            break
    else:
        pytest.fail("the note field is not reachable by keyboard")
    page.keyboard.type("typed without a mouse")
    page.keyboard.press("Tab")  # ARR at risk
    page.keyboard.press("Tab")  # Add note
    page.keyboard.press("Enter")
    expect(page.get_by_text("Note added.")).to_be_visible()
    checked(page)
