#!/usr/bin/env python
"""Feedback: form posts beside stock Wagtail's e-mail form, under a healthy
and a slow SMTP server; digests of 10,000 answers to a real SMTP server.

One run, with PostgreSQL, Redis, a real SMTP server (aiosmtpd, in this
process) and the stack as `make run` and the compose file start it: gunicorn
with 2 workers, the scheduling and background workers and beat, all from
cms/stack.py.

1. Set-up: a PostgreSQL database of its own (dropped and created), migrated
   under `bench.stock_form.settings` (production's, plus stock Wagtail's
   form page: installed by no other settings, so never among the editors'
   page types nor the project's migrations); Redis database numbers of its
   own (flushed); the demo content; under the home page, a stock
   `AbstractEmailForm` page with our widget's fields (`bench/stock_form/`)
   that mails the demo page's owner. The run raises the feedback rate limit
   (FEEDBACK_RATE_LIMIT: every visitor here is 127.0.0.1), and the demo
   page's owner gets digests at once, so the workers send to the same SMTP
   server while the posts come in.
2. Form posts: `--clients` visitors, a process each, as many as the web
   server has workers (a post never waits for a free worker: its latency
   is its own), post as fast as they are answered for `--seconds` in each
   of four cases: ours (`POST /feedback/<id>/` with the widget's signed
   token, answered 303) and stock (the form page, with its CSRF cookie and
   token, answered with its landing page), each with the SMTP server
   healthy and with it taking 2 s over each message. The cases alternate
   (ABBA over `--rounds`, so drift cancels). Only accepted posts count:
   rps and latency percentiles per case, checked against the database (our
   answers, none taken for spam; stock's submissions) and against the mail
   the SMTP server received from stock.
3. The stack stops. Digests: answers inserted directly (with the page as it
   was), across owner addresses, then `feedback.digests.send_due(everything
   =True)`, what `manage.py send_feedback_digests --all` runs, in this
   process against the SMTP server: its wall time and SQL statements, for
   1,000 answers to 10 owners, 1,000 to 100, and `--answers` to `--owners`;
   every digest checked at the server, every answer marked sent.

Goals (the issue): our p99 with the slow SMTP server within 10 % or 10 ms
of our p99 with the healthy one (`ours_within_goal`; stock's grows by 2 s);
10,000 answers' digests delivered in 10 s or less (`digest_within_goal`),
with SQL that grows with the owners, not the answers.

Progress goes to stderr; the last line on stdout is one JSON object. Its
first keys: `ours_healthy`, `ours_slow_smtp`, `stock_healthy`,
`stock_slow_smtp` (each `rps`, `p50_ms`, `p99_ms`, `max_ms`, `accepted`,
`refused`, the p99 of each round and of the odd and the even rounds),
`ours_p99_growth_ms`, `stock_p99_growth_ms`, `ours_within_goal`,
`ours_healthy_p99_noise_ms` (the healthy case against itself: how far its
odd rounds' p99 is from its even rounds'; a growth within it is noise);
`digest_answers`, `digest_owners`, `digest_seconds`,
`digest_messages_received`, `digest_answers_marked_sent`, `digest_queries`
and the smaller runs' `digest_queries_10_owners_1000_answers` and
`digest_queries_100_owners_1000_answers`, `digest_within_goal`; where the
digests' time went: `digest_first_received_s` (gathering and rendering them
all, and one send), `digest_cpu_s` (this process's CPU), `digest_sql_s`.

Figures depend on the machine and on whatever else runs on it: compare runs
on the same machine (`load_avg_*` says how busy it was).

    .venv/bin/python bench/feedback.py [--seconds S] [--rounds N] [--clients C]
"""

import argparse
import email.parser
import email.policy
import http.client
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import urlencode

# bench/, this script's folder, is first on sys.path: `lib` is bench/lib.
from lib import report, services
from lib.report import percentile, r3, say
from lib.run import add_run_arguments, clean_up, set_up_services
from lib.services import flush_redis
from lib.smtp import SmtpServer
from lib.stack import Stack

