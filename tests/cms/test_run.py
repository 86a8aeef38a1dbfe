"""`make run` as a new user runs it: SQLite under var/, web, workers and beat
in the foreground, Ctrl-C stops them all; with and without Redis."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from cms.settings.environment import redis_url_with_db
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent.parent


def manage(env, *args, timeout=120):
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=True,
    )  # fmt: skip


@pytest.fixture
def laptop_env(tmp_path):
    """The environment of a fresh clone: no DATABASE_URL, state under var/."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.dev",
        VAR_DIR=str(tmp_path / "var"),
        ADMIN_PASSWORD="ett-langt-losenord-for-test",
        PYTHONUNBUFFERED="1",
    )
    # The cache follows REDIS_URL (the next database number), as on a laptop.
    for name in ("CACHE_BACKEND", "CACHE_REDIS_URL"):
        env.pop(name, None)
    manage(env, "migrate", "--noinput")
    manage(env, "load_demo")
    return env


def wait_for(url, deadline):
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, response.read().decode()
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer in time")


def run_stack(env, tmp_path):
    port = free_port()
    log = open(tmp_path / "stack.log", "w+")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "runstack", "--port", str(port)],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    return process, port, log


def read(log):
    log.flush()
    log.seek(0)
    return log.read()


def wait_in_log(log, text, deadline):
    while time.monotonic() < deadline:
        if text in read(log):
            return
        time.sleep(0.3)
    raise AssertionError(f"{text!r} never appeared in:\n{read(log)}")


def stop_and_check(process, log):
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError("runstack did not stop on Ctrl-C:\n" + read(log)) from None
    assert process.returncode == 0, read(log)


def children_of(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


@pytest.mark.parametrize("with_redis", [True, False], ids=["redis", "embedded-broker"])
def test_make_run_serves_the_page_and_stops_on_ctrl_c(laptop_env, tmp_path, with_redis):
    env = dict(laptop_env)
    if with_redis:
        # A database number of its own, so nothing else's queue is touched.
        # The Redis the tests use (make test may have started a private one),
        # on a database number of its own.
        env["REDIS_URL"] = redis_url_with_db(settings.REDIS_URL, 13)
    else:
        env["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there

    process, port, log = run_stack(env, tmp_path)
    try:
        deadline = time.monotonic() + 90
        status, html = wait_for(f"http://127.0.0.1:{port}/internationella-samarbeten/", deadline)
        assert status == 200
        assert "Utveckling genom internationella samarbeten" in html
        assert 'lang="sv"' in html
        status, _ = wait_for(f"http://127.0.0.1:{port}/admin/login/", deadline)
        assert status == 200
        wait_in_log(log, "schedule@", deadline)  # the scheduling worker
        wait_in_log(log, "background@", deadline)  # the background worker
        while read(log).count(" ready.") < 2 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert read(log).count(" ready.") == 2, read(log)
        wait_in_log(log, "celery beat v", deadline)  # beat's banner
        children = children_of(process.pid)
        assert len(children) == 4, read(log)  # web, two workers, beat
        output = read(log)
        if with_redis:
            assert "redis://" in output and "Ingen Redis svarar" not in output
        else:
            assert output.count("Ingen Redis svarar") == 1
            assert "filesystem://" in output
            # The embedded broker keeps all its folders under var/, none in the checkout.
            assert (Path(env["VAR_DIR"]) / "broker" / "control").is_dir()
    finally:
        stop_and_check(process, log)
    for child in children:
        with pytest.raises(ProcessLookupError):
            os.kill(child, 0)
    # The default database is the SQLite file under var/, in WAL mode.
    # WAL mode is persistent: it is recorded in the file itself.
    with sqlite3.connect(Path(env["VAR_DIR"]) / "db.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_ensure_admin_prints_a_generated_password_once(laptop_env):
    env = dict(laptop_env)
    env.pop("ADMIN_PASSWORD")
    first = manage(env, "ensure_admin").stdout
    assert "lösenordet:" in first
    password = first.split("lösenordet: ")[1].split()[0]
    assert len(password) >= 12
    assert manage(env, "ensure_admin").stdout == ""
    check = manage(
        env, "shell", "--no-imports", "-c",
        "from django.contrib.auth import authenticate;"
        f"print(authenticate(username='admin', password={password!r}) is not None)",
    )  # fmt: skip
    assert check.stdout.strip() == "True"


def test_ensure_admin_takes_admin_password(laptop_env):
    env = dict(laptop_env, ADMIN_PASSWORD="ett-annat-langt-losenord")
    manage(env, "ensure_admin")
    check = manage(
        env, "shell", "--no-imports", "-c",
        "from django.contrib.auth import authenticate;"
        "u = authenticate(username='admin', password='ett-annat-langt-losenord');"
        "print(u is not None and u.is_superuser)",
    )  # fmt: skip
    assert check.stdout.strip() == "True"
