#!/usr/bin/env python
"""A release at one instant, against the same changes scheduled one by one.

One run, with a real Celery worker and beat, Redis, PostgreSQL and gunicorn
(cms/stack.py's processes, as publish_latency.py starts them), the page
cache on:

1. Set-up: a PostgreSQL database of its own (dropped and created), migrated;
   Redis database numbers of its own (flushed); the demo content; `--pages`
   InternationalPages under the home page and `--contacts` contacts, each
   page showing one contact (page i shows contact i mod `--contacts`), all
   live at a first revision with a second one, changed, saved as a draft:
   a new title (in the page's heading too) and a new twin town, a
   contact's new job title. Besides, a smaller copy (`--query-pages`,
   `--query-contacts`) and a few sample pages and contacts for counting
   queries.
2. The release (`release_*`): one release of every page and contact
   (`releases.actions`: create_release, add_item, schedule_release by a
   superuser) at an instant far enough ahead that its task, which starts
   `releases.actions.lead_seconds` (RELEASE_PREPARE_SECONDS plus
   RELEASE_MS_PER_ITEM per item) before it, is scheduled in time, plus
   what adding the items took; the worker writes every item ahead of the
   instant and commits on it (tasks.apply_release). The bench reads
   the release's state every `--state-poll-ms` (10 ms) from its own
   process: `release_commit_s` is the first time it reads "published"
   minus the instant, so the commit's time is known to within one poll
   and one query (`release_commit_resolution_ms`); `release_claim_s` is
   the claim's time (claimed_at, taken inside the transaction when it
   begins) minus the instant, which says whether the preparation was done
   by then, and `release_transaction_s` the commit seen minus the claim.
   A sample of `--sample` of its pages was asked for once before
   the instant (so that the page cache holds them old); from the commit
   seen, each is asked for every 20 ms until its body shows the new title
   and the new contact: `release_served_s` is the last of those minus the
   commit seen.
   `fenced_s`: how long the page cache's fence (pagecache/fence.py) was
   up, as seen by reading its Redis key every 5 ms from before the instant
   until the sample was served; null, with `fence_wired: false`, when it
   never went up (apply_release does not raise it), never a made-up figure.
3. Ours, separately (`separate_*`): the same pages and contacts, each
   given a third revision and scheduled on its own as the admin does
   (go-live set, revision saved and published: Wagtail records
   approved_go_live_at, our receivers queue the exact-time tasks), all at
   one instant; seconds from it to the last last_published_at, once every
   object is live at its scheduled revision.
4. The worker and beat stop. In this process: the SQL queries of applying a
   release of the smaller copy (`releases.actions.apply_release`, after
   its instant, preparation included) over its items, `queries_per_item`,
   beside those of one scheduled publish of a page through
   `tasks.scheduling.publish_scheduled_revision` (`single_publish_queries`,
   the most of the samples, as publish_latency.py counts them) and of a
   contact (`single_contact_publish_queries`); the milliseconds of each
   (`release_ms_per_item_inprocess`, `single_publish_ms_inprocess`).
5. Stock (`stock_*`): the same pages and contacts with a fourth revision
   each, scheduled for one instant, then one run of `manage.py
   publish_scheduled` just after it (stock Wagtail's background work
   immediate, as publish_latency.py runs it); seconds from the instant to
   the last last_published_at.

Progress goes to stderr; the last line on stdout is one JSON object,
first `release_commit_s`, `release_served_s`, `separate_all_live_s`,
`stock_all_live_s`, `queries_per_item`, `single_publish_queries`,
`fenced_s`, `fence_wired`. The goal (issue 15): the release committed
within 5 s of its time, its sample served within 1 s of the commit, and
queries per item at most those of a single publish (`*_within_goal`).
Figures depend on the machine and on what else runs on it (`load_avg_*`).

    .venv/bin/python bench/release.py [--pages 1000] [--contacts 50]
"""

import argparse
import json
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

# bench/, this script's folder, is first on sys.path: `lib` is bench/lib.
from lib import report, services
from lib.report import percentile, r3, say
from lib.run import add_run_arguments, clean_up, set_up_services
from lib.services import flush_redis
from lib.stack import Stack, manage, visit