# This script has the feedback app's name: with its own folder first on
# sys.path, `import feedback` (Django's INSTALLED_APPS) would import this file
# again. Last, it still gives `lib` to the visitors' processes, which import
# this file afresh with this process's sys.path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE] + [str(HERE)]

SLOW_SMTP_S = 2.0
# Every visitor of the run is 127.0.0.1, one client address for the limit.
RATE_LIMIT = 10**9
WARMUP_S = 3.0
STOCK_SLUG = "hjalpte-informationen-wagtail"
ACCEPTED_MARK = b"data-stock-form-accepted"  # in the stock landing page's template
# (implementation, SMTP server) in a round's order; the next round reverses it.
CASES = (("ours", "healthy"), ("ours", "slow"), ("stock", "healthy"), ("stock", "slow"))
CASE_NAMES = {"healthy": "healthy", "slow": "slow_smtp"}
# The digest runs: (answers, owner addresses) before the main one, to show
# what the SQL grows with.
SMALL_DIGEST_RUNS = ((1000, 10), (1000, 100))
PAGES_PER_OWNER = 3
HEADLINE = (
    "ours_healthy", "ours_slow_smtp", "stock_healthy", "stock_slow_smtp",
    "ours_p99_growth_ms", "stock_p99_growth_ms", "ours_within_goal", "ours_healthy_p99_noise_ms",
    "digest_answers", "digest_owners", "digest_seconds", "digest_messages_received",
    "digest_answers_marked_sent", "digest_queries", "digest_queries_10_owners_1000_answers",
    "digest_queries_100_owners_1000_answers", "digest_within_goal",
)  # fmt: skip

# What visitors write: the same for ours and stock. Some give a phone number
# or an address, which ours redacts.
COMMENTS = (
    "",
    "Bra sida, men jag hittade inte när nästa utbyte med vänorterna börjar.",
    "Länken till Rockford-samarbetet fungerar inte. Ring mig gärna på 070-123 45 67.",
    "",
    "Det står inte vem jag ska kontakta om praktik i Tyskland, skriv till anna@example.org.",
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="posting time per case")
    # Short cases, often alternated: a burst of other work on the machine
    # falls on every case alike.
    parser.add_argument("--rounds", type=int, default=8, help="times each case is run")
    parser.add_argument("--clients", type=int, default=2, help="visitors posting at once")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--answers", type=int, default=10_000, help="answers in the digest run")
    parser.add_argument("--owners", type=int, default=100, help="owner addresses in it")
    # Redis 8/9, as publish_latency's: the two run one at a time.
    add_run_arguments(parser, db_name="bench_feedback", redis_db=8, web_port=8766)
    parser.add_argument(
        "--settings",
        default="bench.stock_form.settings",
        help="DJANGO_SETTINGS_MODULE (production's, with stock Wagtail's form page)",
    )
    args = parser.parse_args(argv)
    if args.seconds <= 0 or min(args.rounds, args.clients, args.web_workers) < 1:
        parser.error("--seconds must be positive, --rounds, --clients and --web-workers at least 1")
    if min(args.answers, args.owners) < 1 or args.answers < args.owners:
        parser.error("--answers and --owners must be at least 1, and answers at least owners")
    return args


# The run


@dataclass
class Bench:
    """What the phases share: the arguments, the environment, the SMTP
    server, the figures so far (`result`, the JSON line), and what the
    visitors post to."""

    args: argparse.Namespace
    env: dict
    tmp: Path
    smtp: SmtpServer
    result: dict
    targets: dict = field(default_factory=dict)


def run(args, tmp, env, smtp, result):
    """The phases, in order; each adds its figures to `result`."""
    bench = Bench(args, env, tmp, smtp, result)
    set_up_django(bench)
    pages = create_content(bench)
    stack = Stack(env, tmp, args.web_port, web_workers=args.web_workers)
    try:
        start_stack(stack)
        bench.targets = targets(bench, pages)
        posted = form_posts(bench, stack)
    finally:
        stack.stop()
        say("web server, workers and beat stopped")
    check_form_posts(bench, stack, pages, posted)
    deliver_digests(bench)


