#!/usr/bin/env python
"""Scheduled-publishing latency: our exact-time tasks against Wagtail's cron.

One run, with a real Celery worker and beat, Redis and PostgreSQL:

1. Set-up: a PostgreSQL database of its own (dropped and created), migrated;
   Redis database numbers of its own (flushed); the demo content; the bench
   pages, not live, as children of the home page.
2. Ours, spread: `--pages` pages scheduled at distinct instants over
   `--window` seconds, published by our worker (ETA task + beat sweep), as
   many processes as `make run` starts (a scheduling worker, `--concurrency
   2`, a background worker at lower priority, one beat) and a gunicorn web
   server as the compose file runs it (all four from cms/stack.py).
   Lateness = first_published_at - scheduled time. Where the visitor is:
   from each page's time, the bench asks the web server for it every 20 ms;
   `served_*` is the time from the scheduled time to the first 200.
3. Ours, burst: `--burst` pages all due at one instant T; how long until the
   last is live.
4. The worker and beat stop. In the bench process: SQL queries, wall and
   CPU time of one scheduled publish through our function and through the
   stock command's loop; how many messages one publish queues, and what the
   follow-up work they ask for costs.
5. Stock, burst: as many pages due at one instant, then one run of
   `manage.py publish_scheduled` just after it.
6. Stock, spread: as many pages as in 2, published only by
   `manage.py publish_scheduled` run at every whole minute, as cron would.

Progress goes to stderr; the last line on stdout is one JSON object. Its
first keys: `published`, `early`, `duplicate_publishes` and the lateness
percentiles `p50_s`/`p99_s`/`max_s` (ours, spread), `served_p50_s`/
`served_p99_s`/`served_max_s` (the same, as a visitor gets the page); `stock_cron_*` (stock,
spread); `burst_all_live_s` (ours) and `stock_burst_s` (stock), seconds from
the instant to the last page live; `publish_queries` (SQL of one publish
through `tasks.scheduling.publish_scheduled_revision`). `burst_queue_at_due`
is how many messages waited in the broker when the burst fell due.

Figures depend on the machine and on whatever else runs on it: compare runs
on the same machine (`load_avg_*` says how busy it was).

    .venv/bin/python bench/publish_latency.py [--pages N] [--burst M] [--window S]
"""

import argparse
import math
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path

# bench/, this script's folder, is first on sys.path: `lib` is bench/lib.
from lib import report, services
from lib.report import percentile, r3, say, spread
from lib.run import add_run_arguments, clean_up, set_up_services
from lib.services import flush_redis, queue_length
from lib.stack import Stack, manage, served, worker_totals

# Stock Wagtail runs its background work (django-tasks) immediately.
STOCK_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
OWNER_EMAIL = "bench@example.org"
PUBLISH_ACTIONS = ("wagtail.publish", "wagtail.publish.scheduled")
HEADLINE = (
    "pages", "published", "duplicate_publishes", "early", "p50_s", "p99_s", "max_s",
    "served", "served_p50_s", "served_p99_s", "served_max_s",
    "stock_cron_p50_s", "stock_cron_max_s", "burst", "burst_all_live_s", "stock_burst_s",
    "publish_queries", "per_publish_ms_inprocess", "stock_per_publish_ms_inprocess",
)  # fmt: skip


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=100, help="pages in each spread phase")
    parser.add_argument("--burst", type=int, default=1000, help="pages in each burst phase")
    parser.add_argument("--window", type=float, default=20.0, help="spread window, seconds")
    parser.add_argument("--lead", type=float, default=5.0, help="seconds before a window opens")
    parser.add_argument("--sample", type=int, default=10, help="pages per in-process measure")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (make run)")
    add_run_arguments(parser, db_name="bench_publish", redis_db=8, web_port=8765)
    parser.add_argument(
        "--settings",
        default="cms.settings.production",
        help="DJANGO_SETTINGS_MODULE (production: DEBUG off, as deployed)",
    )
    args = parser.parse_args(argv)
    if args.pages < 1 or args.burst < 1 or args.window <= 0:
        parser.error("--pages and --burst must be at least 1, --window positive")
    return args


# The run


