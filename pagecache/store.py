"""Where cached responses live: Redis, shared by every process, and a layer
in each web process's memory in front of it, both keyed by one generation.

The generation is a random token in Redis (`pagecache:generation`); every
key of an entry holds it, in Redis as in the local layer. A purge writes a
new token: from then on every process looks under the new one, so what was
cached before is never read again (Redis lets it expire). Every request reads
the token (one Redis round trip), or a process reuses what Redis said for
at most `PAGECACHE_GENERATION_CHECK_SECONDS` (50 ms: that round trip is most
of what a hit costs): that is how a purge by a worker or a shell reaches
every web process within that time, and why a process never serves its
local copy without Redis's recent word that it is current. A token, not a counter: a
Redis that restarts empty gets a new token rather than counting again from
zero into numbers that a process's memory still holds entries under.

One generation for the whole site, not one per page: a change can show on
pages that no event names (the home page's list, an API listing or filter,
a query string's variant, a contact on several pages), and a publish is rare
beside the reads. Purging everything on every change is always correct, and
costs one re-render per page after a publish, which is what a per-page
scheme would pay for the pages that matter anyway.

Redis down: nothing is served from the cache or stored (the site renders
every request, more slowly, never with an error), the local layer is
dropped (its entries can no longer be checked), and Redis is not asked
again for `PAGECACHE_RETRY_SECONDS`. A purge that cannot reach Redis is
kept in the database (`PendingPurge`); every web process looks for one once
a second, and at once when Redis answers again after it saw it fail, and
purges before it serves from the cache again: so a change made while Redis
was down is served fresh in every process once Redis is back, whichever
process made it.

A Redis of its own (`PAGECACHE_REDIS_URL`), meant to run with `maxmemory`
and an evicting policy: it holds nothing but what can be rendered again.
Whatever it loses is a miss. Losing the generation token (evicted, flushed,
a Redis restarted empty) is a purge: the next process to ask writes a new
token, and every entry, in Redis or in any process's memory, is under an
old one; a process that trusts its token for the 50 ms stops within them,
as after any purge. A write refused for want of memory stores nothing and
costs nothing else. An API path keeps at most `PAGECACHE_API_VARIANTS_PER_PATH`
query strings per generation (a set of them beside the entries, checked and
added to in the same script that stores the entry): made-up parameter
values beyond those are rendered and not kept.
"""

import json
import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.signals import setting_changed
from django.db import DatabaseError
from django.dispatch import receiver

logger = logging.getLogger(__name__)

GENERATION_KEY = "pagecache:generation"
# Up while a release commits (fence.py): the fence's id, and the paths it
# covers in a set under FENCE_PATHS_PREFIX + id.
FENCE_KEY = "pagecache:fence"
FENCE_PATHS_PREFIX = "pagecache:fence:paths:"
ENTRY_PREFIX = "pagecache:entry:"
VARIANTS_PREFIX = "pagecache:variants:"
WARN_EVERY_SECONDS = 60

# KEYS: the entry, the path's set of variants. ARGV: the entry's bytes, its
# lifetime, the variant, how many variants the path may have. 1 if stored.
STORE_VARIANT = """
if redis.call('SISMEMBER', KEYS[2], ARGV[3]) == 0 then
    if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[4]) then
        return 0
    end
    redis.call('SADD', KEYS[2], ARGV[3])
end
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
"""


@dataclass(frozen=True)
class Config:
    enabled: bool
    redis_url: str
    prefixes: tuple
    excluded_prefixes: tuple
    page_query: dict  # {parameter: the values a page answers for}
    allowed_origins: frozenset
    ignored_vary: frozenset
    timeout: int
    local_max_bytes: int
    retry_seconds: float
    pending_check_seconds: float
    generation_check_seconds: float
    api_variants_per_path: int
    uncached_read_limit: int
    uncached_read_window: int

    @classmethod
    def from_settings(cls):
        return cls(
            enabled=getattr(settings, "PAGECACHE_ENABLED", False),
            redis_url=getattr(settings, "PAGECACHE_REDIS_URL", None) or settings.CACHE_REDIS_URL,
            prefixes=tuple(getattr(settings, "PAGECACHE_PREFIXES", ())),
            excluded_prefixes=tuple(getattr(settings, "PAGECACHE_EXCLUDED_PREFIXES", ())),
            page_query={
                name: frozenset(values)
                for name, values in getattr(settings, "PAGECACHE_PAGE_QUERY", {}).items()
            },
            allowed_origins=frozenset(getattr(settings, "CORS_ALLOWED_ORIGINS", ())),
            ignored_vary=frozenset(
                h.lower() for h in getattr(settings, "PAGECACHE_IGNORED_VARY", ("cookie",))
            ),
            timeout=getattr(settings, "PAGECACHE_TIMEOUT", 600),
            local_max_bytes=getattr(settings, "PAGECACHE_LOCAL_MAX_BYTES", 32 * 1024 * 1024),
            retry_seconds=getattr(settings, "PAGECACHE_RETRY_SECONDS", 1.0),
            pending_check_seconds=getattr(settings, "PAGECACHE_PENDING_CHECK_SECONDS", 1.0),
            generation_check_seconds=getattr(settings, "PAGECACHE_GENERATION_CHECK_SECONDS", 0.0),
            api_variants_per_path=getattr(settings, "PAGECACHE_API_VARIANTS_PER_PATH", 40),
            uncached_read_limit=getattr(settings, "PAGECACHE_UNCACHED_READ_LIMIT", 30),
            uncached_read_window=getattr(settings, "PAGECACHE_UNCACHED_READ_WINDOW_SECONDS", 10),
        )


