#!/usr/bin/env python
"""A hostile client beside the visitors: the cached page quiet, and while a
flood of /healthz/ and cache-busting requests runs; the page cache's keys
before and after.

One run, with PostgreSQL and Redis, gunicorn with the production settings
(cms/stack.py's command, 2 sync workers as bench/page_render.py runs it),
the page cache in a redis-server of the run's own started as production
should run it (`maxmemory`, `allkeys-lru`, no persistence), and `wrk`
(Debian's; Python processes when it is not installed) as the load
generator:

1. Set-up: a PostgreSQL database of its own (dropped, created, migrated),
   Redis databases of its own for the broker and the cache, the demo
   content; one front-end origin allowed (`FEEDBACK_ALLOWED_ORIGINS`).
2. The flood's requests, written to a list before it starts, every one
   different: /healthz/; the demo page with a made-up `?tack=` value, or a
   made-up parameter, and a made-up `Origin`; the API's page listing with a
   made-up `offset` and `search`, and its twin towns with a made-up
   `country`, with a made-up `Origin` (a quarter of them the allowed one).
   `--flood-connections` connections send them in order (bench/flood.lua).
3. `--rounds` rounds of two runs of `--seconds` each on the cached page
   with `--connections` connections: quiet, and with the flood running
   (started a second before, stopped a second after); quiet first in one
   round, flooded first in the next, and the medians taken.
   `flooded_over_quiet` is the median over the rounds of the flooded rate
   over the quiet one beside it.
4. If the floods sent fewer than `--flood-requests` requests, the flood
   runs alone until they have (at most `--flood-top-up-seconds`), so that
   the key count is read after at least that many.

Clients as production sees them behind the compose stack's Caddy: gunicorn
trusts its peer as the proxy (`TRUSTED_PROXIES=127.0.0.1`) and every request
carries the client's address in X-Forwarded-For: the page's from
`--visitors` addresses in turn (bench/visitors.lua), the flood's from
`--attackers` (8: one botnet-less attacker per connection); none of them
internal, so each is counted by the site's limits as a visitor would be.

The page's connections are as many as the flood's by default: a flood whose
requests cost what a cached page costs then leaves the page half of what
the server can do. `/healthz/` is measured alone too (`healthz`: ten
requests one after the other), whatever it costs at the time;
`--flood-without-healthz` leaves it out of the flood, to see what the
cache-busting requests cost alone. After each flood the run waits until the
page answers quickly again (what wrk gave up on is still in the server's
queue).

Progress goes to stderr; the last line on stdout is one JSON object:
`quiet`, `flooded` (each {"rps", "p99_ms"}), `cache_keys_before`,
`cache_keys_after` (keys in the page cache's Redis before the first flood
and after the last), `flood_requests`, then `flooded_over_quiet`,
`cache_keys_growth`, `flood_statuses` (answers below 400, and the others:
429s, 503s), `pagecache_evicted_keys` (0, or the
key count says less than it seems) and the run's parameters.

    .venv/bin/python bench/hostile.py [--seconds S] [--rounds N] [--connections C]
                                      [--visitors V] [--attackers A]
"""

import argparse
import math
import multiprocessing
import random
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

# bench/, this script's folder, is first on sys.path: `lib` is bench/lib.
from lib import report, services
from lib.load import FORWARDED, generator, load, visitor_address
from lib.report import percentile, r3, say
from lib.run import add_run_arguments, clean_up, set_up_services
from lib.stack import Stack