@dataclass
class Bench:
    """What the phases share: the arguments, the environment, the figures so
    far (`result`, the JSON line), the pages of each phase, and what
    scheduling one page cost, measured as the phases go."""

    args: argparse.Namespace
    env: dict
    tmp: Path
    result: dict
    ids: dict = field(default_factory=dict)
    warmup_s_per_page: float = 0.0  # nothing else running
    busy_s_per_page: float = 0.0  # our stack running (ours, spread)
    idle_s_per_page: float = 0.0  # our stack stopped (the in-process samples)

    @property
    def broker(self):
        return self.env["REDIS_URL"]

    @property
    def stock_s_per_page(self):
        return max(self.warmup_s_per_page, self.idle_s_per_page)


def run(args, tmp, env, result):
    """The phases, in order; each adds its figures to `result`."""
    bench = Bench(args, env, tmp, result)
    set_up_django(bench)
    create_content(bench)
    stack = Stack(env, tmp, args.web_port, web_workers=2, concurrency=args.concurrency)
    try:
        start_stack(stack)
        ours_spread(bench, stack)
        ours_burst(bench, stack)
        count_worker_tasks(bench)
    finally:
        stack.stop()
        say("worker and beat stopped")
    check_ours(bench, stack)
    measure_in_process(bench)
    stock_burst(bench)
    stock_spread(bench)


def set_up_django(bench):
    """Django in this process, its loggers quiet; the configuration measured."""
    import django

    django.setup()

    import logging

    from django.conf import settings

    # Wagtail logs each scheduled page at INFO: thousands of lines.
    for name in ("wagtail", "tasks", "intl_pages"):
        logging.getLogger(name).setLevel(logging.WARNING)
    args = bench.args
    bench.result.update(
        pages=args.pages,
        burst=args.burst,
        window_s=args.window,
        concurrency=args.concurrency,
        settings=args.settings,
        schedule_horizon_s=settings.SCHEDULE_HORIZON_SECONDS,
        schedule_sweep_s=settings.SCHEDULE_SWEEP_SECONDS,
        schedule_grace_s=settings.SCHEDULE_GRACE_SECONDS,
    )


def create_content(bench):
    """The demo content and every phase's pages, not live; what scheduling a
    page costs (warm-up pages, far beyond the horizon: nothing is queued for
    them). Nothing queued so far is part of the measure: Redis is flushed."""
    from django.utils import timezone

    from intl_pages.demo import load_demo

    n, m, k = bench.args.pages, bench.args.burst, bench.args.sample
    home = load_demo()
    started = time.monotonic()
    bench.ids = {
        "warmup": create_pages(home, "warmup", 5),
        "ours_spread": create_pages(home, "ours-spread", n),
        "ours_burst": create_pages(home, "ours-burst", m),
        "sample_ours": create_pages(home, "sample-ours", k),
        "sample_stock": create_pages(home, "sample-stock", k),
        "stock_burst": create_pages(home, "stock-burst", m),
        "stock_spread": create_pages(home, "stock-spread", n),
    }
    bench.result["create_pages_s"] = r3(time.monotonic() - started)
    say(f"created {sum(map(len, bench.ids.values()))} pages in "
        f"{bench.result['create_pages_s']} s")  # fmt: skip

    warmup = bench.ids["warmup"]
    took, _, _ = schedule(warmup, [timezone.now() + timedelta(days=1)] * len(warmup))
    bench.warmup_s_per_page = took / len(warmup)
    say(f"warm-up: scheduling costs {bench.warmup_s_per_page * 1000:.1f} ms a page")
    flush_redis(bench.env["REDIS_URL"], bench.env["CACHE_REDIS_URL"])


def start_stack(stack):
    """Our stack as `make run` and the compose file start it (cms/stack.py)."""
    from cms.celery import app

    stack.start()
    workers = stack.wait_for_workers(app, count=2)  # scheduling and background
    stack.wait_for_web("/")
    say(f"worker answers: {workers}; beat and web server started")


