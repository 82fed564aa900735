"""How the UI answers outside the happy path: JSON or HTML errors by what the client asks
for, 405s that say what is allowed, and the stylesheet cached for a year."""

from __future__ import annotations

import re

from tests.ui.test_pages import agent  # noqa: F401 - the signed-in agent fixture


def test_a_client_that_asks_for_json_gets_json_errors_on_ui_paths(agent):  # noqa: F811
    response = agent.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.json["error"] == "not_found"
    html = agent.get("/no-such-page", headers={"Accept": "text/html,*/*;q=0.8"})
    assert html.status_code == 404 and html.mimetype == "text/html"


def test_the_api_answers_json_even_to_a_browser(client):
    response = client.get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert response.status_code == 404 and response.mimetype == "application/json"


def test_every_405_names_the_methods_the_path_takes(app, client):
    methods: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            methods.setdefault(re.sub(r"<[^>]+>", "1", rule.rule), set()).update(rule.methods)
    assert len(methods) >= 10
    for path, taken in methods.items():
        unused = next(m for m in ("DELETE", "PUT", "PATCH", "POST") if m not in taken)
        response = client.open(path, method=unused)
        assert response.status_code == 405, path
        assert {m.strip() for m in response.headers["Allow"].split(",")} == taken, path


def test_a_405_page_in_the_ui_says_what_to_do(agent):  # noqa: F811
    response = agent.delete("/")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert "Use the buttons and links on the pages" in response.text


def test_the_stylesheet_has_a_content_hash_in_its_url_and_is_cached_for_a_year(client):
    login = client.get("/login").text
    href = re.search(r'<link rel="stylesheet" href="(/assets/ui\.[0-9a-f]{12}\.css)">', login)
    assert href, login[:500]
    response = client.get(href.group(1))
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.get("/assets/ui.000000000000.css").status_code == 404
