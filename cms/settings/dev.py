"""A laptop: `make run`. DEBUG on, a fixed throw-away key unless one is set."""

from .base import *  # noqa: F403
from .environment import env_str

DEBUG = True
# Not a secret: development only. Production reads SECRET_KEY from the
# environment and refuses to start without it.
SECRET_KEY = env_str("SECRET_KEY", "dev-only-not-secret-lidkoping-cms")