def ours_spread(bench, stack):
    """Pages due at distinct instants over the window, published by our
    stack: lateness in the database, and as a visitor is served each page."""
    from django.utils import timezone

    from intl_pages.models import InternationalPage

    args, result, ids = bench.args, bench.result, bench.ids["ours_spread"]
    n = len(ids)
    pages = InternationalPage.objects.filter(pk__in=ids)
    urls = {page.pk: stack.web_url + page.get_url() for page in pages}
    # The worker shares the CPUs while we schedule: twice the warm-up cost.
    start = timezone.now() + timedelta(seconds=max(args.lead, 2 * bench.warmup_s_per_page * n + 1))
    due = spread_times(ids, start, args.window)
    took, _, after_due = schedule(ids, [due[pk] for pk in ids])
    result["scheduled_after_due"] = after_due
    result["schedule_ms_per_page"] = r3(took / n * 1000)
    bench.busy_s_per_page = max(bench.warmup_s_per_page, took / n)
    say(f"ours spread: scheduled {n} pages in {took:.1f} s; window opens in "
        f"{(start - timezone.now()).total_seconds():.1f} s")  # fmt: skip
    assert all(served(urls[pk]) == 404 for pk in ids[:3]), "served early"

    watch = watch_served(urls, due)
    window_end = start + timedelta(seconds=args.window)
    live = wait_until_live(ids, time.monotonic() + seconds_until(window_end) + 60, stack)
    late = lateness(ids, due)
    seen = [s for s in watch.result().values() if s is not None]
    result.update(published=live, early=sum(1 for s in late if s < 0), **spread(late))
    result.update(served=len(seen), **spread(seen, "served_"))
    say(f"ours spread: {live}/{n} live, p50 {result['p50_s']} s, max {result['max_s']} s; "
        f"served to a visitor {len(seen)}/{n}, p99 {result['served_p99_s']} s, "
        f"max {result['served_max_s']} s")  # fmt: skip


def ours_burst(bench, stack):
    """`--burst` pages due at one instant T, published by our stack: how long
    from T until the last is live, and how the broker's queue drains."""
    from django.utils import timezone

    result, ids = bench.result, bench.ids["ours_burst"]
    m = len(ids)
    instant = burst_instant(bench.busy_s_per_page, m)
    took, _, after_due = schedule(ids, [instant] * m, "ours burst", bench.broker)
    result["burst_schedule_s"] = r3(took)
    result["scheduled_after_due"] += after_due
    assert timezone.now() < instant, "scheduling the burst ran past its instant"
    say(f"ours burst: scheduled {m} pages in {took:.1f} s ({took / m * 1000:.1f} ms a "
        f"page); due in {seconds_until(instant):.1f} s")  # fmt: skip

    sleep_until(instant)
    result["burst_queue_at_due"] = queue_length(bench.broker)
    live, progress = wait_for_burst(ids, stack, bench.broker)
    result["burst_queue_when_live"] = progress[-1][2]
    late = lateness(ids, dict.fromkeys(ids, instant))
    result.update(
        burst_published=live,
        burst_first_live_s=r3(min(late, default=None)),
        burst_p50_s=r3(percentile(late, 50)),
        burst_all_live_s=r3(max(late, default=None)),
    )
    firsts = first_publishes(ids)
    if len(firsts) > 1:
        result["burst_ms_per_page"] = ms_per_page(firsts)
    result["early"] += sum(1 for s in late if s < 0)
    say(f"ours burst: {live}/{m} live, last {result['burst_all_live_s']} s after T; "
        f"progress (s, live, queued): {progress[:: max(1, len(progress) // 12)]}")  # fmt: skip


def wait_for_burst(ids, stack, broker):
    """Until every page of a burst that just fell due is live: (pages live,
    progress as (seconds after T, pages live, messages waiting in the broker))."""
    progress = []
    t0 = time.monotonic()

    def note(live):
        progress.append((round(time.monotonic() - t0, 1), live, queue_length(broker)))

    deadline = time.monotonic() + max(180, 0.3 * len(ids))
    return wait_until_live(ids, deadline, stack, on_tick=note), progress


def count_worker_tasks(bench):
    """Let beat's next sweep run once over an empty schedule, then count the
    tasks the workers ran."""
    from django.conf import settings

    from cms.celery import app

    time.sleep(settings.SCHEDULE_SWEEP_SECONDS + 1)
    totals = worker_totals(app)
    bench.result["worker_tasks"] = totals
    say(f"worker ran: {totals}")


