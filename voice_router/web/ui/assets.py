"""The stylesheet under a fingerprinted name (`/assets/ui.<hash>.css`), cached for a year.

The name carries a hash of the content, so a changed stylesheet is a new URL and browsers
may keep each version forever (`immutable`); `/static/ui.css` still answers, uncached.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from flask import Response, send_file, url_for

from voice_router.platform.errors import NotFound
from voice_router.web.ui.pages import bp

STATIC = Path(__file__).resolve().parents[1] / "static"
ASSETS = ("ui.css",)
ONE_YEAR = 365 * 24 * 3600


@functools.cache
def fingerprinted(name: str) -> str:
    """`ui.css` -> `ui.<first 12 hex digits of its SHA-256>.css`."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
    stem, dot, ext = name.rpartition(".")
    return f"{stem}.{digest}{dot}{ext}"


@bp.app_template_global()
def asset_url(name: str) -> str:
    return url_for("ui.asset", filename=fingerprinted(name))


@bp.get("/assets/<filename>")
def asset(filename: str) -> Response:
    by_name = {fingerprinted(name): name for name in ASSETS}
    if filename not in by_name:  # an older fingerprint, or no asset at all
        raise NotFound(f"no asset {filename}")
    response = send_file(STATIC / by_name[filename], max_age=ONE_YEAR, conditional=True)
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    return response