HEADLINE = (
    "quiet", "flooded", "cache_keys_before", "cache_keys_after", "flood_requests",
    "flooded_over_quiet", "cache_keys_growth",
)  # fmt: skip
FRONT_END = "https://front.lidkoping.example.org"
FLOOD_SCRIPT = Path(__file__).resolve().parent / "flood.lua"
# One visitor's request, for what the run asks itself (a visitor's address:
# the server trusts its own peer as the proxy, TRUSTED_PROXIES).
VISITOR = {**FORWARDED, "X-Forwarded-For": visitor_address(1)}
# More lines than the floods of a run send, so that none is sent twice.
FLOOD_LINES = 300_000


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each page run")
    parser.add_argument("--rounds", type=int, default=2, help="quiet and flooded runs of each")
    parser.add_argument("--connections", type=int, default=8, help="the page's connections")
    parser.add_argument("--flood-connections", type=int, default=8)
    parser.add_argument(
        "--visitors", type=int, default=500, help="addresses the page's requests come from"
    )
    parser.add_argument(
        "--attackers", type=int, default=8, help="addresses the flood comes from (0: unforwarded)"
    )
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn's sync workers")
    parser.add_argument(
        "--flood-requests", type=int, default=10_000, help="at least this many, in all"
    )
    parser.add_argument("--flood-top-up-seconds", type=int, default=60)
    parser.add_argument("--pagecache-maxmemory", default="256mb")
    parser.add_argument(
        "--flood-without-healthz",
        action="store_true",
        help="only the cache-busting requests: what the cache's side costs alone",
    )
    add_run_arguments(parser, db_name="bench_hostile", redis_db=4, web_port=8770)
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.rounds < 1 or args.connections < 1:
        parser.error("--seconds positive, --rounds and --connections at least 1")
    return args


# The page cache's Redis


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PageCacheRedis:
    """A redis-server of the run's own, as production runs the page cache's:
    memory capped, least recently used keys evicted, nothing on disk."""

    def __init__(self, folder, maxmemory):
        self.folder = folder
        self.maxmemory = maxmemory
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        import redis

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.folder), "--save", "", "--appendonly", "no",
             "--maxmemory", self.maxmemory, "--maxmemory-policy", "allkeys-lru"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return self
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.05)

    def client(self):
        import redis

        return redis.Redis.from_url(self.url)

    def keys(self):
        client = self.client()
        try:
            return client.dbsize()
        finally:
            client.close()

    def evicted(self):
        client = self.client()
        try:
            return int(client.info("stats")["evicted_keys"])
        finally:
            client.close()

    def used_memory(self):
        client = self.client()
        try:
            return int(client.info("memory")["used_memory"])
        finally:
            client.close()

    def flush(self):
        client = self.client()
        try:
            client.flushdb()
        finally:
            client.close()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


# Set-up


def set_up_content(env):
    import django

    django.setup()
    import logging

    for name in ("wagtail", "tasks", "intl_pages"):
        logging.getLogger(name).setLevel(logging.WARNING)

    from intl_pages.demo import load_demo
    from intl_pages.models import InternationalPage

    load_demo()
    page = InternationalPage.objects.get(slug="internationella-samarbeten")
    # What publishing queued for the workers (none run here) is no part of it.
    services.flush_redis(env["REDIS_URL"])
    return page.url


def write_flood(path, page_path, lines, healthz=True, seed=14):
    """The flood's requests, one "path<TAB>origin" a line, each different."""
    rng = random.Random(seed)

    def made_up():
        return f"{rng.getrandbits(48):012x}"

    def origin():
        return FRONT_END if rng.random() < 0.25 else f"https://{made_up()}.example"

    kinds = (
        *([lambda: ("/healthz/", "-")] if healthz else []),
        lambda: (f"{page_path}?tack={made_up()}", origin()),
        lambda: (f"{page_path}?{made_up()}={made_up()}", origin()),
        lambda: (f"/api/v3/pages/?offset={rng.randrange(10**9)}&search={made_up()}", origin()),
        lambda: (f"/api/v3/twin-towns/?country={made_up()}", origin()),
    )
    with open(path, "w") as out:
        for number in range(lines):
            request_path, request_origin = kinds[number % len(kinds)]()
            out.write(f"{request_path}\t{request_origin}\n")


# The flood


def attacker_address(number):
    """The flood's clients: 192.0.2.0/24 (documentation, never internal)."""
    return f"192.0.2.{number % 254 + 1}"


class WrkFlood:
    """The list's requests from `connections` connections of one wrk, from
    `attackers` addresses in turn (0: gunicorn's own peer, none forwarded)."""

    def __init__(self, base, listing, first_line, seconds, connections, attackers):
        command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s",
                   "-s", str(FLOOD_SCRIPT), base, "--", str(listing), str(first_line),
                   str(attackers)]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def result(self):
        out, err = self.process.communicate(timeout=600)
        if self.process.returncode != 0:
            raise RuntimeError(f"the flood failed:\n{out}\n{err}")
        total = int(re.search(r"(\d+) requests in", out).group(1))
        refused = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        refused = int(refused.group(1)) if refused else 0
        return total, Counter({"2xx_3xx": total - refused, "other": refused})


