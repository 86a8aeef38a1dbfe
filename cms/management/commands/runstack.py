"""Web server, Celery workers and Celery beat in the foreground: `make run`.

The processes and their commands are cms/stack.py's: the web server
(runserver), two workers (one for the scheduled publishing queue, one at a
lower CPU priority for background work) and beat. Ctrl-C (or SIGTERM) stops
them all; if one dies, the others are stopped too, so the operator never
keeps half a stack running.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand

from cms import stack
from cms.settings.environment import env_int, env_str


def redis_answers(url, timeout=0.5):
    """True when something accepts a connection and answers PING at `url`."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout):
            pass
    except OSError:
        return False
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_timeout=timeout).ping())
    except Exception:  # any failure means "no usable Redis"
        return False


class Command(BaseCommand):
    help = (
        "Startar webbservern, Celery-workers (schemaläggning och bakgrundsjobb) och "
        "Celery beat; Ctrl-C stoppar alla."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=env_int("PORT", 8000))
        parser.add_argument("--host", default=env_str("HOST", "127.0.0.1"))

    def handle(self, *args, port, host, **options):
        env = dict(os.environ)
        redis_url = settings.REDIS_URL
        if "CELERY_BROKER_URL" not in env and not redis_answers(redis_url):
            env["CELERY_BROKER_URL"] = "filesystem://"
            env["CACHE_BACKEND"] = "file"
            self.stdout.write(
                f"Ingen Redis svarar på {redis_url}: använder en inbyggd meddelandekö och "
                f"cache under {settings.VAR_DIR} (sätt REDIS_URL för att använda Redis)."
            )

        commands = stack.stack_commands(
            sys.executable,
            web=stack.runserver(sys.executable, host, port, settings.BASE_DIR / "manage.py"),
            beat_schedule=settings.CELERY_BEAT_SCHEDULE_FILENAME,
        )

        processes = {}
        stopping = False

        def stop(signum=None, frame=None):
            nonlocal stopping
            stopping = True
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

        for name, command in commands.items():
            processes[name] = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)  # noqa: S603
        self.stdout.write(
            f"Webbplatsen: http://{host}:{port}/  Redigering: http://{host}:{port}/admin/  "
            "(Ctrl-C stoppar allt)"
        )
        self.stdout.flush()

        exit_code = 0
        while any(p.poll() is None for p in processes.values()):
            for name, process in processes.items():
                code = process.poll()
                if code is not None and not stopping:
                    self.stderr.write(f"{name} avslutades ({code}); stoppar resten.")
                    exit_code = code or 1
                    stop()
            time.sleep(0.2)

        deadline = time.monotonic() + 10
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
        sys.exit(exit_code)
