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
   server as the compose file runs it.
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
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
# Stock Wagtail runs its background work (django-tasks) immediately.
STOCK_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
MANAGE = str(BASE_DIR / "manage.py")
PYTHON = sys.executable
OWNER_EMAIL = "bench@example.org"
PUBLISH_ACTIONS = ("wagtail.publish", "wagtail.publish.scheduled")

STARTED = time.monotonic()
HEADLINE = (
    "pages", "published", "duplicate_publishes", "early", "p50_s", "p99_s", "max_s",
    "served", "served_p50_s", "served_p99_s", "served_max_s",
    "stock_cron_p50_s", "stock_cron_max_s", "burst", "burst_all_live_s", "stock_burst_s",
    "publish_queries", "per_publish_ms_inprocess", "stock_per_publish_ms_inprocess",
)  # fmt: skip


def say(message):
    print(f"[{time.monotonic() - STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=100, help="pages in each spread phase")
    parser.add_argument("--burst", type=int, default=1000, help="pages in each burst phase")
    parser.add_argument("--window", type=float, default=20.0, help="spread window, seconds")
    parser.add_argument("--lead", type=float, default=5.0, help="seconds before a window opens")
    parser.add_argument("--sample", type=int, default=10, help="pages per in-process measure")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (make run)")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="server URL")
    parser.add_argument("--db-name", default="bench_publish")
    # Broker on this database number, cache on the next. 8/9: nothing else in
    # the project uses them (make run 0/1, pytest 10/11, test_run 13/14).
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    parser.add_argument(
        "--settings",
        default="cms.settings.production",
        help="DJANGO_SETTINGS_MODULE (production: DEBUG off, as deployed)",
    )
    parser.add_argument("--web-port", type=int, default=8765, help="the bench's web server")
    parser.add_argument("--keep-db", action="store_true", help="keep the bench database")
    parser.add_argument("--keep-logs", action="store_true", help="keep the worker and beat logs")
    args = parser.parse_args(argv)
    if args.pages < 1 or args.burst < 1 or args.window <= 0:
        parser.error("--pages and --burst must be at least 1, --window positive")
    return args


# Numbers


def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    low = math.floor(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def r3(value):
    return None if value is None else round(value, 3)


# Outside Django: the database server, Redis, subprocesses


def with_db(url, name):
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def redis_with_db(url, db):
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, ""))


def recreate_database(server_url, name, drop_only=False):
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
    import redis

    client = redis.Redis.from_url(url)
    try:
        return client.llen(queue)
    finally:
        client.close()


def stock_env(env):
    """Stock Wagtail's configuration: its background work inside the publish."""
    return {**env, "WAGTAIL_TASKS_BACKEND": "immediate"}