def _flood_client(base, lines, seconds, queue, attackers):
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    statuses = Counter()
    deadline = time.monotonic() + seconds
    for number, (path, origin) in enumerate(lines):
        if time.monotonic() >= deadline:
            break
        headers = dict(FORWARDED)
        if attackers:
            headers["X-Forwarded-For"] = attacker_address(number % attackers)
        if origin != "-":
            headers["Origin"] = origin
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            statuses["2xx_3xx" if response.status < 400 else "other"] += 1
        except OSError:
            statuses["other"] += 1
        finally:
            connection.close()
    queue.put(statuses)


class PythonFlood:
    """The same, from `connections` Python processes, each its own share of
    the list (wrk is not installed)."""

    def __init__(self, base, listing, first_line, seconds, connections, attackers):
        with open(listing) as lines:
            chosen = [
                line.rstrip("\n").split("\t", 1)
                for number, line in enumerate(lines, 1)
                if number >= first_line
            ]
        share = math.ceil(len(chosen) / connections)
        self.queue = multiprocessing.Queue()
        self.clients = [
            multiprocessing.Process(
                target=_flood_client,
                args=(base, chosen[i * share : (i + 1) * share], seconds, self.queue, attackers),
            )
            for i in range(connections)
        ]
        for client in self.clients:
            client.start()

    def result(self):
        statuses = Counter()
        for _ in self.clients:
            statuses.update(self.queue.get())
        for client in self.clients:
            client.join()
        return sum(statuses.values()), statuses


class Floods:
    """The floods of a run, each going on in the list where the last one
    stopped; what they sent, in all."""

    def __init__(self, base, listing, connections, attackers):
        self.base = base
        self.listing = listing
        self.connections = connections
        self.attackers = attackers
        self.kind = WrkFlood if generator() == "wrk" else PythonFlood
        self.sent = 0
        self.seconds = 0.0
        self.statuses = Counter()

    def start(self, seconds):
        self.seconds += seconds
        return self.kind(
            self.base, self.listing, self.sent + 1, seconds, self.connections, self.attackers
        )

    def finish(self, flood):
        total, statuses = flood.result()
        self.sent += total
        self.statuses.update(statuses)
        return total


# Measuring


def healthz_alone(base, count=10):
    """/healthz/ alone, one request after the other: its status and time."""
    times, statuses = [], Counter()
    for _ in range(count):
        request = urllib.request.Request(base + "/healthz/", headers=VISITOR)  # noqa: S310
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                response.read()
                statuses[response.status] += 1
        except urllib.error.HTTPError as error:
            error.read()
            statuses[error.code] += 1
        times.append((time.perf_counter() - started) * 1000)
    return {
        "statuses": {str(code): n for code, n in sorted(statuses.items())},
        "p50_ms": r3(percentile(times, 50)),
        "max_ms": r3(max(times)),
    }


def flooded_run(page_url, floods, args):
    """The page's rate while the flood runs: the flood starts a second
    before and ends a second after."""
    flood = floods.start(args.seconds + 2)
    time.sleep(1)
    try:
        page = load(page_url, args.seconds, args.connections, args.visitors)
    finally:
        sent = floods.finish(flood)
    say(f"    flood: {sent} requests")
    settle(page_url)
    return page


def settle(page_url, quick_ms=50, at_most_s=30):
    """Until the page answers quickly again: what the flood left in the
    server's queue (connections wrk gave up on are still served) must not
    be counted against the next quiet run."""
    deadline = time.monotonic() + at_most_s
    request = urllib.request.Request(page_url, headers=VISITOR)  # noqa: S310
    while time.monotonic() < deadline:
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            response.read()
        if (time.perf_counter() - started) * 1000 < quick_ms:
            return
        time.sleep(0.5)


def median_of(runs):
    return {
        "rps": round(percentile([r["rps"] for r in runs], 50), 1),
        "p99_ms": r3(percentile([r["p99_ms"] for r in runs], 50)),
    }


