"""A benchmark's run: its own services set up before, and left as they were
found after (the database dropped unless kept, the Redis databases flushed,
the logs kept only when asked or when the run failed)."""

import shutil

from . import services
from .report import r3, say
from .stack import manage


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