def set_up_django(bench):
    """Django in this process, its loggers quiet; the configuration measured."""
    import django

    django.setup()

    import logging

    from django.conf import settings

    # Wagtail logs each page it creates at INFO; ours each digest sent.
    for name in ("wagtail", "feedback"):
        logging.getLogger(name).setLevel(logging.WARNING)
    args = bench.args
    bench.result.update(
        settings=args.settings,
        web_workers=args.web_workers,
        clients=args.clients,
        seconds_per_case=args.seconds,
        rounds=args.rounds,
        slow_smtp_s=SLOW_SMTP_S,
        feedback_min_seconds=settings.FEEDBACK_MIN_SECONDS,
        feedback_rate_limit=settings.FEEDBACK_RATE_LIMIT,
    )


def create_content(bench):
    """The demo content, the stock form page beside it, and digests at once
    for the demo page's owner. Returns {"ours": the demo page, "stock": the
    stock form page}. Nothing queued so far is part of the measure: Redis is
    flushed."""
    from feedback.models import DigestFrequency, OwnerMailbox
    from intl_pages.demo import load_demo
    from intl_pages.models import InternationalPage

    home = load_demo()
    ours = InternationalPage.objects.live().get(slug="internationella-samarbeten")
    stock = create_stock_form(home, ours.owner_email)
    OwnerMailbox.objects.update_or_create(
        email=ours.owner_email, defaults={"frequency": DigestFrequency.IMMEDIATE}
    )
    flush_redis(bench.env["REDIS_URL"], bench.env["CACHE_REDIS_URL"])
    say(f"content: our page {ours.url}, stock's form page {stock.url}, owner {ours.owner_email}")
    return {"ours": ours, "stock": stock}


def create_stock_form(home, owner_email):
    """Stock Wagtail's e-mail form page with our widget's questions, mailing
    `owner_email`, published. Its fields post under our fields' names."""
    from django.conf import settings
    from django.db import transaction

    from bench.stock_form.models import StockFormField, StockFormPage
    from feedback.forms import FeedbackForm

    questions = FeedbackForm.base_fields
    fields = [
        ("helpful", "radio", True, "Ja\nNej"),
        ("rating", "radio", False, "1\n2\n3\n4\n5"),
        ("comment", "multiline", False, ""),
        ("email", "email", False, ""),
    ]
    with transaction.atomic():
        page = StockFormPage(
            title="Hjälpte informationen på den här sidan dig? (Wagtails formulär)",
            slug=STOCK_SLUG,
            to_address=owner_email,
            from_address=settings.DEFAULT_FROM_EMAIL,
            subject="Sidrespons från en besökare",
        )
        page.form_fields = [
            StockFormField(
                sort_order=i,
                clean_name=name,
                label=str(questions[name].label),
                field_type=field_type,
                required=required,
                choices=choices,
            )
            for i, (name, field_type, required, choices) in enumerate(fields)
        ]
        home.add_child(instance=page)
        page.save_revision().publish()
    return page


def start_stack(stack):
    """Our stack as `make run` and the compose file start it (cms/stack.py)."""
    from cms.celery import app

    stack.start()
    workers = stack.wait_for_workers(app, count=2)  # scheduling and background
    stack.wait_for_web("/")
    say(f"worker answers: {workers}; beat and web server started")