def measure(base, page_path, floods, pagecache, args, result):
    page_url = base + page_path
    # Warm: the page in the cache and in each worker's memory.
    load(page_url, 2, args.connections, args.visitors)
    request = urllib.request.Request(page_url, headers=VISITOR)  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        result["page_bytes"] = len(response.read())
    result["healthz"] = healthz_alone(base)
    say(f"/healthz/ alone: {result['healthz']}")
    result["cache_keys_before"] = pagecache.keys()

    runs = {"quiet": [], "flooded": []}
    ratios = []
    for round_no in range(args.rounds):
        order = ("quiet", "flooded") if round_no % 2 == 0 else ("flooded", "quiet")
        for which in order:
            if which == "quiet":
                runs["quiet"].append(load(page_url, args.seconds, args.connections, args.visitors))
            else:
                runs["flooded"].append(flooded_run(page_url, floods, args))
            say(f"  round {round_no + 1}: {which} {runs[which][-1]}")
        ratios.append(runs["flooded"][-1]["rps"] / runs["quiet"][-1]["rps"])

    if floods.sent < args.flood_requests:
        rate = floods.sent / max(1.0, floods.seconds)
        seconds = min(
            args.flood_top_up_seconds, math.ceil((args.flood_requests - floods.sent) / rate) + 1
        )
        say(f"the flood alone for {seconds} s, to {args.flood_requests} requests in all")
        floods.finish(floods.start(seconds))
        settle(page_url)

    result.update(
        quiet=median_of(runs["quiet"]),
        flooded=median_of(runs["flooded"]),
        cache_keys_after=pagecache.keys(),
        flood_requests=floods.sent,
        flooded_over_quiet=r3(percentile(ratios, 50)),
        flood_statuses=dict(floods.statuses),
        flood_rps=round(floods.sent / max(1.0, floods.seconds), 1),
        pagecache_evicted_keys=pagecache.evicted(),
        pagecache_used_memory_bytes=pagecache.used_memory(),
    )
    result["cache_keys_growth"] = result["cache_keys_after"] - result["cache_keys_before"]


def run(args, env, tmp, pagecache, result):
    set_up_services(args, env, result)
    page_path = set_up_content(env)
    pagecache.flush()
    listing = tmp / "flood.txt"
    write_flood(listing, page_path, FLOOD_LINES, healthz=not args.flood_without_healthz)

    stack = Stack(env, tmp, args.web_port, web_workers=args.web_workers, only=("web",))
    say(f"gunicorn, {args.web_workers} sync workers, production settings, the page cache on")
    stack.start()
    try:
        stack.wait_for_web("/")
        floods = Floods(stack.web_url, listing, args.flood_connections, args.attackers)
        measure(stack.web_url, page_path, floods, pagecache, args, result)
    finally:
        stack.stop()
    result.update(
        page=page_path,
        connections=args.connections,
        flood_connections=args.flood_connections,
        visitors=args.visitors,
        attackers=args.attackers,
        web_workers=args.web_workers,
        seconds=args.seconds,
        rounds=args.rounds,
        load_generator=generator(),
        flood_healthz=not args.flood_without_healthz,
    )


def main(argv=None):
    args = parse_args(argv)
    if not shutil.which("redis-server"):
        raise SystemExit("bench/hostile.py needs redis-server (the page cache's own)")
    tmp = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    pagecache = PageCacheRedis(tmp, args.pagecache_maxmemory).start()
    database_url = services.with_db(args.pg, args.db_name)
    env = services.bench_environment("cms.settings.production", database_url, args.redis_url, tmp)
    env.update(
        PAGECACHE_ENABLED="true",
        PAGECACHE_REDIS_URL=pagecache.url,
        FEEDBACK_ALLOWED_ORIGINS=FRONT_END,
        # As behind the compose stack's Caddy: gunicorn's peer is the proxy,
        # the client is the address it forwards (visitors and attackers).
        TRUSTED_PROXIES="127.0.0.1",
    )
    services.adopt(env)
    result = {"load_avg_start": report.load_avg()}
    ok = False
    try:
        run(args, env, tmp, pagecache, result)
        ok = True
    finally:
        pagecache.stop()
        clean_up(args, env, tmp, keep_logs=args.keep_logs or not ok)
    result["load_avg_end"] = report.load_avg()
    result["total_s"] = r3(time.monotonic() - report.STARTED)
    report.print_result(result, HEADLINE)


if __name__ == "__main__":
    main()