@dataclass(frozen=True)
class Entry:
    """A response as stored: status, headers (no Set-Cookie), body, and the
    validators a conditional GET is answered from."""

    status: int
    headers: tuple  # ((name, value), ...)
    body: bytes
    etag: str
    last_modified: float  # seconds since the epoch

    def encode(self):
        head = {
            "s": self.status,
            "h": list(self.headers),
            "e": self.etag,
            "m": self.last_modified,
        }
        # JSON escapes newlines, so the first one ends the head.
        return json.dumps(head, separators=(",", ":")).encode() + b"\n" + self.body

    @classmethod
    def decode(cls, data):
        head, _, body = data.partition(b"\n")
        head = json.loads(head)
        return cls(head["s"], tuple(map(tuple, head["h"])), body, head["e"], head["m"])


class LocalLayer:
    """The entries this process has served, by key, with the generation each
    belongs to; least recently used go first beyond `max_bytes`."""

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self._entries = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key, generation):
        item = self._entries.get(key)
        if item is None or item[0] != generation:
            return None
        return item[1]

    def put(self, key, generation, entry):
        size = len(entry.body) + len(key)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[2]
            self._entries[key] = (generation, entry, size)
            self._bytes += size
            while self._bytes > self.max_bytes and self._entries:
                _, (_, _, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def clear(self):
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self):
        return len(self._entries)


def new_token():
    return uuid.uuid4().hex.encode()