def targets(bench, pages):
    """What the visitors post to. Ours carries the widget's token, fetched as
    the widget's script fetches it; it is shared, as a cached page's is."""
    import json

    from django.conf import settings
    from django.urls import reverse

    port = bench.args.web_port
    page_id = pages["ours"].pk
    status, _, body = http_request(port, "GET", reverse("feedback:token", args=[page_id]))
    assert status == 200, f"no token: {status} {body[:200]!r}"
    # A token younger than FEEDBACK_MIN_SECONDS makes a post spam: the first
    # post of ours waits that long after this (warm-up of stock first).
    return {
        "ours": Target("ours", port, reverse("feedback:post", args=[page_id]),
                       json.loads(body)["token"], issued=time.time()),
        "stock": Target("stock", port, pages["stock"].url, yes_no=("Ja", "Nej"),
                        csrf_cookie_name=settings.CSRF_COOKIE_NAME),
    }  # fmt: skip


def form_posts(bench, stack):
    """Each case `--rounds` times, alternating, after a warm-up of each
    kind. Returns {"cases": {case name: Case}, "accepted": {"ours"/"stock":
    posts accepted, the warm-up's included}}."""
    from django.conf import settings

    args, smtp = bench.args, bench.smtp
    cases = {f"{kind}_{CASE_NAMES[state]}": Case() for kind, state in CASES}
    accepted = Counter()
    context = get_context("spawn")  # the visitors: clean processes, no Django
    with ProcessPoolExecutor(max_workers=args.clients, mp_context=context) as pool:
        for kind in ("stock", "ours"):
            if kind == "ours":
                wait_s = bench.targets["ours"].issued + settings.FEEDBACK_MIN_SECONDS - time.time()
                time.sleep(max(0.0, wait_s + 0.5))
            warmup = post_for(pool, bench.targets[kind], args.clients, WARMUP_S)
            accepted[kind] += warmup.accepted
            say(f"warm-up {kind}: {warmup.accepted} accepted, refused {dict(warmup.refused)}")
        for round_no in range(args.rounds):
            order = CASES if round_no % 2 == 0 else CASES[::-1]
            for kind, state in order:
                smtp.delay = SLOW_SMTP_S if state == "slow" else 0.0
                name = f"{kind}_{CASE_NAMES[state]}"
                outcome = post_for(pool, bench.targets[kind], args.clients, args.seconds)
                cases[name].add(outcome)
                accepted[kind] += outcome.accepted
                stack.check_alive()
                say(f"round {round_no + 1} {name}: {outcome.accepted} accepted in "
                    f"{outcome.seconds:.1f} s, p99 {ms(percentile(outcome.latencies, 99))} ms, "
                    f"refused {dict(outcome.refused)}")  # fmt: skip
    smtp.delay = 0.0
    result = bench.result
    for name, case in cases.items():
        result[name] = case.figures()
    result["ours_p99_growth_ms"] = growth(result["ours_healthy"], result["ours_slow_smtp"])
    result["stock_p99_growth_ms"] = growth(result["stock_healthy"], result["stock_slow_smtp"])
    halves = result["ours_healthy"]["p99_ms_halves"]
    if None not in halves:
        result["ours_healthy_p99_noise_ms"] = r3(abs(halves[0] - halves[1]))
    healthy = result["ours_healthy"]["p99_ms"]
    if healthy is not None and result["ours_p99_growth_ms"] is not None:
        allowed = max(10.0, 0.1 * healthy)
        result["ours_within_goal"] = result["ours_p99_growth_ms"] <= allowed
    return {"cases": cases, "accepted": accepted}


def growth(healthy, slow):
    if healthy["p99_ms"] is None or slow["p99_ms"] is None:
        return None
    return r3(slow["p99_ms"] - healthy["p99_ms"])