def manage(env, *args, timeout=600):
    """Run a management command; return its wall time in seconds."""
    started = time.monotonic()
    result = subprocess.run(
        [PYTHON, MANAGE, *args],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return time.monotonic() - started


class Stack:
    """The Celery worker and beat that `make run` starts, with their logs."""

    def __init__(self, env, tmp, concurrency, web_port):
        self.env = env
        self.tmp = tmp
        self.concurrency = concurrency
        self.web_port = web_port
        self.processes = {}
        self.logs = {}

    def start(self):
        commands = {
            # The web server of the compose file, where the visitor is.
            "web": [
                PYTHON, "-m", "gunicorn", "cms.wsgi:application",
                "--bind", f"127.0.0.1:{self.web_port}", "--workers", "2",
            ],
            # The two workers of `make run` (cms/management/commands/runstack.py).
            "worker": [
                PYTHON, "-m", "celery", "-A", "cms", "worker", "--loglevel", "INFO",
                "--queues", "schedule",
                "--concurrency", str(self.concurrency), "--hostname", "bench-schedule@%h",
            ],
            "background": [
                "nice", "-n", "10",
                PYTHON, "-m", "celery", "-A", "cms", "worker", "--loglevel", "INFO",
                "--queues", "celery", "--concurrency", "1", "--hostname", "bench-background@%h",
            ],
            "beat": [
                PYTHON, "-m", "celery", "-A", "cms", "beat", "--loglevel", "INFO",
                "--schedule", str(self.tmp / "celerybeat-schedule"),
            ],
        }  # fmt: skip
        for name, command in commands.items():
            log_path = self.tmp / f"{name}.log"
            self.logs[name] = log_path
            with open(log_path, "ab") as log_file:
                # A session of its own: a Ctrl-C on the terminal reaches the
                # bench only, which then stops these in order.
                self.processes[name] = subprocess.Popen(
                    command,
                    env=self.env,
                    cwd=BASE_DIR,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )

    def check_alive(self):
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited ({process.returncode}):\n{self.tail(name)}")

    def tail(self, name, lines=40):
        try:
            return "\n".join(self.logs[name].read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout=30):
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{name} did not stop in {timeout} s: killing its process group")
                try:
                    os.killpg(process.pid, signal.SIGKILL)  # the group we started
                except ProcessLookupError:
                    pass
                process.wait(timeout=10)
        self.processes = {}


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


def served(url):
    """The HTTP status of `url` (the bench's own web server, http://127.0.0.1)
    as a visitor behind the TLS proxy gets it."""
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def wait_until_served(url, deadline):
    while served(url) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the web server does not answer at {url}")
        time.sleep(0.2)


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


def ping_worker(app, deadline, stack):
    while time.monotonic() < deadline:
        stack.check_alive()
        replies = app.control.ping(timeout=1.0) or []
        if len(replies) >= 2:  # the scheduling and the background worker
            return [name for reply in replies for name in reply]
    raise RuntimeError(f"the worker did not answer a ping:\n{stack.tail('worker')}")


def worker_totals(app):
    """Tasks run so far by the worker(s), by name (from `celery inspect stats`)."""
    stats = app.control.inspect(timeout=3.0).stats() or {}
    totals = Counter()
    for worker in stats.values():
        totals.update(worker.get("total", {}))
    return dict(totals)


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


def measure_in_process(page_ids_ours, page_ids_stock, queue_url):
    """Time and count the SQL of one scheduled publish, in this process, for
    our function and for the stock command's loop; count the messages one
    publish queues, and time the follow-up work they ask a worker for. The
    worker and beat are stopped: nothing else publishes these pages."""
    # Connects django-tasks' receiver that rebuilds its backends when
    # override_settings(TASKS=...) changes them (the app is not installed).
    import django_tasks.signals  # noqa: F401
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.utils import timezone
    from wagtail.models import Revision

    from tasks import scheduling

    count = len(page_ids_ours) + len(page_ids_stock)
    go_live_at = timezone.now() + timedelta(seconds=2 + 0.2 * count)
    took_ours, ours_revs, _ = schedule(page_ids_ours, [go_live_at] * len(page_ids_ours))
    took_stock, stock_revs, _ = schedule(page_ids_stock, [go_live_at] * len(page_ids_stock))
    assert timezone.now() < go_live_at, "scheduling the samples ran past their time"
    sleep_until(go_live_at + timedelta(milliseconds=50))

    def measure(publish, items):
        """Median wall and CPU ms, most queries, and the kinds of the last."""
        wall, cpu, queries, kinds = [], [], [], Counter()
        for item in items:
            started, started_cpu = time.perf_counter(), time.process_time()
            with CaptureQueriesContext(connection) as captured:
                publish(item)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            queries.append(len(captured.captured_queries))
            kinds = query_kinds(captured.captured_queries)
        return r3(percentile(wall, 50)), r3(percentile(cpu, 50)), max(queries), kinds

    def ours(revision_id):
        outcome = scheduling.publish_scheduled_revision(revision_id, scheduling.as_iso(go_live_at))
        assert outcome.status == scheduling.PUBLISHED, outcome

    def stock(revision):
        revision.publish(log_action="wagtail.publish.scheduled")

    queued_before = queue_length(queue_url)
    ours_ms, ours_cpu, ours_queries, ours_kinds = measure(ours, list(ours_revs.values()))
    queued = queue_length(queue_url) - queued_before
    # publish_scheduled's own loop, over these revisions only.
    revisions = Revision.objects.filter(
        pk__in=list(stock_revs.values()), approved_go_live_at__lt=timezone.now()
    ).order_by("approved_go_live_at")
    # Stock Wagtail as it comes: its background work (reference and search
    # index) runs immediately, inside the publish.
    with override_settings(TASKS=STOCK_TASKS):
        stock_ms, stock_cpu, stock_queries, stock_kinds = measure(stock, list(revisions))
    measured = {
        "publish_queries": ours_queries,
        "per_publish_ms_inprocess": ours_ms,
        "per_publish_cpu_ms_inprocess": ours_cpu,
        "stock_publish_queries": stock_queries,
        "stock_per_publish_ms_inprocess": stock_ms,
        "stock_per_publish_cpu_ms_inprocess": stock_cpu,
        "followups_per_publish": r3(queued / len(ours_revs)),
        "followup_ms_inprocess": measure_followups(page_ids_ours),
    }
    return measured, ours_kinds, stock_kinds, (took_ours + took_stock) / count


def measure_followups(page_ids):
    """Median ms, in this process, of the work a publish queues for the
    worker: Wagtail's reference-index and search-index updates (django-tasks
    routed to Celery), and the reconciling sweep's recompute of one page's
    "Senast uppdaterad" (twice: the second finds nothing to move)."""
    from tasks.stamps import recompute_page_stamp
    from tasks.tasks import run_django_task

    def reference_index(pk):
        run_django_task(
            "wagtail.tasks.update_reference_index_task",
            ["intl_pages", "internationalpage", str(pk)],
            {},
        )

    def search_index(pk):
        run_django_task(
            "modelsearch.tasks.insert_or_update_object_task",
            ["intl_pages", "internationalpage", str(pk)],
            {},
        )

    timings = {}
    work = [
        ("reference_index", reference_index),
        ("search_index", search_index),
        ("page_stamp", recompute_page_stamp),
        ("page_stamp_repeat", recompute_page_stamp),
    ]
    for name, function in work:
        elapsed = []
        for pk in page_ids:
            started = time.perf_counter()
            function(pk)
            elapsed.append((time.perf_counter() - started) * 1000)
        timings[name] = r3(percentile(elapsed, 50))
    return timings


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


def worker_log_problems(path):
    """(ERROR lines, deadlocks) in a worker log."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return None, None
    errors = sum(1 for line in text.splitlines() if "ERROR/" in line)
    return errors, text.count("DeadlockDetected")


# The run


def run(args, tmp, env, result):
    import django

    django.setup()

    import logging

    from django.conf import settings
    from django.utils import timezone

    from cms.celery import app
    from intl_pages.demo import load_demo

    # Wagtail logs each scheduled page at INFO: thousands of lines.
    for name in ("wagtail", "tasks", "intl_pages"):
        logging.getLogger(name).setLevel(logging.WARNING)

    n, m, k = args.pages, args.burst, args.sample
    result.update(
        pages=n,
        burst=m,
        window_s=args.window,
        concurrency=args.concurrency,
        settings=args.settings,
        schedule_horizon_s=settings.SCHEDULE_HORIZON_SECONDS,
        schedule_sweep_s=settings.SCHEDULE_SWEEP_SECONDS,
        schedule_grace_s=settings.SCHEDULE_GRACE_SECONDS,
    )

    # Set-up: content
    home = load_demo()
    started = time.monotonic()
    ids = {
        "warmup": create_pages(home, "warmup", 5),
        "ours_spread": create_pages(home, "ours-spread", n),
        "ours_burst": create_pages(home, "ours-burst", m),
        "sample_ours": create_pages(home, "sample-ours", k),
        "sample_stock": create_pages(home, "sample-stock", k),
        "stock_burst": create_pages(home, "stock-burst", m),
        "stock_spread": create_pages(home, "stock-spread", n),
    }
    result["create_pages_s"] = r3(time.monotonic() - started)
    say(f"created {sum(map(len, ids.values()))} pages in {result['create_pages_s']} s")

    # Scheduling cost, far beyond the horizon (nothing is queued for these).
    far = timezone.now() + timedelta(days=1)
    took, _, _ = schedule(ids["warmup"], [far] * len(ids["warmup"]))
    per_page_s = took / len(ids["warmup"])
    say(f"warm-up: scheduling costs {per_page_s * 1000:.1f} ms a page")

    # Nothing queued so far is part of the measure.
    flush_redis(env["REDIS_URL"], env["CACHE_REDIS_URL"])

    # Where a visitor asks for each spread page.
    from intl_pages.models import InternationalPage

    web = f"http://127.0.0.1:{args.web_port}"
    urls = {
        page.pk: web + page.get_url()
        for page in InternationalPage.objects.filter(pk__in=ids["ours_spread"])
    }

    # Our stack
    stack = Stack(env, tmp, args.concurrency, args.web_port)
    try:
        stack.start()
        workers = ping_worker(app, time.monotonic() + 90, stack)
        wait_until_served(web + "/", time.monotonic() + 60)
        say(f"worker answers: {workers}; beat and web server started")

        # Ours, spread
        # The worker shares the CPUs while we schedule: twice the warm-up cost.
        lead = max(args.lead, 2 * per_page_s * n + 1.0)
        start = timezone.now() + timedelta(seconds=lead)
        due = spread_times(ids["ours_spread"], start, args.window)
        took, _, after_due = schedule(ids["ours_spread"], [due[pk] for pk in ids["ours_spread"]])
        result["scheduled_after_due"] = after_due
        result["schedule_ms_per_page"] = r3(took / n * 1000)
        busy_per_page_s = max(per_page_s, took / n)
        say(f"ours spread: scheduled {n} pages in {took:.1f} s; window opens in "
            f"{(start - timezone.now()).total_seconds():.1f} s")  # fmt: skip
        assert all(served(urls[pk]) == 404 for pk in ids["ours_spread"][:3]), "served early"
        watch = watch_served(urls, due)
        window_end = start + timedelta(seconds=args.window)
        deadline = time.monotonic() + (window_end - timezone.now()).total_seconds() + 60
        live = wait_until_live(ids["ours_spread"], deadline, stack)
        late = lateness(ids["ours_spread"], due)
        seen = [s for s in watch.result().values() if s is not None]
        result.update(
            published=live,
            early=sum(1 for s in late if s < 0),
            p50_s=r3(percentile(late, 50)),
            p99_s=r3(percentile(late, 99)),
            max_s=r3(max(late, default=None)),
            served=len(seen),
            served_p50_s=r3(percentile(seen, 50)),
            served_p99_s=r3(percentile(seen, 99)),
            served_max_s=r3(max(seen, default=None)),
        )
        say(f"ours spread: {live}/{n} live, p50 {result['p50_s']} s, max {result['max_s']} s; "
            f"served to a visitor {len(seen)}/{n}, p99 {result['served_p99_s']} s, "
            f"max {result['served_max_s']} s")  # fmt: skip

        # Ours, burst
        instant = burst_instant(busy_per_page_s, m)
        burst_due = dict.fromkeys(ids["ours_burst"], instant)
        took, _, after_due = schedule(
            ids["ours_burst"], [instant] * m, "ours burst", env["REDIS_URL"]
        )
        result["burst_schedule_s"] = r3(took)
        result["scheduled_after_due"] += after_due
        assert timezone.now() < instant, "scheduling the burst ran past its instant"
        say(f"ours burst: scheduled {m} pages in {took:.1f} s ({took / m * 1000:.1f} ms a "
            f"page); due in {(instant - timezone.now()).total_seconds():.1f} s")  # fmt: skip
        sleep_until(instant)
        result["burst_queue_at_due"] = queue_length(env["REDIS_URL"])
        progress = []
        t0 = time.monotonic()

        def note(live):
            # (seconds after T, pages live, messages waiting in the broker)
            elapsed = round(time.monotonic() - t0, 1)
            progress.append((elapsed, live, queue_length(env["REDIS_URL"])))

        deadline = time.monotonic() + max(180, 0.3 * m)
        live = wait_until_live(ids["ours_burst"], deadline, stack, on_tick=note)
        result["burst_queue_when_live"] = progress[-1][2]
        state = publish_state(ids["ours_burst"])
        firsts = [first for _live, first in state.values() if first is not None]
        late_burst = lateness(ids["ours_burst"], burst_due)
        result.update(
            burst_published=live,
            burst_first_live_s=r3(min(late_burst, default=None)),
            burst_p50_s=r3(percentile(late_burst, 50)),
            burst_all_live_s=r3(max(late_burst, default=None)),
        )
        if len(firsts) > 1:
            span = (max(firsts) - min(firsts)).total_seconds()
            result["burst_ms_per_page"] = r3(span / (len(firsts) - 1) * 1000)
        result["early"] += sum(1 for s in late_burst if s < 0)
        say(f"ours burst: {live}/{m} live, last {result['burst_all_live_s']} s after T; "
            f"progress (s, live, queued): {progress[:: max(1, len(progress) // 12)]}")  # fmt: skip
        # Let beat's next sweep run once over an empty schedule, then count.
        time.sleep(settings.SCHEDULE_SWEEP_SECONDS + 1)
        totals = worker_totals(app)
        result["worker_tasks"] = totals
        say(f"worker ran: {totals}")
    finally:
        stack.stop()
        say("worker and beat stopped")
    problems = [worker_log_problems(stack.logs[name]) for name in ("worker", "background")]
    result["worker_log_errors"] = sum(errors or 0 for errors, _ in problems)
    result["worker_deadlocks"] = sum(deadlocks or 0 for _, deadlocks in problems)

    ours_ids = ids["ours_spread"] + ids["ours_burst"]
    counts = publish_counts(ours_ids)
    result["duplicate_publishes"] = sum(1 for c in counts.values() if c > 1)

    # In-process cost of one publish, ours and stock.
    measured, ours_kinds, stock_kinds, idle_per_page_s = measure_in_process(
        ids["sample_ours"], ids["sample_stock"], env["REDIS_URL"]
    )
    result.update(measured)
    say(f"one scheduled publish, ours: {measured['publish_queries']} queries, "
        f"{measured['per_publish_ms_inprocess']} ms: {dict(ours_kinds)}")  # fmt: skip
    say(f"one scheduled publish, stock: {measured['stock_publish_queries']} queries, "
        f"{measured['stock_per_publish_ms_inprocess']} ms: {dict(stock_kinds)}")  # fmt: skip

    # Stock, burst: one run of the command just after the instant. No worker
    # runs: the instant need only leave time to schedule them all.
    ahead = max(10.0, 1.5 * max(per_page_s, idle_per_page_s) * m + 5.0)
    instant = timezone.now() + timedelta(seconds=ahead)
    took, _, after_due = schedule(ids["stock_burst"], [instant] * m)
    assert timezone.now() < instant, "scheduling the stock burst ran past its instant"
    say(f"stock burst: scheduled {m} pages in {took:.1f} s; due in "
        f"{(instant - timezone.now()).total_seconds():.1f} s")  # fmt: skip
    sleep_until(instant + timedelta(milliseconds=50))
    launched = timezone.now()
    command_s = manage(stock_env(env), "publish_scheduled")
    state = publish_state(ids["stock_burst"])
    firsts = [first for _live, first in state.values() if first is not None]
    result.update(
        stock_burst_published=sum(1 for live, _ in state.values() if live),
        stock_burst_s=r3((max(firsts) - instant).total_seconds()) if firsts else None,
        stock_burst_command_s=r3(command_s),
        stock_burst_startup_s=r3((min(firsts) - launched).total_seconds()) if firsts else None,
    )
    if len(firsts) > 1:
        span = (max(firsts) - min(firsts)).total_seconds()
        result["stock_burst_ms_per_page"] = r3(span / (len(firsts) - 1) * 1000)
    say(f"stock burst: {result['stock_burst_published']}/{m} live, last "
        f"{result['stock_burst_s']} s after T (command {command_s:.1f} s)")  # fmt: skip

    # Stock, spread: cron once a minute.
    lead = max(args.lead, 2 * max(per_page_s, idle_per_page_s) * n + 1.0)
    start = timezone.now() + timedelta(seconds=lead)
    due = spread_times(ids["stock_spread"], start, args.window)
    _, _, after_due = schedule(ids["stock_spread"], [due[pk] for pk in ids["stock_spread"]])
    # A page scheduled after its time is published at once, flattering stock.
    result["stock_scheduled_after_due"] = after_due
    window_end = start + timedelta(seconds=args.window)
    runs = run_cron(env, ids["stock_spread"], window_end.timestamp() + 125)
    late = lateness(ids["stock_spread"], due)
    result.update(
        stock_published=len(late),
        stock_early=sum(1 for s in late if s < 0),
        stock_cron_p50_s=r3(percentile(late, 50)),
        stock_cron_p99_s=r3(percentile(late, 99)),
        stock_cron_max_s=r3(max(late, default=None)),
        stock_cron_runs=len(runs),
    )
    counts = publish_counts(ids["stock_spread"] + ids["stock_burst"])
    result["stock_duplicate_publishes"] = sum(1 for c in counts.values() if c > 1)


def main(argv=None):
    args = parse_args(argv)
    redis_db = int(urlsplit(args.redis_url).path.strip("/") or 0)
    env = dict(os.environ)
    for name in ("CELERY_BROKER_URL", "CACHE_BACKEND", "EMAIL_HOST", "WAGTAILFRONTENDCACHE_URLS"):
        env.pop(name, None)
    tmp = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    env.update(
        DJANGO_SETTINGS_MODULE=args.settings,
        DATABASE_URL=with_db(args.pg, args.db_name),
        REDIS_URL=args.redis_url,
        CACHE_REDIS_URL=redis_with_db(args.redis_url, redis_db + 1),
        SECRET_KEY=env.get("SECRET_KEY") or "bench-only-not-secret",
        VAR_DIR=str(tmp / "var"),
        STATIC_ROOT=str(tmp / "static"),
        MEDIA_ROOT=str(tmp / "media"),
        ALLOWED_HOSTS="127.0.0.1",
        PYTHONUNBUFFERED="1",
    )
    # This process queues to the same Redis and writes the same database.
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))

    def on_sigterm(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    # Even when started in the background, where SIGINT comes ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    result = {"load_avg_start": [round(x, 2) for x in os.getloadavg()]}
    ok = False
    try:
        recreate_database(args.pg, args.db_name)
        flush_redis(env["REDIS_URL"], env["CACHE_REDIS_URL"])
        result["migrate_s"] = r3(manage(env, "migrate", "--noinput"))
        say(f"migrated {args.db_name} in {result['migrate_s']} s")
        manage(env, "collectstatic", "--noinput")  # the web server serves them
        run(args, tmp, env, result)
        ok = True
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception as error:  # Django may not be set up yet
            say(f"closing connections: {error!r}")
        if not args.keep_db:
            recreate_database(args.pg, args.db_name, drop_only=True)
        flush_redis(env["REDIS_URL"], env["CACHE_REDIS_URL"])
        if ok and not args.keep_logs:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            say(f"logs kept in {tmp}")
    result["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    result["total_s"] = r3(time.monotonic() - STARTED)
    if result.get("burst_all_live_s") and result.get("stock_burst_s"):
        result["burst_stock_over_ours"] = r3(result["stock_burst_s"] / result["burst_all_live_s"])
    # The headline figures first, then the detail.
    ordered = {key: result.pop(key) for key in HEADLINE if key in result}
    print(json.dumps({**ordered, **result}))


if __name__ == "__main__":
    main()
