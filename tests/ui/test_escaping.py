"""Customer text is hostile: markup in subjects, names, companies and notes is shown as
text, and only http(s) ticket links become links."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.ui.ui_support import (
    IMG,
    JS_URL,
    SCRIPT,
    form_post,
    problem_ids,
    section,
    seed_hostile,
    seed_okta_signin,
    seed_three_problems,
    sign_in,
)
from voice_router.web.ui.pages import http_url


@pytest.fixture
def hostile(client, runtime):
    seed_three_problems(client)
    seed_hostile(client)
    sign_in(client, runtime, "admin")
    login = problem_ids(runtime)["sso-login"]
    form_post(client, f"/problems/{login}", f"/problems/{login}/notes", {"note-body": SCRIPT})
    return client, login


class Elements(HTMLParser):
    """Every element the browser would build from the page, with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    elements = Elements(html).found
    assert {tag for tag, _ in elements}.isdisjoint({"script", "img", "iframe", "object"})
    for tag, attrs in elements:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        for name in ("href", "src", "action", "formaction"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), (tag, attrs)
    assert "<script" not in html.lower()


def test_hostile_text_is_escaped_on_the_problem_page(hostile):
    client, login = hostile
    html = client.get(f"/problems/{login}").text
    assert_inert(html)
    escaped_script = "&lt;script&gt;window.__pwned = &#39;script&#39;; alert(&#39;pwned&#39;)"
    assert html.count(escaped_script) >= 5  # subject, company (twice), customer name (twice), note
    assert "&lt;img src=x onerror=&#34;window.__pwned = &#39;img&#39;&#34;&gt;" in html


def test_a_javascript_ticket_url_is_shown_but_never_linked(hostile):
    client, login = hostile
    html = client.get(f"/problems/{login}").text
    assert "javascript:" not in "".join(re.findall(r'href="([^"]*)"', html)).lower()
    assert 'href="https://desk.example/t/X1"' in html  # the harmless one still links


def test_hostile_text_is_escaped_in_the_list_the_preview_and_the_csv(hostile, runtime):
    client, login = hostile
    assert_inert(client.get("/").text)
    export = problem_ids(runtime)["csv-export"]
    assert_inert(client.get(f"/problems/{export}/merge?into={login}").text)
    assert_inert(client.get(f"/problems/{login}/merge?into={export}").text)
    csv = client.get(f"/problems/{login}/notify.csv").text
    assert SCRIPT in csv  # data, not markup: a CSV is not rendered


def test_a_hostile_search_echoes_as_text(hostile):
    client, _ = hostile
    html = client.get("/", query_string={"q": '"><script>alert(1)</script>'}).text
    assert_inert(html)
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html


def test_suggestion_reasons_are_escaped(hostile):
    client, login = hostile
    seed_okta_signin(client, (f"Okta sign-in loops {SCRIPT}", f"Okta login never ends {IMG}"))
    html = client.get(f"/problems/{login}").text
    suggested = section(html, "suggest")
    assert "Okta signin" in suggested and "&lt;script&gt;" in suggested  # quoted, as text
    assert_inert(html)


@pytest.mark.parametrize(
    "url",
    [
        JS_URL,
        "JavaScript:alert(1)",
        "  javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "/relative/path",
        "desk.example/t/1",
        "https:///no-host",
        "http://[::1",
        "",
        None,
    ],
)
def test_only_absolute_http_urls_become_links(url):
    assert http_url(url) is None


@pytest.mark.parametrize("url", ["https://desk.example/t/1", "HTTP://desk.example/t/1?a=<b>"])
def test_http_urls_stay_links(url):
    assert http_url(url) == url