def check_form_posts(bench, stack, pages, posted):
    """What the database and the SMTP server hold after the posts: every
    accepted post of ours an answer, none spam; every accepted post of
    stock's a submission and a message at the SMTP server. Then the answers
    and digests go, so that the digest runs start from none."""
    from wagtail.contrib.forms.models import FormSubmission

    from feedback.models import Digest, DigestStatus, Feedback

    result, accepted = bench.result, posted["accepted"]
    answers = Feedback.objects.filter(page=pages["ours"])
    stock_mail = [m for m in bench.smtp.mailbox.received() if not is_digest(m)]
    result.update(
        ours_accepted_total=accepted["ours"],
        ours_answers_saved=answers.filter(is_spam=False).count(),
        ours_answers_spam=answers.filter(is_spam=True).count(),
        stock_accepted_total=accepted["stock"],
        stock_submissions_saved=FormSubmission.objects.filter(page=pages["stock"]).count(),
        stock_messages_received=len(stock_mail),
        # The workers' digests to the demo page's owner while the posts came in.
        load_digests_sent=Digest.objects.filter(status=DigestStatus.SENT).count(),
        load_digest_answers=answers.filter(digest__status=DigestStatus.SENT).count(),
        load_digests=load_digests(),
        web_log_errors=log_errors(stack, "web"),
        worker_log_errors=sum(stack.log_problems(n)[0] or 0 for n in ("worker", "background")),
    )
    say(f"ours: {result['ours_answers_saved']} answers saved for {accepted['ours']} accepted "
        f"({result['ours_answers_spam']} spam); digests by the workers, [answers, built at, "
        f"sent at]: {result['load_digests']}; stock: {result['stock_submissions_saved']} "
        f"submissions and {len(stock_mail)} messages for {accepted['stock']} accepted")  # fmt: skip
    Feedback.objects.all().delete()
    Digest.objects.all().delete()


def load_digests():
    """[answers, built at, sent at] of each digest the workers made, in
    seconds on the clock of the progress lines: when their work shared the
    machine with which case."""
    from django.db.models import Count

    from feedback.models import Digest

    wall_started = time.time() - (time.monotonic() - report.STARTED)
    rows = Digest.objects.annotate(n=Count("answers")).order_by("created_at")
    return [
        [row.n, r3(row.created_at.timestamp() - wall_started),
         r3(row.sent_at.timestamp() - wall_started) if row.sent_at else None]
        for row in rows
    ]  # fmt: skip


def log_errors(stack, name):
    """Lines logged at ERROR (Django's format, cms/settings) in a process's log."""
    try:
        text = stack.logs[name].read_text(errors="replace")
    except (KeyError, OSError):
        return None
    return sum(1 for line in text.splitlines() if " ERROR " in line or "Traceback" in line)


# The visitors (in processes of their own: nothing here may need Django)


@dataclass(frozen=True)
class Target:
    """What a visitor posts to; it goes to the visitors' processes."""

    kind: str  # "ours" or "stock"
    port: int
    path: str  # where the form is posted
    token: str = ""  # ours: the widget's signed token
    issued: float = 0.0  # ours: when the token was made (time.time())
    # What Ja and Nej post: stock's radio buttons post their labels.
    yes_no: tuple = ("yes", "no")
    # Stock: the CSRF cookie's name in the settings measured (production's
    # is "__Host-csrftoken").
    csrf_cookie_name: str = "csrftoken"


@dataclass
class Outcome:
    """The posts of one case's run: latencies (s) of the accepted ones, the
    statuses of the others, and the seconds from the start to the last
    answer."""

    latencies: list = field(default_factory=list)
    refused: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def accepted(self):
        return len(self.latencies)


@dataclass
class Case:
    """One case over its rounds."""

    latencies: list = field(default_factory=list)
    refused: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    p99_by_round: list = field(default_factory=list)
    # The accepted posts' latencies of the odd rounds and of the even ones.
    halves: tuple = field(default_factory=lambda: ([], []))

    def add(self, outcome):
        self.latencies += outcome.latencies
        self.refused.update(outcome.refused)
        self.seconds += outcome.seconds
        self.halves[len(self.p99_by_round) % 2].extend(outcome.latencies)
        self.p99_by_round.append(ms(percentile(outcome.latencies, 99)))

    def figures(self):
        return {
            "rps": r3(len(self.latencies) / self.seconds) if self.seconds else None,
            "p50_ms": ms(percentile(self.latencies, 50)),
            "p99_ms": ms(percentile(self.latencies, 99)),
            "max_ms": ms(max(self.latencies, default=None)),
            "accepted": len(self.latencies),
            "refused": sum(self.refused.values()),
            "refused_statuses": {str(status): n for status, n in self.refused.items()},
            "p99_ms_by_round": self.p99_by_round,
            # The case against itself: how far apart its p99 over the odd
            # rounds and over the even ones are, the noise a growth is seen in.
            "p99_ms_halves": [ms(percentile(half, 99)) for half in self.halves],
        }


