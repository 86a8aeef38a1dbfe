"""The fence a release commits behind, so that no visitor sees an old
response after a new one.

Without it the cache cannot promise that: each web process trusts the
generation for up to `PAGECACHE_GENERATION_CHECK_SECONDS`, the purge runs
after the commit, and a render whose queries straddle the commit mixes old
and new. So, around the release's transaction:

1. Up: the fence's paths go into a set in the page cache's Redis, then
   `pagecache:fence` names it (one fence at a time: a second release at the
   same instant waits for the first). From the moment a process next reads
   the generation, which it reads with the fence in one round trip, it
   neither serves nor stores those paths: it renders them, each render in
   one database snapshot (middleware.py).
2. The committer waits out the generation's trust, so that every process has
   read the fence before anything changes.
3. The caller commits; `Fence.confirm()`, its last step inside the
   transaction, refuses the commit when the fence is no longer up (Redis
   lost, the fence's lifetime over): no commit that the cache cannot hide.
4. Down, after the commit: a new generation and the fence lifted in one
   script, so that no process sees one without the other.

Redis down when the fence should go up: `FenceUnavailable`, and the caller
does not commit (a release is tried again). Down when it should come down:
the purge waits in the database as any purge does (store.py), and the fence
lapses after `PAGECACHE_FENCE_SECONDS`; until then the fenced paths are
rendered, never served old.

The page cache's Redis evicts (allkeys-lru). The fence and the generation
are read by every process every few milliseconds, so they are the most
recently used keys and never the ones LRU picks; their lifetime is set, so
that a committer killed in the middle leaves no fence for long.

Front-end caches (a CDN, a browser) are outside the promise: the pages say
`Cache-Control: no-cache`, so that a browser asks again rather than guess
a lifetime from Last-Modified.
"""

import logging
import time
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import transaction

from changes.changeset import first_on_commit

from . import store

logger = logging.getLogger(__name__)

# KEYS: the fence, its paths, the generation. ARGV: the fence's id, a new
# generation. The generation moves and the fence goes in one step.
LIFT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('DEL', KEYS[1])
end
redis.call('DEL', KEYS[2])
if ARGV[2] ~= '' then
    redis.call('SET', KEYS[3], ARGV[2])
end
return 1
"""
# Margin over the generation's trust: a process's clock reads and Redis's
# round trip.
TRUST_MARGIN_SECONDS = 0.02
POLL_SECONDS = 0.02


class FenceUnavailable(RuntimeError):
    """The fence cannot be put up or is no longer up: do not commit."""


# Set when a fence came down with its commit: that commit's purge is done.
_lifted_with_commit = ContextVar("pagecache_fence_lifted_with_commit", default=False)


def purged_by_a_fence():
    """Whether a fence came down with the commit being acted on (its new
    generation is the purge); asked once, by the change set's purge."""
    lifted = _lifted_with_commit.get()
    _lifted_with_commit.set(False)
    return lifted


@dataclass
class Fence:
    id: str
    paths: frozenset
    client: object = None  # None: the cache is off, nothing to fence
    lifted: bool = False

    @property
    def paths_key(self):
        return store.FENCE_PATHS_PREFIX + self.id

    def confirm(self):
        """The last step inside the transaction: still up, or no commit."""
        if self.client is None:
            return
        try:
            ours = self.client.get(store.FENCE_KEY) == self.id.encode()
            if ours:
                self.client.expire(store.FENCE_KEY, fence_seconds())
        except redis.RedisError as exc:
            raise FenceUnavailable(f"sidcachen svarar inte: {exc!r}") from exc
        if not ours:
            raise FenceUnavailable("staketet är inte längre uppe")
        # Down first thing after the commit, before the follow-up work of a
        # large one (Wagtail's index updates, the webhooks' tasks): until it
        # is, every fenced path is rendered.
        first_on_commit(self._lift_with_commit)

    def _lift_with_commit(self):
        self.lift(purge=True)
        _lifted_with_commit.set(True)

    def lift(self, purge):
        """Down, with a new generation when `purge` (something changed);
        once."""
        if self.client is None or self.lifted:
            return
        self.lifted = True
        cache = store.get_cache()
        token = store.new_token() if purge else b""
        try:
            self.client.eval(
                LIFT, 3, store.FENCE_KEY, self.paths_key, store.GENERATION_KEY, self.id, token
            )
        except redis.RedisError:
            logger.warning(
                "Kunde inte ta ned staketet i sidcachen; det faller efter %s s.",
                fence_seconds(),
                exc_info=True,
            )
            if purge:
                cache.purge()  # kept in the database until Redis answers
            return
        if purge:
            cache.local.clear()
        cache.forget()


def fence_seconds():
    return settings.PAGECACHE_FENCE_SECONDS


def trust_seconds():
    """How long a process may go on without reading the fence."""
    return store.get_cache().config.generation_check_seconds + TRUST_MARGIN_SECONDS


def paths_of_pages(pages):
    """What a change to `pages` can show on: each page's own path, its
    parent's (which lists its children), and the whole API (its listings
    and filters name no page). The parents in one query: a release of a
    thousand pages finds them before its instant."""
    from wagtail.models import Page

    paths = {f"{prefix}*" for prefix in settings.PAGECACHE_PREFIXES}
    pages = list(pages)
    known = {page.path for page in pages}
    parents = {page.path[: -Page.steplen] for page in pages if page.depth > 1} - known
    for each in [*pages, *Page.objects.filter(path__in=parents)]:
        parts = each.get_url_parts()
        if parts is not None:
            paths.add(parts[2])
    return paths


def raise_fence(paths, wait_seconds=None):
    """Put the fence up over `paths` (exact paths, or prefixes ending in
    `*`) and return it, once every process has read it."""
    cache = store.get_cache()
    fence = Fence(id=uuid.uuid4().hex, paths=frozenset(paths))
    if not cache.config.enabled:
        return fence
    wait_seconds = settings.PAGECACHE_FENCE_WAIT_SECONDS if wait_seconds is None else wait_seconds
    lifetime = fence_seconds()
    deadline = time.monotonic() + wait_seconds
    try:
        client = cache.client()
        pipe = client.pipeline(transaction=False)
        members = sorted(fence.paths)
        for start in range(0, len(members), 500):
            pipe.sadd(fence.paths_key, *members[start : start + 500])
        pipe.expire(fence.paths_key, lifetime + 60)
        pipe.execute()
        while not client.set(store.FENCE_KEY, fence.id, nx=True, ex=lifetime):
            if time.monotonic() >= deadline:
                client.delete(fence.paths_key)
                raise FenceUnavailable("ett annat staket är uppe")
            time.sleep(POLL_SECONDS)
    except redis.RedisError as exc:
        raise FenceUnavailable(f"sidcachen svarar inte: {exc!r}") from exc
    fence.client = client
    time.sleep(trust_seconds())
    return fence


@contextmanager
def fenced(paths, wait_seconds=None):
    """Run a change behind the fence: up before, and down with a new
    generation after its transaction commits (or down unchanged when it
    does not). Call the yielded `Fence.confirm()` last inside the transaction.
    """
    fence = raise_fence(paths, wait_seconds)
    try:
        yield fence
    except BaseException:
        fence.lift(purge=False)
        raise
    finally:
        _lifted_with_commit.set(False)
    if transaction.get_connection().in_atomic_block:
        # Inside an outer transaction the change is not committed yet: the
        # fence comes down with its commit (a rollback leaves it to lapse).
        transaction.on_commit(lambda: fence.lift(purge=True), robust=True)
    else:
        fence.lift(purge=True)
