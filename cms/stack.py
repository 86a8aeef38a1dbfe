"""The processes of the stack and the command line of each: one definition.

    web         the web server: Django's runserver for `make run`, gunicorn
                (`cms.wsgi:application`) in production and in the benchmarks
    worker      the on-the-second work (scheduled publishing), on the
                SCHEDULE_QUEUE queue, so it never waits behind background work
    background  everything else (the default `celery` queue: Wagtail's index
                updates, stamps, purges), one process at a lower CPU priority;
                one at a time also keeps Wagtail's search-index updates from
                deadlocking each other
    beat        the periodic sweeps; exactly one, ever

`manage.py runstack` (`make run`) and the benchmarks (bench/lib) start them
from here, the pipeline tests' worker process builds its command from here,
and tests/cms/test_compose.py checks the compose file's commands against it.

Each function returns an argv list; a Celery command is built in two steps,
its arguments (`celery_worker`, `celery_beat`) and how it is run (`celery`:
`python -m celery`; the compose file runs the installed `celery` script).
"""

DEFAULT_QUEUE = "celery"
# The background worker's CPU priority, as a `nice` increment (0: none).
BACKGROUND_NICE = 10
# The scheduling worker's processes, unless CELERY_CONCURRENCY says otherwise.
DEFAULT_CONCURRENCY = 2
WSGI_APPLICATION = "cms.wsgi:application"


def schedule_queue():
    """The scheduling queue's name (the setting SCHEDULE_QUEUE)."""
    from django.conf import settings

    return settings.SCHEDULE_QUEUE


def worker_concurrency():
    from cms.settings.environment import env_int

    return env_int("CELERY_CONCURRENCY", DEFAULT_CONCURRENCY)


def celery_worker(queues, concurrency, hostname, pool=None, extra=()):
    """The `celery` arguments of a worker of the project's app that consumes
    `queues`; `concurrency=None` leaves it to the pool."""
    argv = ["-A", "cms", "worker", "--loglevel", "INFO", "--queues", ",".join(queues)]
    if concurrency is not None:
        argv += ["--concurrency", str(concurrency)]
    if pool:
        argv += ["--pool", pool]
    return [*argv, "--hostname", hostname, *extra]


def celery_beat(schedule_file):
    return ["-A", "cms", "beat", "--loglevel", "INFO", "--schedule", str(schedule_file)]


def celery(python, args, nice=0):
    """`python -m celery <args>`, at CPU priority `nice` (0: unchanged)."""
    niced = ["nice", "-n", str(nice)] if nice else []
    return [*niced, python, "-m", "celery", *args]


def runserver(python, host, port, manage="manage.py"):
    # No autoreloader: its restarts would leave the workers on old code.
    return [python, str(manage), "runserver", f"{host}:{port}", "--noreload"]


def gunicorn(python, bind, workers, forwarded_allow_ips=None, application=WSGI_APPLICATION):
    """gunicorn serving the project. `forwarded_allow_ips`: the proxies whose
    X-Forwarded-Proto it believes (its own default: loopback), in production
    the TLS proxy's address, as TRUSTED_PROXIES says to Django.

    `--forwarder-headers ""`: gunicorn's default lets those proxies set
    SCRIPT_NAME and PATH_INFO from request headers, and Caddy passes a
    client's headers on, so a visitor could split the path Django sees
    (request.path against request.path_info) and slip past every rule
    written on paths. The site is served at its root: nothing may set them."""
    argv = [python, "-m", "gunicorn", application, "--bind", bind, "--workers", str(workers)]
    if forwarded_allow_ips is not None:
        argv += ["--forwarded-allow-ips", forwarded_allow_ips]
    return [*argv, "--forwarder-headers", ""]


def stack_commands(python, *, web, beat_schedule, concurrency=None, hostname_prefix=""):
    """{name: argv} of the four processes, in the order they start. `web` is
    the web server's argv (`runserver(...)` or `gunicorn(...)`); `concurrency`
    the scheduling worker's (default: CELERY_CONCURRENCY, else 2)."""
    if concurrency is None:
        concurrency = worker_concurrency()
    worker = celery_worker([schedule_queue()], concurrency, f"{hostname_prefix}schedule@%h")
    background = celery_worker([DEFAULT_QUEUE], 1, f"{hostname_prefix}background@%h")
    return {
        "web": web,
        "worker": celery(python, worker),
        "background": celery(python, background, nice=BACKGROUND_NICE),
        "beat": celery(python, celery_beat(beat_schedule)),
    }
