#!/usr/bin/env python
"""Serving the page: uncached, from the page cache, and as a static file.

One run, with PostgreSQL and Redis, gunicorn with the production settings
and 2 sync workers (cms/stack.py's command, as the compose file runs it),
and `wrk` (Debian's; a small multi-process Python client when it is not
installed) as the load generator, in processes of their own:

1. Set-up: a PostgreSQL database of its own (dropped, created, migrated);
   Redis database numbers of its own (flushed); the demo content and two
   pages built for counting queries (5 towns and 2 contacts; 50 and 20);
   the static files, and, under STATIC_ROOT, the demo page's bytes as
   rendered, so that WhiteNoise serves the very same bytes as a file.
2. Queries: in this process, the SQL queries of one uncached render of each
   of the two pages (`queries_small`, `queries_large`), and of the API
   detail of each where the API exists.
3. Load, one gunicorn at a time (the two cores are shared with the load
   generator): with the page cache on (`page_cached`, `api_cached`); with
   it off, `PAGECACHE_ENABLED=false`, an honest uncached render of every
   request with everything else the same (`page_uncached`,
   `api_uncached`); and stock Django, Wagtail's view under `cache_page`
   with Django's Redis cache (`stock_cache_page`, bench/stock_cache). In
   each, every case runs `--rounds` times for `--seconds`, each run next
   to one of the static file in the same gunicorn (`static`; after it in
   one round, before it in the next), and the medians are taken;
   `*_over_static` is the median, over the rounds, of a case's rate over
   the rate of the static run beside it (what the machine's other load does
   to both cancels out), `*_over_static_medians` the ratio of the medians.

Requests carry `X-Forwarded-Proto: https`, as behind the TLS proxy that
production runs behind. Progress goes to stderr; the last line on stdout is
one JSON object: `page_uncached`, `page_cached`, `static`, `api_uncached`,
`api_cached`, each {"rps", "p99_ms"} (the API's null, with `api_reason`,
when /api/v3/pages/<id>/ does not answer 200), `queries_small`,
`queries_large`, then the ratios and the stock comparison.

    .venv/bin/python bench/page_render.py [--seconds S] [--rounds N] [--connections C]
"""

import argparse
import tempfile
import time
from pathlib import Path

# bench/, this script's folder, is first on sys.path: `lib` is bench/lib.
from lib import report, services
from lib.load import FORWARDED, generator, load
from lib.report import percentile, r3, say
from lib.run import add_run_arguments, clean_up
from lib.services import flush_redis
from lib.stack import Stack, manage, served

HEADLINE = (
    "page_uncached", "page_cached", "static", "api_uncached", "api_cached",
    "queries_small", "queries_large", "page_cached_over_static", "api_cached_over_static",
    "stock_cache_page", "stock_cache_page_over_static",
)  # fmt: skip
STATIC_NAME = "bench/page.html"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of each load run")
    parser.add_argument("--rounds", type=int, default=4, help="runs of each case")
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections")
    # Redis 6/7, not publish_latency's 8/9: the two may run side by side.
    add_run_arguments(parser, db_name="bench_page_render", redis_db=6, web_port=8766)
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.rounds < 1 or args.connections < 1:
        parser.error("--seconds positive, --rounds and --connections at least 1")
    return args


# Set-up


