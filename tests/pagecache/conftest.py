"""The page cache on, on the Redis the tests use (PAGECACHE_REDIS_URL) or on a
private redis-server that a test may kill and start again."""

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.test import override_settings

from pagecache import store
from security import ratelimit


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def forget_uncached_reads():
    """No API read the cache could not answer counts yet (the limit per
    client, pagecache/middleware.py): an earlier test's do not."""
    client = redis.Redis.from_url(settings.RATELIMIT_REDIS_URL)
    try:
        names = list(client.scan_iter("api-uncached:rate:*"))
        if names:
            client.delete(*names)
    finally:
        client.close()
    ratelimit.reset()


@pytest.fixture
def pagecache_on():
    """The cache on, with a generation of its own: nothing an earlier test
    cached is found."""
    with override_settings(PAGECACHE_ENABLED=True):
        client = redis.Redis.from_url(settings.PAGECACHE_REDIS_URL)
        client.delete(store.GENERATION_KEY)
        client.close()
        forget_uncached_reads()
        store.reset()
        yield store.get_cache()
    store.reset()


class PrivateRedis:
    """A redis-server of the test's own that keeps its data across a kill
    (append-only file, written at every command), so that when it comes back
    it holds what it held: the old entries, under the old generation."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.folder),
                "--save", "",
                "--appendonly", "yes",
                "--appendfsync", "always",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def kill(self):
        self.process.kill()
        self.process.wait(timeout=10)

    def client(self):
        return redis.Redis.from_url(self.url)


@pytest.fixture
def private_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server (make test installs it)")
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        with override_settings(PAGECACHE_ENABLED=True, PAGECACHE_REDIS_URL=server.url):
            forget_uncached_reads()
            store.reset()
            yield server
    finally:
        store.reset()
        if server.process.poll() is None:
            server.kill()