def check_ours(bench, stack):
    """Errors and deadlocks in the workers' logs; pages published twice."""
    problems = [stack.log_problems(name) for name in ("worker", "background")]
    bench.result["worker_log_errors"] = sum(errors or 0 for errors, _ in problems)
    bench.result["worker_deadlocks"] = sum(deadlocks or 0 for _, deadlocks in problems)
    ours = bench.ids["ours_spread"] + bench.ids["ours_burst"]
    bench.result["duplicate_publishes"] = duplicates(ours)


def measure_in_process(bench):
    """The worker and beat are stopped, so nothing else publishes these
    pages. In this process: the SQL, wall and CPU time of one scheduled
    publish through our function and through the stock command's loop; how
    many messages one publish queues, and what the follow-up work they ask a
    worker for costs."""
    go_live_at, ours_revisions, stock_revisions = schedule_samples(bench)
    queued_before = queue_length(bench.broker)
    ours = measure_publishes(partial(publish_ours, go_live_at=go_live_at), ours_revisions)
    queued = queue_length(bench.broker) - queued_before
    stock = measure_stock(stock_revisions)
    bench.result.update(
        publish_queries=ours.queries,
        per_publish_ms_inprocess=ours.wall_ms,
        per_publish_cpu_ms_inprocess=ours.cpu_ms,
        stock_publish_queries=stock.queries,
        stock_per_publish_ms_inprocess=stock.wall_ms,
        stock_per_publish_cpu_ms_inprocess=stock.cpu_ms,
        followups_per_publish=r3(queued / len(ours_revisions)),
        followup_ms_inprocess=measure_followups(bench.ids["sample_ours"]),
    )
    say(f"one scheduled publish, ours: {ours.queries} queries, {ours.wall_ms} ms: "
        f"{dict(ours.kinds)}")  # fmt: skip
    say(f"one scheduled publish, stock: {stock.queries} queries, {stock.wall_ms} ms: "
        f"{dict(stock.kinds)}")  # fmt: skip


def stock_burst(bench):
    """As many pages due at one instant, then one run of `manage.py
    publish_scheduled` just after it. No worker runs: the instant need only
    leave time to schedule them all."""
    from django.utils import timezone

    result, ids = bench.result, bench.ids["stock_burst"]
    m = len(ids)
    instant = timezone.now() + timedelta(seconds=max(10, 1.5 * bench.stock_s_per_page * m + 5))
    took, _, _ = schedule(ids, [instant] * m)
    assert timezone.now() < instant, "scheduling the stock burst ran past its instant"
    say(f"stock burst: scheduled {m} pages in {took:.1f} s; due in "
        f"{seconds_until(instant):.1f} s")  # fmt: skip

    sleep_until(instant + timedelta(milliseconds=50))
    launched = timezone.now()
    command_s = manage(stock_env(bench.env), "publish_scheduled")
    firsts = first_publishes(ids)
    result.update(
        stock_burst_published=sum(1 for live, _ in publish_state(ids).values() if live),
        stock_burst_s=r3((max(firsts) - instant).total_seconds()) if firsts else None,
        stock_burst_command_s=r3(command_s),
        stock_burst_startup_s=r3((min(firsts) - launched).total_seconds()) if firsts else None,
    )
    if len(firsts) > 1:
        result["stock_burst_ms_per_page"] = ms_per_page(firsts)
    say(f"stock burst: {result['stock_burst_published']}/{m} live, last "
        f"{result['stock_burst_s']} s after T (command {command_s:.1f} s)")  # fmt: skip


def stock_spread(bench):
    """As many pages as ours spread, published only by `manage.py
    publish_scheduled` at every whole minute, as cron runs it."""
    from django.utils import timezone

    args, result, ids = bench.args, bench.result, bench.ids["stock_spread"]
    lead = max(args.lead, 2 * bench.stock_s_per_page * len(ids) + 1)
    start = timezone.now() + timedelta(seconds=lead)
    due = spread_times(ids, start, args.window)
    _, _, after_due = schedule(ids, [due[pk] for pk in ids])
    # A page scheduled after its time is published at once, flattering stock.
    result["stock_scheduled_after_due"] = after_due
    window_end = start + timedelta(seconds=args.window)
    runs = run_cron(bench.env, ids, window_end.timestamp() + 125)
    late = lateness(ids, due)
    result.update(
        stock_published=len(late),
        stock_early=sum(1 for s in late if s < 0),
        **spread(late, "stock_cron_"),
        stock_cron_runs=len(runs),
    )
    result["stock_duplicate_publishes"] = duplicates(ids + bench.ids["stock_burst"])