def ms(seconds):
    return None if seconds is None else round(seconds * 1000, 1)


def post_for(pool, target, clients, seconds):
    """`clients` visitors, each in a process of its own, posting `target`'s
    form as fast as they are answered for `seconds`."""
    # A moment ahead, so that every visitor starts at once, ready.
    start_at = time.time() + 0.5
    futures = [pool.submit(visitor, target, start_at, seconds) for _ in range(clients)]
    runs = [future.result() for future in futures]
    assert len({pid for pid, _, _, _ in runs}) == clients, "visitors shared a process"
    outcome = Outcome(seconds=max(last for _, _, _, last in runs) - start_at)
    for _, latencies, refused, _ in runs:
        outcome.latencies += latencies
        outcome.refused.update(refused)
    return outcome


def visitor(target, start_at, seconds):
    """One visitor: gets what its form needs (stock: the page's CSRF cookie
    and token), then from `start_at` posts it, a new connection each time as
    gunicorn's sync workers close every one, until `seconds` have passed.
    Returns (its pid, the latencies of accepted posts, {status: count} of
    the others, time.time() of its last answer)."""
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        # What a browser sends with a form post from the page itself.
        "Origin": f"https://127.0.0.1:{target.port}",
    }
    extra = {}
    if target.kind == "stock":
        csrf_cookie, csrf_token = stock_form_csrf(target)
        headers["Cookie"] = f"{target.csrf_cookie_name}={csrf_cookie}"
        extra["csrfmiddlewaretoken"] = csrf_token
    else:
        extra.update(token=target.token, answer="", website="")
    latencies, refused = [], Counter()
    time.sleep(max(0.0, start_at - time.time()))
    end = start_at + seconds
    n = random.randrange(1000)  # visitors' answers differ
    while time.time() < end:
        body = urlencode({**answer_fields(n, target.yes_no), **extra})
        began = time.perf_counter()
        try:
            status, _, content = http_request(target.port, "POST", target.path, body, headers)
        except (OSError, http.client.HTTPException) as error:
            status, content = type(error).__name__, b""
        latency = time.perf_counter() - began
        if accepted(target.kind, status, content):
            latencies.append(latency)
        else:
            refused[status] += 1
        n += 1
    return os.getpid(), latencies, refused, time.time()


def accepted(kind, status, content):
    """Ours answers an accepted post 303; stock answers 200 with its landing
    page (and 200 with the form again when it refuses one)."""
    if kind == "ours":
        return status == 303
    return status == 200 and ACCEPTED_MARK in content


def answer_fields(n, yes_no):
    """The n-th answer: Ja or Nej, a rating, sometimes a comment or an address."""
    return {
        "helpful": yes_no[0] if n % 3 else yes_no[1],
        "rating": str(1 + n % 5),
        "comment": COMMENTS[n % len(COMMENTS)],
        "email": "besokare@example.org" if n % 4 == 0 else "",
    }


def stock_form_csrf(target):
    """(the CSRF cookie, the form's csrfmiddlewaretoken) of the stock
    form page, as a visitor's browser gets them."""
    status, response_headers, body = http_request(target.port, "GET", target.path)
    assert status == 200, f"stock form page: {status}"
    cookie = SimpleCookie()
    for value in response_headers.get_all("Set-Cookie") or []:
        cookie.load(value)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    name = target.csrf_cookie_name
    assert name in cookie and token, "no CSRF cookie or token on the stock form page"
    return cookie[name].value, token.group(1).decode()


