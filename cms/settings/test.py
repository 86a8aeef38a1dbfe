"""pytest: PostgreSQL through DATABASE_URL in CI, SQLite otherwise."""

import os

# Tests queue to Redis database 10 (cache on 11), never to `make run`'s.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/10")

from .base import *  # noqa: F403
from .base import STORAGES
from .environment import env_bool

DEBUG = False
SECRET_KEY = "test-only-not-secret"  # noqa: S105 - tests only
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Mail stays in memory, unless a test's worker process is given a real SMTP
# server (EMAIL_HOST) to send to.
if not EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]

# Ordinary tests run Wagtail's background work immediately: their
# transactions never commit, so work queued on commit would silently never
# run. The tests of the Celery routing switch to tasks.backends.CeleryBackend.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Page cache: off unless a test turns it on (tests/pagecache). An ordinary
# test's transaction never commits, so the purges, made as a change commits,
# would never run, and a test would read the page an earlier one cached.
PAGECACHE_ENABLED = env_bool("PAGECACHE_ENABLED", False)

# Every health check evaluated afresh: a test changes what it checks between
# two requests (tests/security/test_health.py turns the memo on).
HEALTH_MEMO_SECONDS = 0