# Inside Django (after django.setup())


def create_pages(home, prefix, count):
    """`count` InternationalPages under `home`, not live, in one transaction.

    Set-up only: the reference index is not updated, and the search-index
    tasks this queues are flushed from Redis before the worker starts.
    """
    from django.db import transaction
    from wagtail.signal_handlers import disable_reference_index_auto_update

    from intl_pages.models import InternationalPage

    ids = []
    with transaction.atomic(), disable_reference_index_auto_update():
        for i in range(count):
            page = InternationalPage(
                title=f"Bench {prefix} {i}",
                slug=f"bench-{prefix}-{i:05d}",
                introduction="Sida för mätning av schemalagd publicering.",
                body=[("heading", f"Rubrik {i}")],
                owner_email=OWNER_EMAIL,
                live=False,
                has_unpublished_changes=True,
            )
            home.add_child(instance=page)
            ids.append(page.pk)
    return ids


def schedule(page_ids, times, label=None, queue_url=None):
    """Schedule each page as the admin does: set go-live, save a revision,
    publish it (Wagtail then only records `approved_go_live_at`). Each page
    in a transaction of its own, like one editor request, so our receivers
    queue on commit.

    Returns (seconds taken, revision ids by page id, how many were scheduled
    only after their time had come).
    """
    from django.db import transaction
    from django.utils import timezone

    from intl_pages.models import InternationalPage

    pages = InternationalPage.objects.in_bulk(page_ids)
    revisions = {}
    after_due = 0
    started = time.monotonic()
    for page_id, go_live_at in zip(page_ids, times, strict=True):
        page = pages[page_id]
        with transaction.atomic():
            page.go_live_at = go_live_at
            revision = page.save_revision()
            revision.publish()
        revisions[page_id] = revision.pk
        if timezone.now() >= go_live_at:
            after_due += 1
        done = len(revisions)
        if label and done % 200 == 0:
            backlog = f", broker queue {queue_length(queue_url)}" if queue_url else ""
            say(f"{label}: {done}/{len(page_ids)} scheduled, "
                f"{(time.monotonic() - started) / done * 1000:.1f} ms a page{backlog}")  # fmt: skip
    return time.monotonic() - started, revisions, after_due


def spread_times(page_ids, start, window):
    """{page id: its own instant}, evenly over `window` seconds from `start`."""
    step = window / len(page_ids)
    return {pk: start + timedelta(seconds=step * i) for i, pk in enumerate(page_ids)}


def publish_state(page_ids):
    """{page id: (live, first_published_at)}"""
    from wagtail.models import Page

    return {
        pk: (live, first)
        for pk, live, first in Page.objects.filter(pk__in=page_ids).values_list(
            "pk", "live", "first_published_at"
        )
    }


def wait_until_live(page_ids, deadline, stack=None, every=0.5, on_tick=None):
    """Poll until every page is live or the monotonic `deadline` passes."""
    from wagtail.models import Page

    while True:
        live = Page.objects.filter(pk__in=page_ids, live=True).count()
        if on_tick:
            on_tick(live)
        if live == len(page_ids) or time.monotonic() >= deadline:
            return live
        if stack:
            stack.check_alive()
        time.sleep(every)


def lateness(page_ids, due):
    """Seconds from each published page's scheduled time to its first publish;
    `due` maps page id to scheduled time."""
    state = publish_state(page_ids)
    return [
        (first - due[pk]).total_seconds()
        for pk, (_live, first) in state.items()
        if first is not None
    ]


