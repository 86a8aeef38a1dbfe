"""The stack of cms/stack.py in processes of the benchmark's own, with their
logs in a folder; `manage.py` commands; a visitor's HTTP request."""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter

from cms import stack as definition

from . import BASE_DIR
from .report import say

PYTHON = sys.executable
MANAGE = str(BASE_DIR / "manage.py")


def manage(env, *args, timeout=600):
    """Run a management command in `env`; return its wall time in seconds."""
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
    """The processes of cms/stack.py as the compose file runs them (gunicorn
    for the web server, on 127.0.0.1:`web_port`), or those of them named in
    `only`, each in a session (a process group) of its own, its output in
    `log_dir/<name>.log`. The workers are named `bench-schedule@...` and
    `bench-background@...`."""

    def __init__(self, env, log_dir, web_port, web_workers=2, concurrency=None, only=None):
        self.env = env
        self.log_dir = log_dir
        self.web_port = web_port
        self.web_workers = web_workers
        self.concurrency = concurrency
        self.only = only
        self.processes = {}
        self.logs = {}

    @property
    def web_url(self):
        return f"http://127.0.0.1:{self.web_port}"

    def commands(self):
        web = definition.gunicorn(PYTHON, f"127.0.0.1:{self.web_port}", self.web_workers)
        commands = definition.stack_commands(
            PYTHON,
            web=web,
            beat_schedule=self.log_dir / "celerybeat-schedule",
            concurrency=self.concurrency,
            hostname_prefix="bench-",
        )
        return {name: argv for name, argv in commands.items() if name in (self.only or commands)}

    def start(self):
        for name, command in self.commands().items():
            log_path = self.log_dir / f"{name}.log"
            self.logs[name] = log_path
            with open(log_path, "ab") as log_file:
                # A session of its own: a Ctrl-C on the terminal reaches the
                # benchmark only, which then stops these in order.
                self.processes[name] = subprocess.Popen(
                    command,
                    env=self.env,
                    cwd=BASE_DIR,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )

    def check_alive(self):
        """Raise, with the end of its log, if a process has exited."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited ({process.returncode}):\n{self.tail(name)}")

    def tail(self, name, lines=40):
        try:
            return "\n".join(self.logs[name].read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_for_workers(self, app, count=2, timeout=90):
        """Until `count` workers answer a ping; returns their names."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            replies = app.control.ping(timeout=1.0) or []
            if len(replies) >= count:
                return [name for reply in replies for name in reply]
        raise RuntimeError(f"the workers did not answer a ping:\n{self.tail('worker')}")

    def wait_for_web(self, path="/", timeout=60):
        wait_until_served(self.web_url + path, time.monotonic() + timeout)

    def log_problems(self, name):
        """(ERROR lines, deadlocks) in a worker's log; (None, None) without one."""
        try:
            text = self.logs[name].read_text(errors="replace")
        except (KeyError, OSError):
            return None, None
        errors = sum(1 for line in text.splitlines() if "ERROR/" in line)
        return errors, text.count("DeadlockDetected")

    def stop(self, timeout=30):
        """SIGTERM to each, then SIGKILL to the process group of any that has
        not stopped within `timeout` seconds."""
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


def worker_totals(app):
    """Tasks run so far by the workers, by name (from `celery inspect stats`)."""
    stats = app.control.inspect(timeout=3.0).stats() or {}
    totals = Counter()
    for worker in stats.values():
        totals.update(worker.get("total", {}))
    return dict(totals)


def served(url):
    """The HTTP status of `url` (the benchmark's own web server, plain http)
    as a visitor behind the TLS proxy gets it; None if nothing answers."""
    return visit(url)[0]


def visit(url):
    """(status, body as text) of `url`, as `served` asks for it; (None, "")
    if nothing answers."""
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, ""
    except OSError:
        return None, ""


def wait_until_served(url, deadline):
    """Until the web server answers at `url` (any status), or raise at the
    monotonic `deadline`."""
    while served(url) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the web server does not answer at {url}")
        time.sleep(0.2)