def set_up(args, env, tmp, result):
    services.recreate_database(args.pg, args.db_name)
    flush_redis(env["REDIS_URL"], env["CACHE_REDIS_URL"])
    result["migrate_s"] = r3(manage(env, "migrate", "--noinput"))
    say(f"migrated {args.db_name} in {result['migrate_s']} s")
    manage(env, "collectstatic", "--noinput")

    import django

    django.setup()
    import logging

    for name in ("wagtail", "tasks", "intl_pages"):
        logging.getLogger(name).setLevel(logging.WARNING)

    from intl_pages.demo import load_demo
    from intl_pages.models import InternationalPage
    from tests.builders import contacts_block, make_contact, make_page, twin_town

    home = load_demo()
    demo = InternationalPage.objects.get(slug="internationella-samarbeten")

    def build(slug, towns, contacts):
        people = [make_contact(name=f"Person {slug} {i}") for i in range(contacts)]
        body = [twin_town(city=f"Stad {slug} {i}") for i in range(towns)]
        return make_page(title=f"Mätsida {slug}", slug=f"matsida-{slug}", parent=home,
                         body=[*body, contacts_block(*people)])  # fmt: skip

    pages = {"demo": demo, "small": build("small", 5, 2), "large": build("large", 50, 20)}
    # What publishing queued for the workers (none run here) is no part of it.
    flush_redis(env["REDIS_URL"], env["CACHE_REDIS_URL"])
    return pages


def in_process_get(path):
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", headers=FORWARDED)
    return client.get(path)


def count_queries(pages, result):
    """SQL queries of one uncached render (and API detail) of each page, in
    this process, the page cache off; each path rendered once before, so
    what is read once per process (the site, the settings) is not counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    def queries(path):
        in_process_get(path)
        with CaptureQueriesContext(connection) as captured:
            response = in_process_get(path)
        return response.status_code, len(captured)

    with override_settings(PAGECACHE_ENABLED=False):
        for size in ("small", "large"):
            status, count = queries(pages[size].url)
            assert status == 200, (pages[size].url, status)
            result[f"queries_{size}"] = count
            status, count = queries(api_path(pages[size]))
            result[f"queries_api_{size}"] = count if status == 200 else None
    say(f"queries of one render: small {result['queries_small']}, large "
        f"{result['queries_large']}; API detail: {result['queries_api_small']}, "
        f"{result['queries_api_large']}")  # fmt: skip


def api_path(page):
    return f"/api/v3/pages/{page.pk}/"


def write_static_copy(pages, env):
    """The demo page's bytes as rendered, under STATIC_ROOT; returns them."""
    from django.test.utils import override_settings

    with override_settings(PAGECACHE_ENABLED=False):
        body = in_process_get(pages["demo"].url).content
    target = Path(env["STATIC_ROOT"]) / STATIC_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body)
    return body


# Load


def median_of(runs):
    if not runs:
        return None
    return {
        "rps": round(percentile([r["rps"] for r in runs], 50), 1),
        "p99_ms": r3(percentile([r["p99_ms"] for r in runs], 50)),
    }


def measure(stack, cases, args):
    """Each case of `cases` ({name: path}) run `--rounds` times, each run
    followed by the static file; {name: median, "static": median}."""
    base = stack.web_url
    static_url = f"{base}/static/{STATIC_NAME}"
    for path in [*cases.values(), f"/static/{STATIC_NAME}"]:
        assert served(base + path) == 200, f"{path} is not served"
        load(base + path, 1, args.connections)  # warm: the cache, each worker
    runs = {name: [] for name in [*cases, "static"]}
    pairs = {name: [] for name in cases}
    for round_no in range(args.rounds):
        for name, path in cases.items():
            # ABBA: the case first in one round, the static file in the next,
            # so that what running second does to a run cancels out too.
            order = [(name, base + path), ("static", static_url)]
            for which, url in order if round_no % 2 == 0 else order[::-1]:
                runs[which].append(load(url, args.seconds, args.connections))
            pairs[name].append(runs[name][-1]["rps"] / runs["static"][-1]["rps"])
            say(f"  round {round_no + 1}: {name} {runs[name][-1]}, static {runs['static'][-1]}")
    medians = {name: median_of(values) for name, values in runs.items()}
    # A case over the static run next to it, the median of those: what the
    # machine's load did to both cancels out.
    medians["paired"] = {name: r3(percentile(values, 50)) for name, values in pairs.items()}
    return medians


def web_stack(env, tmp, port, **overrides):
    stack_env = {**env, **overrides}
    stack = Stack(stack_env, tmp, port, web_workers=2, only=("web",))
    stack.start()
    stack.wait_for_web("/")
    return stack