def watch_served(urls, due, every=0.02, give_up_s=60.0):
    """From each page's scheduled time, ask for it as a visitor does, every
    `every` seconds, until it is served (200). Returns {page id: seconds from
    its time to the first answer served}, from a thread pool started now;
    call `.result()` on what this returns."""
    from concurrent.futures import ThreadPoolExecutor

    from django.utils import timezone

    def watch(pk):
        sleep_until(due[pk])
        while True:
            status = served(urls[pk])
            late = (timezone.now() - due[pk]).total_seconds()
            if status == 200 or late > give_up_s:
                return pk, (late if status == 200 else None)
            time.sleep(every)

    pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="visitor")
    futures = [pool.submit(watch, pk) for pk in sorted(due, key=due.get)]
    pool.shutdown(wait=False)

    class Watch:
        def result(self):
            return dict(future.result() for future in futures)

    return Watch()


def publish_counts(page_ids):
    """{page id: number of publish log entries}"""
    from django.db.models import Count
    from wagtail.models import PageLogEntry

    rows = (
        PageLogEntry.objects.filter(page_id__in=page_ids, action__in=PUBLISH_ACTIONS)
        .values("page_id")
        .annotate(n=Count("id"))
    )
    return {row["page_id"]: row["n"] for row in rows}


def sleep_until(moment):
    """Sleep until the aware datetime `moment` (system clock)."""
    from django.utils import timezone

    while True:
        left = (moment - timezone.now()).total_seconds()
        if left <= 0:
            return
        time.sleep(min(left, 1.0))


def query_kinds(queries):
    kinds = Counter()
    for query in queries:
        words = query["sql"].split()
        verb = words[0].upper() if words else "?"
        table = "?"
        upper = [w.upper() for w in words]
        for marker in ("FROM", "INTO", "UPDATE"):
            if marker in upper:
                i = upper.index(marker)
                if i + 1 < len(words):
                    table = words[i + 1].strip('"')
                    break
        kinds[f"{verb} {table}"] += 1
    return kinds


def stock_env(env):
    """Stock Wagtail's configuration: its background work inside the publish."""
    return {**env, "WAGTAIL_TASKS_BACKEND": "immediate"}


def run_cron(env, page_ids, deadline_wall):
    """`manage.py publish_scheduled` at every whole minute of wall-clock time,
    as cron runs it, until every page is live. Returns the runs' wall times."""
    from wagtail.models import Page

    runs = []
    while True:
        next_tick = (math.floor(time.time() / 60) + 1) * 60
        if next_tick > deadline_wall:
            return runs
        say(f"stock cron: next run in {next_tick - time.time():.1f} s")
        time.sleep(max(0.0, next_tick - time.time()))
        runs.append(manage(stock_env(env), "publish_scheduled"))
        live = Page.objects.filter(pk__in=page_ids, live=True).count()
        say(f"stock cron: run took {runs[-1]:.2f} s, {live}/{len(page_ids)} live")
        if live == len(page_ids):
            return runs


def burst_instant(per_page_s, count):
    """When a burst of `count` pages is due: after scheduling them all can
    have finished (`per_page_s` each, as last measured under the same load),
    with a margin."""
    from django.utils import timezone

    ahead = max(30.0, 0.06 * count, 2.0 * per_page_s * count + 5.0)
    return timezone.now() + timedelta(seconds=ahead)


def seconds_until(moment):
    from django.utils import timezone

    return (moment - timezone.now()).total_seconds()


def first_publishes(page_ids):
    """The first_published_at of each of the pages published so far."""
    return [first for _live, first in publish_state(page_ids).values() if first is not None]


def ms_per_page(firsts):
    """Milliseconds between one first publish and the next, on average."""
    span = (max(firsts) - min(firsts)).total_seconds()
    return r3(span / (len(firsts) - 1) * 1000)


def duplicates(page_ids):
    """How many of the pages were published more than once."""
    return sum(1 for count in publish_counts(page_ids).values() if count > 1)


# In-process measures


@dataclass
class Publishes:
    wall_ms: float  # median
    cpu_ms: float  # median
    queries: int  # the most of any one publish
    kinds: Counter  # the last publish's queries, by statement and table


