"""The server-rendered UI at `/`: sign in with an API token, read and act on problems.

`create_app` binds `csrf` (Flask-WTF), sets `secret_key()`, registers `bp` and answers
errors under the UI's paths with `page_for_error`; registering `bp` also sets the session
cookie flags (see `pages.configure_app`).
"""

from __future__ import annotations

from voice_router.web.ui import assets, listing, merge_views, problem_views, sign_in  # noqa: F401
from voice_router.web.ui.pages import bp, csrf, page_for_error, secret_key

__all__ = ["bp", "csrf", "page_for_error", "secret_key"]