def run_gunicorn(env, tmp, port, cases, args, label, **overrides):
    say(f"{label}: gunicorn, 2 sync workers, {overrides or 'the page cache on'}")
    stack = web_stack(env, tmp, port, **overrides)
    try:
        return measure(stack, cases, args)
    finally:
        stack.stop()


def ratio(case, static):
    if not case or not static or not static["rps"]:
        return None
    return r3(case["rps"] / static["rps"])


def run(args, env, tmp, result):
    pages = set_up(args, env, tmp, result)
    count_queries(pages, result)
    body = write_static_copy(pages, env)
    result["page_bytes"] = len(body)

    page_path = pages["demo"].url
    api = api_path(pages["demo"])
    # Does the API answer? Asked of a gunicorn, below; the cases follow.
    port = args.web_port
    probe = web_stack(env, tmp, port)
    try:
        api_status = served(probe.web_url + api)
        cached_copy = len(_get(probe.web_url + page_path))
    finally:
        probe.stop()
    result["cached_page_bytes"] = cached_copy
    has_api = api_status == 200
    if not has_api:
        result["api_reason"] = f"GET {api} answered {api_status}: no API detail to measure"
        say(result["api_reason"])

    cached_cases = {"page_cached": page_path, **({"api_cached": api} if has_api else {})}
    uncached_cases = {"page_uncached": page_path, **({"api_uncached": api} if has_api else {})}

    ours = run_gunicorn(env, tmp, port + 1, cached_cases, args, "cache on")
    off = run_gunicorn(
        env, tmp, port + 2, uncached_cases, args, "cache off", PAGECACHE_ENABLED="false"
    )
    stock_settings = "bench.stock_cache.settings"
    stock = run_gunicorn(
        env, tmp, port + 3, {"stock_cache_page": page_path}, args, "stock cache_page",
        DJANGO_SETTINGS_MODULE=stock_settings,
    )  # fmt: skip

    result.update(
        page_uncached=off["page_uncached"],
        page_cached=ours["page_cached"],
        static=ours["static"],
        api_uncached=off.get("api_uncached"),
        api_cached=ours.get("api_cached"),
        page_cached_over_static=ours["paired"]["page_cached"],
        api_cached_over_static=ours["paired"].get("api_cached"),
        page_uncached_over_static=off["paired"]["page_uncached"],
        static_cache_off=off["static"],
        stock_cache_page=stock["stock_cache_page"],
        stock_cache_page_over_static=stock["paired"]["stock_cache_page"],
        # The same ratios from the medians of the rates themselves.
        page_cached_over_static_medians=ratio(ours["page_cached"], ours["static"]),
        api_cached_over_static_medians=ratio(ours.get("api_cached"), ours["static"]),
        stock_cache_page_over_static_medians=ratio(stock["stock_cache_page"], stock["static"]),
        static_stock=stock["static"],
        load_generator=generator(),
        connections=args.connections,
        seconds=args.seconds,
        rounds=args.rounds,
    )


def _get(url):
    import urllib.request

    request = urllib.request.Request(url, headers=FORWARDED)  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.read()


def main(argv=None):
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-render-"))
    database_url = services.with_db(args.pg, args.db_name)
    env = services.bench_environment("cms.settings.production", database_url, args.redis_url, tmp)
    # The page cache on (its default with the Redis cache), as deployed.
    env["PAGECACHE_ENABLED"] = "true"
    services.adopt(env)
    result = {"load_avg_start": report.load_avg()}
    ok = False
    try:
        run(args, env, tmp, result)
        ok = True
    finally:
        clean_up(args, env, tmp, keep_logs=args.keep_logs or not ok)
    result["load_avg_end"] = report.load_avg()
    result["total_s"] = r3(time.monotonic() - report.STARTED)
    report.print_result(result, HEADLINE)


if __name__ == "__main__":
    main()