HEADLINE = (
    "pages", "contacts", "items", "release_commit_s", "release_served_s",
    "separate_all_live_s", "stock_all_live_s", "queries_per_item", "single_publish_queries",
    "fenced_s", "fence_wired", "release_commit_within_goal", "release_served_within_goal",
    "queries_within_goal",
)  # fmt: skip
USERNAME = "bench-release"
OWNER_EMAIL = "bench@example.org"
FENCE_KEY = "pagecache:fence"  # pagecache/store.py
# Stock Wagtail runs its background work (django-tasks) immediately.
STOCK_ENV = {"WAGTAIL_TASKS_BACKEND": "immediate"}
# The goal in issue 15.
COMMIT_GOAL_S = 5.0
SERVED_GOAL_S = 1.0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000, help="pages in the release")
    parser.add_argument("--contacts", type=int, default=50, help="contacts in the release")
    parser.add_argument("--sample", type=int, default=20, help="pages a visitor polls")
    parser.add_argument("--query-pages", type=int, default=50, help="pages of the counted copy")
    parser.add_argument("--query-contacts", type=int, default=5, help="its contacts")
    parser.add_argument("--lead", type=float, default=5.0, help="seconds before the instant")
    parser.add_argument("--state-poll-ms", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (make run)")
    # Redis 2/3 and port 8772: no other benchmark's, so that they may run
    # side by side.
    add_run_arguments(parser, db_name="bench_release", redis_db=2, web_port=8772)
    parser.add_argument(
        "--settings",
        default="cms.settings.production",
        help="DJANGO_SETTINGS_MODULE (production: DEBUG off, as deployed)",
    )
    args = parser.parse_args(argv)
    if min(args.pages, args.contacts, args.query_pages, args.query_contacts, args.sample) < 1:
        parser.error("--pages, --contacts, --sample and the copy's sizes must be at least 1")
    args.sample = min(args.sample, args.pages)
    return args


@dataclass
class Objects:
    """Pages and contacts built together: page i shows contact i mod n."""

    pages: list  # ids
    contacts: list  # ids
    version: int = 1  # the latest revision's, live or not

    @property
    def count(self):
        return len(self.pages) + len(self.contacts)


@dataclass
class Bench:
    args: argparse.Namespace
    env: dict
    result: dict
    user: object = None
    home: object = None
    main: Objects = None
    copy: Objects = None  # counted in process
    samples: Objects = None  # single publishes
    warmup: Objects = None  # scheduled a day ahead: what scheduling costs now
    s_per_object: float = 0.0  # scheduling one object, last measured
    revisions: dict = field(default_factory=dict)


def run(args, tmp, env, result):
    bench = Bench(args, env, result)
    set_up_django(bench)
    create_content(bench)
    stack = Stack(env, tmp, args.web_port, web_workers=2, concurrency=args.concurrency)
    try:
        start_stack(stack)
        release_phase(bench, stack)
        separate_phase(bench, stack)
    finally:
        stack.stop()
        say("worker and beat stopped")
    problems = [stack.log_problems(name) for name in ("worker", "background")]
    result["worker_log_errors"] = sum(errors or 0 for errors, _ in problems)
    count_queries(bench)
    stock_phase(bench)


def set_up_django(bench):
    import django

    django.setup()

    import logging

    from django.conf import settings

    for name in ("wagtail", "tasks", "intl_pages", "releases"):
        logging.getLogger(name).setLevel(logging.WARNING)
    args = bench.args
    bench.result.update(
        pages=args.pages,
        contacts=args.contacts,
        items=args.pages + args.contacts,
        sample=args.sample,
        settings=args.settings,
        release_prepare_s=settings.RELEASE_PREPARE_SECONDS,
        schedule_horizon_s=settings.SCHEDULE_HORIZON_SECONDS,
        pagecache_generation_check_s=settings.PAGECACHE_GENERATION_CHECK_SECONDS,
    )


# Content


def create_content(bench):
    """The demo content, a superuser, every set of objects live with a
    changed draft; what scheduling one object costs. Nothing queued so far
    is part of the measure: Redis is flushed."""
    from django.contrib.auth import get_user_model

    from intl_pages.demo import load_demo

    args = bench.args
    bench.home = load_demo()
    bench.user = get_user_model().objects.create_superuser(
        USERNAME, email="bench-release@example.org", password=None
    )
    started = time.monotonic()
    bench.main = create_objects(bench.home, "r", args.pages, args.contacts)
    bench.copy = create_objects(bench.home, "q", args.query_pages, args.query_contacts)
    bench.samples = create_objects(bench.home, "s", 5, 2)
    warmup = bench.warmup = create_objects(bench.home, "w", 15, 1)
    for objects in (bench.main, bench.copy, bench.samples):
        save_drafts(objects)
    took = time.monotonic() - started
    bench.result["create_content_s"] = r3(took)
    say(f"created {bench.main.count + bench.copy.count + bench.samples.count + warmup.count} "
        f"pages and contacts, live with a draft, in {took:.1f} s")  # fmt: skip

    measure_scheduling(bench)
    flush_redis(bench.env["REDIS_URL"], bench.env["CACHE_REDIS_URL"])


def page_title(prefix, i, version):
    return f"Bench {prefix}{i} v{version}"


def contact_title(version):
    return f"Samordnare v{version}"


def page_body(title, i, version, contact_id):
    """Raw StreamField data: the title as heading, a twin town that each
    version changes, the page's contact."""
    town = {
        "city": f"Stad {i} v{version}",
        "region": "",
        "partner": "",
        "country": "Ungern",
        "agreement": "Vänortsavtal",
        "areas": ["Kultur"],
        "funding": ["Kommunen"],
        "start_year": 2004,
        "end_year": None,
        "active": True,
        "latitude": None,
        "longitude": None,
    }
    return json.dumps([
        {"type": "heading", "value": title},
        {"type": "twin_town", "value": town},
        {"type": "contacts", "value": {"heading": "Kontakt", "contacts": [contact_id]}},
    ])  # fmt: skip


def create_objects(home, prefix, pages, contacts):
    """`contacts` contacts and `pages` pages under `home`, each live at its
    first revision, and the pages in the reference index (which finds the
    pages that show a contact), in one transaction.

    Set-up only, made quicker where nothing measured depends on how: the
    follow-up work queued here is flushed from Redis before the worker
    starts; the content, built here, is validated only as a scheduled
    publish validates it (publishing_approved_revision); a contact is
    published, but a page is saved live with its revision set as the live
    one (what a publish leaves on its row), without a publish's log entry,
    stamp and signals: those cost half the set-up's time, and a later
    publish of the page does the same work with them or without.
    """
    from django.db import transaction
    from django.utils import timezone
    from wagtail.models import ReferenceIndex
    from wagtail.signal_handlers import disable_reference_index_auto_update

    from intl_pages.models import Contact, InternationalPage, publishing_approved_revision

    page_ids, contact_ids = [], []
    with (
        transaction.atomic(),
        disable_reference_index_auto_update(),
        publishing_approved_revision(),
    ):
        for j in range(contacts):
            contact = Contact(
                name=f"Kontakt {prefix}{j}",
                title=contact_title(1),
                unit="Samhälle",
                phone="0510-77 00 00",
                email=f"kontakt-{prefix}{j}@example.org",
                live=False,
            )
            contact.save()
            contact.save_revision(clean=False).publish()
            contact_ids.append(contact.pk)
        now = timezone.now()
        for i in range(pages):
            title = page_title(prefix, i, 1)
            page = InternationalPage(
                title=title,
                slug=f"bench-{prefix}{i:05d}",
                introduction="Sida för mätning av utgåvor.",
                body=page_body(title, i, 1, contact_ids[i % contacts]),
                owner_email=OWNER_EMAIL,
                live=True,
                first_published_at=now,
                last_published_at=now,
            )
            home.add_child(instance=page)
            revision = page.save_revision(clean=False)
            InternationalPage.objects.filter(pk=page.pk).update(
                live_revision=revision, has_unpublished_changes=False
            )
            ReferenceIndex.create_or_update_for_object(page)
            page_ids.append(page.pk)
    return Objects(page_ids, contact_ids)


def new_version(objects, go_live_at=None):
    """Each object's next revision (a new title, twin town, job title),
    saved, and published when `go_live_at` is given (which Wagtail records
    as scheduled), each object in a transaction of its own, as one editor's
    request. Yields (object, revision) as each is done. A draft (no
    `go_live_at`) is set-up, saved without validation."""
    from django.db import transaction

    from intl_pages.models import Contact, InternationalPage

    version = objects.version + 1
    prefix = None
    contacts = Contact.objects.in_bulk(objects.contacts)
    for pk in objects.contacts:
        contact = contacts[pk]
        with transaction.atomic():
            contact.title = contact_title(version)
            contact.go_live_at = go_live_at
            revision = contact.save_revision(clean=go_live_at is not None)
            if go_live_at is not None:
                revision.publish()
        yield contact, revision
    pages = InternationalPage.objects.in_bulk(objects.pages)
    for i, pk in enumerate(objects.pages):
        page = pages[pk]
        prefix = prefix or page.slug.removeprefix("bench-")[0]
        with transaction.atomic():
            page.title = page_title(prefix, i, version)
            contact_id = objects.contacts[i % len(objects.contacts)]
            page.body = page_body(page.title, i, version, contact_id)
            page.go_live_at = go_live_at
            revision = page.save_revision(clean=go_live_at is not None)
            if go_live_at is not None:
                revision.publish()
        yield page, revision
    objects.version = version


def save_drafts(objects):
    for _ in new_version(objects):
        pass


def measure_scheduling(bench):
    """What scheduling one object costs now, with whatever runs now: the
    warm-up objects scheduled again, a day ahead (nothing is queued for
    them)."""
    from django.utils import timezone

    took, _, _ = schedule(bench.warmup, timezone.now() + timedelta(days=1))
    bench.s_per_object = took / bench.warmup.count
    say(f"scheduling costs {bench.s_per_object * 1000:.1f} ms an object now")
    return bench.s_per_object


def schedule_burst(bench, label, margin):
    """The main objects' next version, each scheduled on its own for one
    instant: `margin` times what scheduling them should take, measured just
    before, plus 5 s. Returns (the instant, revisions by object)."""
    from django.utils import timezone

    objects, result = bench.main, bench.result
    n = objects.count
    per_object = measure_scheduling(bench)
    instant = timezone.now() + timedelta(seconds=max(10.0, margin * per_object * n + 5))
    took, revisions, after_due = schedule(objects, instant, label)
    # Scheduled after its time, an object is published at once, as Wagtail
    # does: said, not hidden (it flatters the figure).
    result[f"{label}_scheduled_after_due"] = after_due
    result[f"{label}_schedule_s"] = r3(took)
    say(f"{label}: {n} objects scheduled in {took:.1f} s ({after_due} after the instant); "
        f"due in {seconds_until(instant):.1f} s")  # fmt: skip
    return instant, revisions


def schedule(objects, go_live_at, label=None):
    """Each object's next version scheduled for `go_live_at`. Returns
    (seconds taken, {(model name, pk): revision id}, how many were
    scheduled only after `go_live_at`)."""
    from django.utils import timezone

    revisions = {}
    after_due = 0
    started = time.monotonic()
    for obj, revision in new_version(objects, go_live_at):
        revisions[(type(obj).__name__, obj.pk)] = revision.pk
        after_due += timezone.now() >= go_live_at
        if label and len(revisions) % 250 == 0:
            say(f"{label}: {len(revisions)}/{objects.count} scheduled, "
                f"{(time.monotonic() - started) / len(revisions) * 1000:.1f} ms each")  # fmt: skip
    return time.monotonic() - started, revisions, after_due


def live_state(objects):
    """{(model name, pk): (live revision id, last_published_at)}"""
    from intl_pages.models import Contact, InternationalPage

    state = {}
    for model, ids in ((InternationalPage, objects.pages), (Contact, objects.contacts)):
        for pk, live_revision_id, last in model.objects.filter(pk__in=ids).values_list(
            "pk", "live_revision_id", "last_published_at"
        ):
            state[(model.__name__, pk)] = (live_revision_id, last)
    return state


def live_at(objects, revisions):
    """How many objects are live at their scheduled revision, and their
    last_published_at."""
    state = live_state(objects)
    done = [state[key][1] for key, revision_id in revisions.items() if state[key][0] == revision_id]
    return len(done), done


def last_after(moments, instant):
    """Seconds from `instant` to the last of `moments`; None without any."""
    return r3(max((moment - instant).total_seconds() for moment in moments)) if moments else None


def wait_until_live(objects, revisions, deadline, stack=None, every=0.1):
    while True:
        live, lasts = live_at(objects, revisions)
        if live == len(revisions) or time.monotonic() >= deadline:
            return live, lasts
        if stack:
            stack.check_alive()
        time.sleep(every)


# The stack


def start_stack(stack):
    from cms.celery import app

    stack.start()
    workers = stack.wait_for_workers(app, count=2)
    stack.wait_for_web("/")
    say(f"worker answers: {workers}; beat and web server started")


# 2. The release


def release_phase(bench, stack):
    from django.utils import timezone

    from intl_pages.models import Contact, InternationalPage
    from releases import actions
    from releases.models import Release

    args, result, objects = bench.args, bench.result, bench.main
    release = actions.create_release("Bench: allt på en gång", bench.user)
    started = time.monotonic()
    for obj in Contact.objects.filter(pk__in=objects.contacts):
        actions.add_item(release, obj, bench.user)
    for obj in InternationalPage.objects.filter(pk__in=objects.pages):
        actions.add_item(release, obj, bench.user)
    add_s = time.monotonic() - started
    result["release_add_items_s"] = r3(add_s)
    say(f"release: {objects.count} items added in {add_s:.1f} s")

    # Scheduling checks every item again: about as long as adding them.
    # Its task starts actions.lead_seconds before the instant: writing every
    # item, uncommitted, takes most of it.
    lead = actions.lead_seconds(objects.count)
    ahead = max(args.lead, lead + 3) + add_s
    instant = timezone.now() + timedelta(seconds=ahead)
    started = time.monotonic()
    actions.schedule_release(release, instant, bench.user)
    result["release_schedule_s"] = r3(time.monotonic() - started)
    spare = seconds_until(instant) - lead
    result["release_scheduled_spare_s"] = r3(spare)
    say(f"release: scheduled in {result['release_schedule_s']} s, due in "
        f"{seconds_until(instant):.1f} s ({spare:.1f} s before its task starts)")  # fmt: skip

    urls = sample_urls(stack, objects, args.sample)
    old = {url: visit(url) for url in urls}
    if not all(status == 200 and is_new(body, url, urls, 1) for url, (status, body) in old.items()):
        raise RuntimeError("the sample is not served at its first version before the instant")

    fence = FenceWatch(bench.env["CACHE_REDIS_URL"]).start()
    try:
        commit = wait_for_state(release.pk, instant, args.state_poll_ms / 1000, stack)
        served = watch_served(urls, 2)
        time.sleep(0.5)  # the fence comes down after the commit
    finally:
        fence.stop()
    row = Release.objects.get(pk=release.pk)
    live, _ = live_at(objects, pinned_revisions(release))
    result.update(
        release_published=live,
        release_commit_s=r3((commit.at - instant).total_seconds()),
        release_commit_resolution_ms=r3(commit.resolution_ms),
        release_claim_s=r3((row.claimed_at - instant).total_seconds()),
        release_transaction_s=r3((commit.at - row.claimed_at).total_seconds()),
        release_served_s=r3(max(served) if served and None not in served else None),
        release_served_min_s=r3(min((s for s in served if s is not None), default=None)),
        release_sample_served=sum(1 for s in served if s is not None),
        fence_wired=fence.seen,
        fenced_s=r3(fence.up_s) if fence.seen else None,
        fence_polls=fence.polls,
    )
    say(f"release: committed {result['release_commit_s']} s after its instant (claimed "
        f"{result['release_claim_s']} s after), {live}/{objects.count} live at their "
        f"revision; sample served new {result['release_served_s']} s after the commit; "
        f"fence seen: {fence.seen} ({result['fenced_s']} s)")  # fmt: skip


def pinned_revisions(release):
    from intl_pages.models import Contact, InternationalPage

    names = {"page": InternationalPage.__name__, "contact": Contact.__name__}
    return {
        (names[item.content_type.model], int(item.object_id)): item.revision_id
        for item in release.items.select_related("content_type")
    }


def sample_urls(stack, objects, count):
    """{url: (page index, contact index)} of `count` pages spread over the set."""
    from intl_pages.models import InternationalPage

    step = max(1, len(objects.pages) // count)
    indices = list(range(0, len(objects.pages), step))[:count]
    pages = InternationalPage.objects.in_bulk([objects.pages[i] for i in indices])
    return {
        stack.web_url + pages[objects.pages[i]].get_url(): (pages[objects.pages[i]].slug, i)
        for i in indices
    }


def is_new(body, url, urls, version):
    """The page's body shows its title and its contact's job title at `version`."""
    slug, i = urls[url]
    prefix = slug.removeprefix("bench-")[0]
    return page_title(prefix, i, version) in body and contact_title(version) in body


@dataclass
class Commit:
    at: object  # aware datetime: the first read that saw the state
    resolution_ms: float  # the poll's interval plus the longest read


def wait_for_state(release_id, instant, every, stack, give_up_s=600):
    """Read the release's state every `every` seconds from just before its
    instant until it is published (or raise when it failed)."""
    from django.utils import timezone

    from releases.models import Release, ReleaseState

    sleep_until(instant - timedelta(seconds=1))
    deadline = time.monotonic() + give_up_s
    longest = 0.0
    rows = Release.objects.filter(pk=release_id).values_list("state", "failure_reasons")
    while True:
        started = time.perf_counter()
        state, reasons = rows.get()
        longest = max(longest, time.perf_counter() - started)
        if state == ReleaseState.PUBLISHED:
            return Commit(timezone.now(), (every + longest) * 1000)
        if state == ReleaseState.FAILED:
            raise RuntimeError(f"the release failed: {reasons}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the release is still {state} after {give_up_s} s")
        stack.check_alive()
        time.sleep(every)


def watch_served(urls, version, every=0.02, give_up_s=60.0):
    """From now (the commit seen), each URL every `every` seconds until it
    is served new. Returns the seconds to each, None where never."""
    started = time.monotonic()

    def watch(url):
        while True:
            status, body = visit(url)
            late = time.monotonic() - started
            if status == 200 and is_new(body, url, urls, version):
                return late
            if late > give_up_s:
                return None
            time.sleep(every)

    with ThreadPoolExecutor(max_workers=len(urls), thread_name_prefix="visitor") as pool:
        return list(pool.map(watch, urls))


class FenceWatch:
    """Reads the page cache's fence key every `every` seconds in a thread:
    how long it was seen up (the sum of the reads' intervals that found it)."""

    def __init__(self, redis_url, every=0.005):
        import redis

        self.client = redis.Redis.from_url(redis_url)
        self.every = every
        self.up_s = 0.0
        self.seen = False
        self.polls = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fence", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        last = time.monotonic()
        while not self._stop.is_set():
            up = self.client.exists(FENCE_KEY)
            now = time.monotonic()
            self.polls += 1
            if up:
                self.seen = True
                self.up_s += now - last
            last = now
            time.sleep(self.every)

    def stop(self):
        self._stop.set()
        self._thread.join()
        self.client.close()


# 3. Ours, separately


def separate_phase(bench, stack):
    result, objects = bench.result, bench.main
    n = objects.count
    # The worker runs what each schedule queues meanwhile: a wide margin.
    instant, revisions = schedule_burst(bench, "separate", 1.6)
    sleep_until(instant)
    live, lasts = wait_until_live(objects, revisions, time.monotonic() + 300, stack)
    result.update(
        separate_published=live,
        separate_all_live_s=last_after(lasts, instant),
    )
    say(f"separate: {live}/{n} live, the last {result['separate_all_live_s']} s after the instant")


# 4. Queries, in this process


def count_queries(bench):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from intl_pages.models import Contact, InternationalPage
    from releases import actions
    from releases.models import Release, ReleaseState
    from tasks import scheduling

    result, copy, samples = bench.result, bench.copy, bench.samples
    release = actions.create_release("Bench: räknad", bench.user)
    for obj in Contact.objects.filter(pk__in=copy.contacts):
        actions.add_item(release, obj, bench.user)
    for obj in InternationalPage.objects.filter(pk__in=copy.pages):
        actions.add_item(release, obj, bench.user)
    instant = timezone.now() + timedelta(seconds=max(2.0, 3 * bench.s_per_object * samples.count))
    actions.schedule_release(release, instant, bench.user)
    _, revisions, after_due = schedule(samples, instant)
    assert not after_due, "the samples were scheduled after their instant"
    sleep_until(instant + timedelta(milliseconds=50))

    iso = scheduling.as_iso(instant)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        outcome = actions.apply_release(release.pk, actions.as_iso(instant))
    release_ms = (time.perf_counter() - started) * 1000
    if outcome.status != actions.PUBLISHED:
        raise RuntimeError(f"the counted release: {outcome} {Release.objects.get(pk=release.pk)}")
    assert Release.objects.get(pk=release.pk).state == ReleaseState.PUBLISHED
    queries = len(captured.captured_queries)

    singles, page_ms = {}, []
    for (model, _pk), revision_id in revisions.items():
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as one:
            outcome = scheduling.publish_scheduled_revision(revision_id, iso)
        if model == "InternationalPage":
            page_ms.append((time.perf_counter() - started) * 1000)
        assert outcome.status == scheduling.PUBLISHED, outcome
        singles.setdefault(model, []).append(len(one.captured_queries))
    result.update(
        queries_items=copy.count,
        release_queries=queries,
        queries_per_item=r3(queries / copy.count),
        single_publish_queries=max(singles["InternationalPage"]),
        single_contact_publish_queries=max(singles["Contact"]),
        release_ms_per_item_inprocess=r3(release_ms / copy.count),
        single_publish_ms_inprocess=r3(percentile(page_ms, 50)),
    )
    say(f"queries: a release of {copy.count} items {queries} ({result['queries_per_item']} an "
        f"item); one scheduled publish of a page {result['single_publish_queries']}, of a "
        f"contact {result['single_contact_publish_queries']}")  # fmt: skip


# 5. Stock


def stock_phase(bench):
    result, objects = bench.result, bench.main
    n = objects.count
    instant, revisions = schedule_burst(bench, "stock", 1.3)
    sleep_until(instant + timedelta(milliseconds=50))
    command_s = manage({**bench.env, **STOCK_ENV}, "publish_scheduled")
    live, lasts = live_at(objects, revisions)
    result.update(
        stock_published=live,
        stock_all_live_s=last_after(lasts, instant),
        stock_command_s=r3(command_s),
    )
    say(f"stock: {live}/{n} live, the last {result['stock_all_live_s']} s after the instant "
        f"(command {command_s:.1f} s)")  # fmt: skip


# Time


def sleep_until(moment):
    from django.utils import timezone

    while True:
        left = (moment - timezone.now()).total_seconds()
        if left <= 0:
            return
        time.sleep(min(left, 1.0))


def seconds_until(moment):
    from django.utils import timezone

    return (moment - timezone.now()).total_seconds()


# Outside Django


def main(argv=None):
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-release-"))
    database_url = services.with_db(args.pg, args.db_name)
    env = services.bench_environment(args.settings, database_url, args.redis_url, tmp)
    # The page cache on, as deployed: the sample is what a visitor gets
    # through it, and its fence is what a release commits behind.
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
    goals(result)
    report.print_result(result, HEADLINE)


def goals(result):
    def within(value, goal):
        return None if value is None else value <= goal

    result["release_commit_within_goal"] = within(result.get("release_commit_s"), COMMIT_GOAL_S)
    result["release_served_within_goal"] = within(result.get("release_served_s"), SERVED_GOAL_S)
    single = result.get("single_publish_queries")
    per_item = result.get("queries_per_item")
    result["queries_within_goal"] = None if single is None else within(per_item, single)


if __name__ == "__main__":
    main()
