"""What the purge tests share: a visitor's GET, a page cached for sure, a
second process (a web server or a shell) on the test database."""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.test import Client

from tests.tasks.support import database_url

ROOT = Path(__file__).resolve().parent.parent.parent
PUBLISH = {"action-publish": "action-publish"}


def visit(url):
    return Client().get(url)


def cache(url):
    """GET `url` until it comes from the cache; the cached response."""
    visit(url)
    response = visit(url)
    assert response["X-Page-Cache"] == "hit", url
    return response


def process_env(**extra):
    """The environment of a second process of the site: the test database,
    the same Redis, the cache on."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.test",
        "DATABASE_URL": database_url(),
        "PAGECACHE_ENABLED": "true",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


def shell(code, **env):
    """Run `code` in `manage.py shell`, a process of its own, as a script
    would: no request, no worker."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        env=process_env(**env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


class WebServer:
    """`manage.py runserver` in a process of its own, with the cache on."""

    def __init__(self, port, log_path, **env):
        self.port = port
        self.log_path = log_path
        self.env = process_env(**env)
        self.process = None

    def start(self):
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "manage.py"), "runserver",
                 f"127.0.0.1:{self.port}", "--noreload"],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while self.get("/healthz/")[0] is None:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(Path(self.log_path).read_text(errors="replace")[-3000:])
            time.sleep(0.2)
        return self

    def get(self, path):
        """(status, headers, body), or (None, None, None) if nothing answers."""
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()
        except OSError:
            return None, None, None

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
