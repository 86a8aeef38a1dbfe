"""A benchmark's run: its own services set up before, and left as they were
found after (the database dropped unless kept, the Redis databases flushed,
the logs kept only when asked or when the run failed)."""

import shutil

# Redis database numbers the rest of the project uses: make run 0/1, pytest
# 10/11, test_run 13/14. A benchmark takes a pair of its own (broker, cache).
from . import services
from .report import r3, say
from .stack import manage


def add_run_arguments(parser, db_name, redis_db, web_port):
    """The options every benchmark's run takes: where its own database and
    Redis databases are, its web server's port, and what to keep after."""
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="server URL")
    parser.add_argument("--db-name", default=db_name)
    parser.add_argument(
        "--redis-url",
        default=f"redis://127.0.0.1:6379/{redis_db}",
        help="the broker's database; the cache's is the next",
    )
    parser.add_argument("--web-port", type=int, default=web_port, help="the bench's web server")
    parser.add_argument("--keep-db", action="store_true", help="keep the bench database")
    parser.add_argument("--keep-logs", action="store_true", help="keep the stack's logs")


def set_up_services(args, env, result):
    """A PostgreSQL database of its own (dropped, created, migrated), Redis
    databases of its own (flushed), the static files the web server serves."""
    services.recreate_database(args.pg, args.db_name)
    services.flush_redis(env["REDIS_URL"], env["CACHE_REDIS_URL"])
    result["migrate_s"] = r3(manage(env, "migrate", "--noinput"))
    say(f"migrated {args.db_name} in {result['migrate_s']} s")
    manage(env, "collectstatic", "--noinput")


def clean_up(args, env, tmp, keep_logs):
    try:
        from django.db import connections

        connections.close_all()
    except Exception as error:  # Django may not be set up yet
        say(f"closing connections: {error!r}")
    if not args.keep_db:
        services.recreate_database(args.pg, args.db_name, drop_only=True)
    services.flush_redis(env["REDIS_URL"], env["CACHE_REDIS_URL"])
    if keep_logs:
        say(f"logs kept in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
