"""gunicorn settings for voice-router's scaled set-up, kept in the package
(voice_router/gunicorn_config.py, where each is explained) so an installed voice-router has
them too:

    gunicorn -c deploy/gunicorn.conf.py 'voice_router.web:create_app()'

Command-line flags (`-b`, `-w`) and GUNICORN_CMD_ARGS override what is set there.
"""

from voice_router.gunicorn_config import *  # noqa: F403
from voice_router.gunicorn_config import (  # noqa: F401
    child_exit,
    dirty_worker_exit,
    dirty_worker_init,
    on_starting,
    pre_request,
)