class PageCache:
    """The process's view of the cache: its Redis client, its local layer,
    and what it knows of Redis's health."""

    def __init__(self, config=None):
        self.config = config or Config.from_settings()
        self.local = LocalLayer(self.config.local_max_bytes)
        self._client = None
        self._store_variant = None
        self._pid = None
        self._down_until = 0.0
        self._saw_failure = False
        self._next_pending_check = 0.0
        self._warned_at = None
        self._generation = None  # as Redis last said, until _generation_until
        self._generation_until = 0.0
        self._fence = None  # (id, paths, prefixes) of the fence Redis last named

    # Redis

    def client(self):
        # A forked process (gunicorn's workers) must not share its parent's
        # sockets.
        if self._client is None or self._pid != os.getpid():
            self._client = redis.Redis.from_url(
                self.config.redis_url,
                socket_connect_timeout=0.5,
                socket_timeout=0.5,
                health_check_interval=0,
            )
            # By its digest (EVALSHA), loaded again if Redis lost it.
            self._store_variant = self._client.register_script(STORE_VARIANT)
            self._pid = os.getpid()
        return self._client

    def _failed(self, operation, exc):
        """Redis did not answer: drop what can no longer be checked, and do
        not ask again for a while."""
        self.local.clear()
        self._generation = None
        self._generation_until = 0.0
        self._fence = None
        self._saw_failure = True
        self._down_until = time.monotonic() + self.config.retry_seconds
        now = time.monotonic()
        if self._warned_at is None or now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            logger.warning(
                "Sidcachen (Redis) svarar inte (%s: %r); sidorna visas utan cache "
                "tills den är tillbaka.",
                operation,
                exc,
            )

    def generation(self):
        """The current generation, or None when Redis cannot be trusted now
        (down, or just back and purging failed)."""
        now = time.monotonic()
        if now < self._generation_until:
            return self._generation
        if now < self._down_until:
            return None
        try:
            client = self.client()
            # One round trip for both: the fence is read as often as the
            # generation, and reading them together keeps both the most
            # recently used keys of an evicting Redis.
            token, fence_id = client.mget(GENERATION_KEY, FENCE_KEY)
            if token is None:
                client.set(GENERATION_KEY, new_token(), nx=True)
                token = client.get(GENERATION_KEY)
            self._read_fence(client, fence_id)
            now = time.monotonic()
            if self._saw_failure or now >= self._next_pending_check:
                self._next_pending_check = now + self.config.pending_check_seconds
                upto = self._pending_upto()
                # Back after an outage it saw, a process purges whatever it
                # finds: a change made meanwhile may not have reached Redis.
                if self._saw_failure or upto is not None:
                    token = self._purge_redis(client)
                    self._saw_failure = False
                    if upto is not None:
                        self._forget_pending(upto)
        except redis.RedisError as exc:
            self._failed("generation", exc)
            return None
        self._remember(token)
        return token

    def _read_fence(self, client, fence_id):
        """Remember the fence Redis names (its paths read once per fence)."""
        if fence_id is None:
            self._fence = None
        elif self._fence is None or self._fence[0] != fence_id:
            members = {m.decode() for m in client.smembers(FENCE_PATHS_PREFIX + fence_id.decode())}
            prefixes = tuple(m[:-1] for m in members if m.endswith("*"))
            self._fence = (fence_id, frozenset(members), prefixes)

    def fenced(self, path):
        """Whether `path` is behind the fence of a release being committed,
        as Redis said when the generation was last read: neither served from
        the cache nor stored."""
        fence = self._fence
        return fence is not None and (path in fence[1] or path.startswith(fence[2]))

    def forget(self):
        """Ask Redis at the next request (this process changed what it
        said: a fence came down)."""
        self._generation_until = 0.0
        self._fence = None

    def _remember(self, token):
        self._generation = token
        self._generation_until = time.monotonic() + self.config.generation_check_seconds

    def entry_key(self, generation, key):
        return ENTRY_PREFIX + generation.decode() + ":" + key.text

    def variants_key(self, generation, key):
        return VARIANTS_PREFIX + generation.decode() + ":" + key.resource

    def get(self, generation, key):
        """The entry stored for `key` (a keys.Key) under `generation`, or
        None."""
        entry = self.local.get(key.text, generation)
        if entry is not None:
            return entry
        try:
            data = self.client().get(self.entry_key(generation, key))
        except redis.RedisError as exc:
            self._failed("get", exc)
            return None
        if data is None:
            return None
        entry = Entry.decode(data)
        self.local.put(key.text, generation, entry)
        return entry

    def put(self, generation, key, entry):
        """Store `entry` for `key`; whether it was stored (an API path that
        has its share of variants, or a Redis out of memory, stores
        nothing)."""
        timeout = self.config.timeout
        try:
            client = self.client()
            if key.api:
                stored = self._store_variant(
                    keys=[self.entry_key(generation, key), self.variants_key(generation, key)],
                    args=[entry.encode(), timeout, key.variant, self.config.api_variants_per_path],
                    client=client,
                )
                if not stored:
                    return False
            else:
                client.set(self.entry_key(generation, key), entry.encode(), ex=timeout)
        except redis.OutOfMemoryError:
            # maxmemory with a policy that does not evict: a miss, not an outage.
            return False
        except redis.RedisError as exc:
            self._failed("set", exc)
            return False
        self.local.put(key.text, generation, entry)
        return True

    # Purging

    def _purge_redis(self, client):
        token = new_token()
        client.set(GENERATION_KEY, token)
        return token

    def purge(self):
        """Nothing cached before now is served again, by any process. When
        Redis does not answer, the purge waits in the database until it
        does. Returns whether Redis took it now."""
        self.local.clear()
        try:
            self._remember(self._purge_redis(self.client()))
        except redis.RedisError as exc:
            self._failed("purge", exc)
            self._keep_pending()
            return False
        return True

    def _keep_pending(self):
        from .models import PendingPurge

        try:
            PendingPurge.objects.create()
        except DatabaseError:
            logger.exception("Kunde inte spara en väntande tömning av sidcachen.")

    def _pending_upto(self):
        """The last pending purge's id, or None when none waits."""
        from .models import PendingPurge

        try:
            return PendingPurge.objects.order_by("-pk").values_list("pk", flat=True).first()
        except DatabaseError:
            return None

    def _forget_pending(self, upto):
        """After a purge that Redis took: the pending ones up to `upto`,
        read before it, are done (a later one is for a later change)."""
        from .models import PendingPurge

        try:
            PendingPurge.objects.filter(pk__lte=upto).delete()
        except DatabaseError:
            pass


_cache = None
_cache_lock = threading.Lock()


def get_cache():
    """This process's PageCache (one per process, made on first use)."""
    global _cache
    if _cache is None:
        with _cache_lock:
            if _cache is None:
                _cache = PageCache()
    return _cache


def reset():
    """Forget this process's cache object (its settings changed; a test)."""
    global _cache
    with _cache_lock:
        _cache = None


@receiver(setting_changed)
def _settings_changed(setting, **kwargs):
    if setting.startswith("PAGECACHE_") or setting in ("CACHE_REDIS_URL", "CORS_ALLOWED_ORIGINS"):
        reset()


def purge():
    """Purge the whole cache, in every process (see the module's note)."""
    return get_cache().purge()
