"""The benchmark's own PostgreSQL database and Redis databases, and the
environment of its processes (its own, and the stack's)."""

import os
import signal
from urllib.parse import urlsplit, urlunsplit


def with_db(url, name):
    """`url` (postgres://user@host:port) with the database `name`."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def redis_with_db(url, db):
    """`url` (redis://host:port/n) with the database number `db`."""
    return with_db(url, db)


def redis_db(url):
    return int(urlsplit(url).path.strip("/") or 0)


def recreate_database(server_url, name, drop_only=False):
    """Drop the database `name` on the server (closing its connections), then
    create it empty, unless `drop_only`."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(with_db(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def flush_redis(*urls):
    import redis

    for url in urls:
        client = redis.Redis.from_url(url)
        client.flushdb()
        client.close()


def queue_length(url, queue="celery"):
    """How many messages wait in `queue` of the broker at `url`."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        return client.llen(queue)
    finally:
        client.close()


# Set by the caller's shell, but not for a benchmark: its own broker, cache,
# page cache and rate limits, no mail, no purges.
NOT_INHERITED = (
    "CELERY_BROKER_URL", "CACHE_BACKEND", "PAGECACHE_REDIS_URL", "RATELIMIT_REDIS_URL",
    "EMAIL_HOST", "WAGTAILFRONTENDCACHE_URLS",
)  # fmt: skip


def bench_environment(settings_module, database_url, redis_url, tmp):
    """The environment of a benchmark and its stack: this process's, with the
    benchmark's database, Redis (broker on `redis_url`, cache on the next
    database number) and settings, and its files under `tmp`."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CACHE_REDIS_URL=redis_with_db(redis_url, redis_db(redis_url) + 1),
        SECRET_KEY=env.get("SECRET_KEY") or "bench-only-not-secret",
        VAR_DIR=str(tmp / "var"),
        STATIC_ROOT=str(tmp / "static"),
        MEDIA_ROOT=str(tmp / "media"),
        ALLOWED_HOSTS="127.0.0.1",
        PYTHONUNBUFFERED="1",
    )
    return env


def adopt(env):
    """This process runs in `env` too (it queues to the same Redis and writes
    the same database as the stack); SIGTERM and SIGINT become
    KeyboardInterrupt, so that its `finally` blocks stop the stack and clean
    up."""
    os.environ.clear()
    os.environ.update(env)

    def on_sigterm(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    # Even when started in the background, where SIGINT comes ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
