"""cms/stack.py: the one definition of the stack's processes."""

import sys

from django.conf import settings

from cms import stack


def commands(**kwargs):
    web = stack.gunicorn(sys.executable, "127.0.0.1:8000", workers=2)
    return stack.stack_commands(sys.executable, web=web, beat_schedule="beat-file", **kwargs)


def option(argv, name):
    return argv[argv.index(name) + 1]


def test_the_four_processes():
    found = commands()
    assert list(found) == ["web", "worker", "background", "beat"]
    assert found["web"] == [
        sys.executable, "-m", "gunicorn", "cms.wsgi:application",
        "--bind", "127.0.0.1:8000", "--workers", "2", "--forwarder-headers", "",
    ]  # fmt: skip
    assert found["beat"][:4] == [sys.executable, "-m", "celery", "-A"]
    assert option(found["beat"], "--schedule") == "beat-file"


def test_scheduling_worker_has_its_queue_and_the_configured_concurrency(monkeypatch):
    monkeypatch.delenv("CELERY_CONCURRENCY", raising=False)
    worker = commands()["worker"]
    assert worker[:5] == [sys.executable, "-m", "celery", "-A", "cms"]
    assert option(worker, "--queues") == settings.SCHEDULE_QUEUE
    assert option(worker, "--concurrency") == "2"
    assert option(worker, "--hostname") == "schedule@%h"
    monkeypatch.setenv("CELERY_CONCURRENCY", "5")
    assert option(commands()["worker"], "--concurrency") == "5"
    assert option(commands(concurrency=3)["worker"], "--concurrency") == "3"


def test_background_worker_takes_the_default_queue_one_at_a_time_niced():
    background = commands(hostname_prefix="bench-")["background"]
    assert background[:3] == ["nice", "-n", str(stack.BACKGROUND_NICE)]
    assert stack.BACKGROUND_NICE > 0
    assert option(background, "--queues") == "celery"
    assert option(background, "--concurrency") == "1"
    assert option(background, "--hostname") == "bench-background@%h"
    assert "nice" not in commands()["worker"]


def test_every_routed_queue_has_a_worker():
    found = commands()
    consumed = {option(found[name], "--queues") for name in ("worker", "background")}
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert routed | {"celery"} == consumed


def test_a_worker_of_its_own_kind():
    """As the pipeline tests start one: both queues, solo pool, extra flags,
    the pool's concurrency."""
    argv = stack.celery(
        "py", stack.celery_worker(["a", "b"], None, "w@x", pool="solo", extra=("--flag",))
    )
    assert argv == [
        "py", "-m", "celery", "-A", "cms", "worker", "--loglevel", "INFO",
        "--queues", "a,b", "--pool", "solo", "--hostname", "w@x", "--flag",
    ]  # fmt: skip


def test_runserver_without_the_autoreloader():
    assert stack.runserver("py", "127.0.0.2", 8001, "/x/manage.py") == [
        "py", "/x/manage.py", "runserver", "127.0.0.2:8001", "--noreload",
    ]  # fmt: skip
