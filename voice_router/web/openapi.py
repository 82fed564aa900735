"""The OpenAPI document, generated from the API's pydantic models by spectree.

spectree was chosen because it decorates ordinary Flask views and blueprints (our app
factory, error handler and bearer-token decorator stay as they are), speaks pydantic v2,
validates requests before a view runs, and is maintained. The document is served at
/openapi.json; request validation errors become our usual 400 `{"error", "message"}`.

spectree's documentation pages (/apidoc/swagger/, /apidoc/redoc/, /apidoc/scalar/) are
turned off (`page_templates={}`): each loads unpinned scripts from a public CDN onto the
UI's origin, with no subresource integrity and outside the UI's no-script CSP. Any OpenAPI
viewer can show /openapi.json instead (docs: README, "API").
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from spectree import SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData

from voice_router import __version__
from voice_router.platform.errors import BadRequest


def _as_bad_request(req: Any, resp: Any, error: Exception | None, instance: Any, *_: Any) -> None:
    if error is None:
        return
    details = []
    for item in getattr(error, "errors", lambda: [])():
        where = ".".join(str(part) for part in item.get("loc", ()))
        details.append(f"{where}: {item.get('msg', 'invalid')}" if where else item.get("msg"))
    raise BadRequest("; ".join(details) or "the request does not match the API")


api_spec = SpecTree(
    "flask",
    title="voice-router API",
    version=__version__,
    path="apidoc",
    page_templates={},  # no documentation pages: see the module docstring
    mode="strict",
    annotations=False,
    before=_as_bad_request,
    validation_error_status=400,
    security_schemes=[
        SecurityScheme(
            name="bearer",
            data=SecuritySchemeData(
                type=SecureType.HTTP,
                scheme="bearer",
                description="a token from `voice-router token create`",
            ),
        )
    ],
    security={"bearer": []},
)


def register(app: Flask) -> None:
    api_spec.register(app)

    @app.get("/openapi.json")
    def openapi_document() -> ResponseReturnValue:
        return jsonify(api_spec.spec)