def http_request(port, method, path, body=None, headers=None):
    """(status, headers, body) from the bench's web server, as a visitor
    behind the TLS proxy gets them; a new connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            method,
            path,
            body=body,
            headers={"X-Forwarded-Proto": "https", "Connection": "close", **(headers or {})},
        )
        response = connection.getresponse()
        return response.status, response.msg, response.read()
    finally:
        connection.close()


# Digests


@dataclass
class Delivery:
    answers: int
    owners: int
    seconds: float
    # Where the time went: this process's CPU (building, rendering, the
    # SMTP client; the SMTP server's thread too), and waiting in SQL.
    cpu_s: float
    sql_s: float
    queries: int
    kinds: Counter
    outcomes: dict
    received: int  # digests the SMTP server accepted, to these owners
    matching: bool  # their Message-IDs are the digests' rows'
    marked_sent: int  # answers in a digest marked sent
    first_received_s: float | None  # gathering and rendering all, and one send
    mean_kb: float | None


def deliver_digests(bench):
    """The digest runs, the smaller ones first (they warm the templates up):
    each from no answers, `answers` inserted across `owners` addresses, then
    delivered."""
    args, result = bench.args, bench.result
    for answers, owners in SMALL_DIGEST_RUNS:
        run = deliver(bench.smtp, answers, owners)
        result[f"digest_queries_{owners}_owners_{answers}_answers"] = run.queries
        result[f"digest_seconds_{owners}_owners_{answers}_answers"] = r3(run.seconds)
        say(f"digests, {answers} answers to {owners} owners: {run.received} delivered in "
            f"{run.seconds:.2f} s, {run.queries} SQL statements")  # fmt: skip
    run = deliver(bench.smtp, args.answers, args.owners)
    delivered = (
        run.outcomes == {"sent": args.owners}
        and run.received == args.owners
        and run.matching
        and run.marked_sent == args.answers
    )
    result.update(
        digest_answers=args.answers,
        digest_owners=args.owners,
        digest_seconds=r3(run.seconds),
        digest_messages_received=run.received,
        digest_message_ids_match=run.matching,
        digest_answers_marked_sent=run.marked_sent,
        digest_outcomes=run.outcomes,
        digest_queries=run.queries,
        digest_queries_per_owner=r3(run.queries / args.owners),
        digest_first_received_s=r3(run.first_received_s),
        digest_cpu_s=r3(run.cpu_s),
        digest_sql_s=r3(run.sql_s),
        digest_message_kb_mean=run.mean_kb,
        digest_query_kinds=dict(run.kinds.most_common(8)),
    )
    small = result["digest_queries_100_owners_1000_answers"]
    if args.owners == 100:
        result["digest_queries_grow_with_answers"] = run.queries != small
    result["digest_within_goal"] = delivered and run.seconds <= 10.0
    say(f"digests, {args.answers} answers to {args.owners} owners: {run.received} delivered, "
        f"{run.marked_sent} answers marked sent, in {run.seconds:.2f} s (first at the server "
        f"after {run.first_received_s:.2f} s; CPU {run.cpu_s:.2f} s, in SQL {run.sql_s:.2f} s), "
        f"{run.queries} SQL statements: "
        f"{dict(run.kinds.most_common(5))}")  # fmt: skip


def deliver(smtp, answers, owners):
    """From no answers: `answers` inserted across `owners` addresses, then
    what `send_feedback_digests --all` does, in this process, timed and its
    SQL counted; what the SMTP server received checked."""
    from django.db import connection

    from feedback import digests
    from feedback.models import Digest, DigestStatus, Feedback

    Feedback.objects.all().delete()
    Digest.objects.all().delete()
    addresses = insert_answers(answers, owners)
    before = smtp.mailbox.count()
    counter = QueryCounter()
    started, started_cpu = time.monotonic(), time.process_time()
    with connection.execute_wrapper(counter):
        outcomes = digests.send_due(everything=True)
    seconds = time.monotonic() - started
    cpu_s = time.process_time() - started_cpu
    received = [m for m in smtp.mailbox.received(before) if set(m.rcpt_tos) <= addresses]
    ids = {message_id(m) for m in received}
    rows = set(Digest.objects.values_list("message_id", flat=True))
    return Delivery(
        answers=answers,
        owners=owners,
        seconds=seconds,
        cpu_s=cpu_s,
        sql_s=counter.seconds,
        queries=counter.total,
        kinds=counter.kinds,
        outcomes=outcomes,
        received=len({rcpt for m in received for rcpt in m.rcpt_tos}),
        matching=ids == rows and len(received) == len(rows),
        marked_sent=Feedback.objects.filter(digest__status=DigestStatus.SENT).count(),
        first_received_s=min((m.at for m in received), default=started) - started,
        mean_kb=r3(sum(len(m.content) for m in received) / len(received) / 1024)
        if received
        else None,
    )


def insert_answers(count, owners):
    """`count` unsent answers, as the form saves them (the page as it was, a
    redacted comment beside the one received), over `owners` addresses with
    PAGES_PER_OWNER pages each. Returns the addresses."""
    from feedback.models import Feedback
    from feedback.redaction import redact

    rng = random.Random(count * 1000 + owners)
    addresses = [f"sidansvarig{i:03d}@lidkoping.example.org" for i in range(owners)]
    rows = []
    for i in range(count):
        owner = i % owners
        page = (i // owners) % PAGES_PER_OWNER
        comment = rng.choice(COMMENTS)
        rows.append(
            Feedback(
                page=None,  # the page has gone since: the answer keeps what it was
                page_title=f"Sida {page} hos ägare {owner}",
                page_url=f"https://www.lidkoping.se/agare-{owner}/sida-{page}/",
                owner_email=addresses[owner],
                helpful=rng.random() < 0.7,
                rating=rng.choice((None, 1, 2, 3, 4, 5)),
                comment=redact(comment) if comment else "",
                comment_as_received=comment,
                contact_email="besokare@example.org" if rng.random() < 0.1 else "",
            )
        )
    Feedback.objects.bulk_create(rows, batch_size=2000)
    return set(addresses)


class QueryCounter:
    """Django's execute_wrapper: every SQL statement, counted by kind (the
    statement and its first table), and the wall time spent in them (a
    transaction's COMMIT, outside a statement, not included); none kept."""

    def __init__(self):
        self.total = 0
        self.kinds = Counter()
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        self.total += 1
        self.kinds[statement_kind(sql)] += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def statement_kind(sql):
    """'SELECT "feedback_feedback"': the statement, and the first table it names."""
    words = sql.split()
    upper = [word.upper() for word in words]
    for marker in ("FROM", "INTO", "UPDATE"):
        if marker in upper:
            i = upper.index(marker)
            if i + 1 < len(words):
                return f"{upper[0]} {words[i + 1]}"
    return upper[0] if upper else "?"


def message_id(received):
    headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(
        received.content
    )
    return str(headers.get("Message-ID", "")).strip()


def is_digest(received):
    return message_id(received).startswith("<sidrespons.")


# Outside Django


def main(argv=None):
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-feedback-"))
    smtp = SmtpServer().start()
    database_url = services.with_db(args.pg, args.db_name)
    env = services.bench_environment(args.settings, database_url, args.redis_url, tmp)
    env.update(
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),
        FEEDBACK_RATE_LIMIT=str(RATE_LIMIT),
    )
    services.adopt(env)
    result = {"load_avg_start": report.load_avg()}
    ok = False
    try:
        set_up_services(args, env, result)
        run(args, tmp, env, smtp, result)
        ok = True
    finally:
        clean_up(args, env, tmp, keep_logs=args.keep_logs or not ok)
        smtp.stop()
    result["load_avg_end"] = report.load_avg()
    result["total_s"] = r3(time.monotonic() - report.STARTED)
    report.print_result(result, HEADLINE)


if __name__ == "__main__":
    main()
