"""A stateful local emulator of the Jira Cloud REST API (v2, and v3 paths), for tests and
`voice-router demo`. The real `jira` library talks to it over HTTP; see README.md here for
what is emulated and what is not.

    with JiraSandbox(email="bot@example.com", api_token="t0k", project="PROD") as jira:
        client = JIRA(server=jira.url, basic_auth=("bot@example.com", "t0k"), max_retries=0)
"""

from .app import create_app
from .server import JiraSandbox
from .state import SandboxState
from .traffic import DROPPED, Call
from .webhooks import DEFAULT_EVENTS, Delivery, sign

__all__ = [
    "DEFAULT_EVENTS",
    "DROPPED",
    "Call",
    "Delivery",
    "JiraSandbox",
    "SandboxState",
    "create_app",
    "sign",
]