def schedule_samples(bench):
    """The sample pages, ours and stock, all due at one instant a little
    ahead; sleeps until it has passed. Returns (the instant, our revision
    ids, stock's)."""
    from django.utils import timezone

    ours, stock = bench.ids["sample_ours"], bench.ids["sample_stock"]
    count = len(ours) + len(stock)
    go_live_at = timezone.now() + timedelta(seconds=2 + 0.2 * count)
    took_ours, ours_revisions, _ = schedule(ours, [go_live_at] * len(ours))
    took_stock, stock_revisions, _ = schedule(stock, [go_live_at] * len(stock))
    assert timezone.now() < go_live_at, "scheduling the samples ran past their time"
    bench.idle_s_per_page = (took_ours + took_stock) / count
    sleep_until(go_live_at + timedelta(milliseconds=50))
    return go_live_at, list(ours_revisions.values()), list(stock_revisions.values())


def measure_publishes(publish, items):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    wall, cpu, queries, kinds = [], [], [], Counter()
    for item in items:
        started, started_cpu = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as captured:
            publish(item)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        queries.append(len(captured.captured_queries))
        kinds = query_kinds(captured.captured_queries)
    return Publishes(r3(percentile(wall, 50)), r3(percentile(cpu, 50)), max(queries), kinds)


def publish_ours(revision_id, go_live_at):
    """What our scheduling worker does with one due revision."""
    from tasks import scheduling

    outcome = scheduling.publish_scheduled_revision(revision_id, scheduling.as_iso(go_live_at))
    assert outcome.status == scheduling.PUBLISHED, outcome


def measure_stock(revision_ids):
    """`publish_scheduled`'s own loop, over these revisions only, with stock
    Wagtail's background work (reference and search index) immediate,
    inside the publish, as it comes."""
    # Connects django-tasks' receiver that rebuilds its backends when
    # override_settings(TASKS=...) changes them (the app is not installed).
    import django_tasks.signals  # noqa: F401
    from django.test.utils import override_settings
    from django.utils import timezone
    from wagtail.models import Revision

    revisions = Revision.objects.filter(
        pk__in=revision_ids, approved_go_live_at__lt=timezone.now()
    ).order_by("approved_go_live_at")
    with override_settings(TASKS=STOCK_TASKS):
        return measure_publishes(
            lambda revision: revision.publish(log_action="wagtail.publish.scheduled"),
            list(revisions),
        )


def measure_followups(page_ids):
    """Median ms, in this process, of the work a publish queues for the
    worker: Wagtail's reference-index and search-index updates (django-tasks
    routed to Celery), and the reconciling sweep's recompute of one page's
    "Senast uppdaterad" (twice: the second finds nothing to move), the live
    page fetched first."""
    from intl_pages.models import InternationalPage
    from intl_pages.stamps import recompute_page_stamp
    from tasks.wagtail_work import run_wagtail_task

    def wagtail_task(path):
        return lambda pk: run_wagtail_task(path, ["intl_pages", "internationalpage", str(pk)], {})

    def page_stamp(pk):
        recompute_page_stamp(InternationalPage.objects.live().get(pk=pk))

    work = {
        "reference_index": wagtail_task("wagtail.tasks.update_reference_index_task"),
        "search_index": wagtail_task("modelsearch.tasks.insert_or_update_object_task"),
        "page_stamp": page_stamp,
        "page_stamp_repeat": page_stamp,
    }
    return {name: report.median_ms(function, page_ids) for name, function in work.items()}


# Outside Django


def main(argv=None):
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    database_url = services.with_db(args.pg, args.db_name)
    env = services.bench_environment(args.settings, database_url, args.redis_url, tmp)
    # The page cache on, as deployed: `served_*` is what a visitor gets through
    # it, purged by the worker as each go-live commits.
    env["PAGECACHE_ENABLED"] = "true"
    services.adopt(env)
    result = {"load_avg_start": report.load_avg()}
    ok = False
    try:
        set_up_services(args, env, result)
        run(args, tmp, env, result)
        ok = True
    finally:
        clean_up(args, env, tmp, keep_logs=args.keep_logs or not ok)
    result["load_avg_end"] = report.load_avg()
    result["total_s"] = r3(time.monotonic() - report.STARTED)
    if result.get("burst_all_live_s") and result.get("stock_burst_s"):
        result["burst_stock_over_ours"] = r3(result["stock_burst_s"] / result["burst_all_live_s"])
    report.print_result(result, HEADLINE)


if __name__ == "__main__":
    main()
