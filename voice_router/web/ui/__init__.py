"""The server-rendered UI at `/`: sign in with an API token, read and act on problems.

`create_app` binds `csrf` (Flask-WTF), sets `secret_key()` and registers `bp`; registering
`bp` also sets the session cookie flags (see `pages.configure_app`).
"""

from __future__ import annotations

from voice_router.web.ui import listing, merge_views, problem_views, sign_in  # noqa: F401
from voice_router.web.ui.pages import bp, csrf, secret_key

__all__ = ["bp", "csrf", "secret_key"]
