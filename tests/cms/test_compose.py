"""docker-compose.yml and the Dockerfile against the settings they feed.

No Docker engine runs here, so the file is read as data: the services and
their commands, the environment each app container gets (and that the
settings really read every name in it), the healthchecks, that no secret is
written in it. What can run without Docker does: the settings load from the
compose environment, gunicorn serves `cms.wsgi` and answers the web
healthcheck, the Dockerfile's collectstatic step works.
"""

import importlib.util
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
SERVICES = ("postgres", "redis", "web", "worker", "beat", "mailpit")
LONG_RUNNING = (*SERVICES, "worker-background")
# Read by Django itself, not by cms/settings.
READ_OUTSIDE_SETTINGS = {"DJANGO_SETTINGS_MODULE"}
APP_ENV_REQUIRED = {
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
}
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY$")
REQUIRED_REFERENCE = re.compile(r"\$\{[A-Z][A-Z0-9_]*:\?[^}]+\}")
READS = re.compile(
    r"""env_(?:str|required|bool|int|list)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|os\.environ(?:\.get|\.setdefault)?[(\[]\s*["']([A-Z][A-Z0-9_]*)["']"""
)


def settings_env_names():
    """Every environment variable a module in cms/settings/ reads."""
    names = set()
    for path in (ROOT / "cms" / "settings").glob("*.py"):
        for match in READS.finditer(path.read_text()):
            names.add(match.group(1) or match.group(2))
    return names


def interpolate(value, env):
    """Compose's variable substitution: ${X}, ${X:-default}, ${X:?error}, $$."""

    def replace(match):
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group(1), match.group(2), match.group(3)
        current = env.get(name, "")
        if op == ":?" and not current:
            raise KeyError(f"{name}: {arg}")
        if op == ":-" and not current:
            return arg
        return current

    return re.sub(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:[-?])([^}]*))?\}", replace, str(value))


def command_line(service):
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def healthcheck_code(service):
    """The Python source of a `CMD python -c ...` healthcheck."""
    test = service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    return test[3]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


@pytest.fixture(scope="module")
def app_services(services):
    """The services that run the image built from the Dockerfile."""
    found = {name: s for name, s in services.items() if "build" in s}
    assert {"web", "worker", "beat"} <= set(found)
    return found


@pytest.fixture(scope="module")
def dockerfile():
    return (ROOT / "Dockerfile").read_text()


def production_values():
    """What an operator sets before `docker compose up`."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
        "ALLOWED_HOSTS": "www.example.org",
    }


def clean_env(**extra):
    """This process's environment minus everything the settings read."""
    drop = settings_env_names() | READ_OUTSIDE_SETTINGS
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(extra)
    return env


def test_the_six_services_exist(services):
    assert set(SERVICES) <= set(services)
    assert services["postgres"]["image"].split(":")[0] == "postgres"
    assert services["postgres"]["image"].split(":")[1].startswith("16")
    assert services["redis"]["image"].split(":")[1].startswith("7")
    assert services["mailpit"]["image"].startswith("axllent/mailpit")


def test_web_runs_gunicorn_on_cms_wsgi(services):
    command = command_line(services["web"])
    assert re.search(r"\bgunicorn\s+cms\.wsgi:application\b", command), command
    assert "--bind 0.0.0.0:8000" in command
    assert importlib.util.find_spec("cms.wsgi") is not None


def test_migrate_and_collectstatic_run_before_web(services):
    """A one-shot migrate that web, worker and beat wait for; web collects."""
    migrate = services["migrate"]
    assert "manage.py migrate --noinput" in command_line(migrate)
    assert migrate.get("restart") == "no"
    for name in ("web", "worker", "beat"):
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully"
    web = command_line(services["web"])
    assert web.index("collectstatic --noinput") < web.index("gunicorn")
    assert "&& exec gunicorn" in web  # gunicorn gets the stop signal, as PID 1


# Where beat keeps its schedule in the container.
COMPOSE_BEAT_SCHEDULE = "/tmp/celerybeat-schedule"  # noqa: S108
# A Celery option's long and short spellings, and the name it is compared by.
CELERY_OPTIONS = {
    "-A": "app", "--app": "app",
    "-Q": "queues", "--queues": "queues",
    "-c": "concurrency", "--concurrency": "concurrency",
    "-n": "hostname", "--hostname": "hostname",
    "-P": "pool", "--pool": "pool",
    "-l": "loglevel", "--loglevel": "loglevel",
    "-s": "schedule", "--schedule": "schedule",
}  # fmt: skip


def celery_invocation(argv):
    """What matters of a Celery command line, however it is spelled: its
    CPU priority, the subcommand and the options. The compose file runs the
    `celery` script, cms/stack.py `python -m celery`."""
    argv = [interpolate(arg, os.environ) for arg in argv]
    found = {"nice": 0, "subcommand": []}
    if argv[:2] == ["nice", "-n"]:
        found["nice"], argv = int(argv[2]), argv[3:]
    if argv[1:3] == ["-m", "celery"]:
        argv = argv[3:]
    else:
        assert argv[0] == "celery", argv
        argv = argv[1:]
    words = iter(argv)
    for word in words:
        if word in CELERY_OPTIONS:
            found[CELERY_OPTIONS[word]] = next(words)
        else:
            found["subcommand"].append(word)
    found["loglevel"] = found.get("loglevel", "").upper()
    return found


@pytest.fixture(scope="module")
def stack_commands():
    """cms/stack.py's commands, with the compose file's beat schedule."""
    from cms import stack

    web = stack.gunicorn("python", "0.0.0.0:8000", workers=3)
    return stack.stack_commands("python", web=web, beat_schedule=COMPOSE_BEAT_SCHEDULE)


@pytest.mark.parametrize(
    ("service", "process"),
    [("worker", "worker"), ("worker-background", "background"), ("beat", "beat")],
)
def test_celery_services_run_the_stacks_commands(services, stack_commands, service, process):
    """The same queues, concurrency, CPU priority, hostname and beat schedule
    as cms/stack.py, which `make run` and the benchmarks start."""
    compose = celery_invocation(services[service]["command"])
    assert compose == celery_invocation(stack_commands[process])
    assert compose["app"] == "cms"


def test_web_runs_the_stacks_gunicorn(services, stack_commands):
    """The compose web server is cms/stack.py's gunicorn on port 8000 with
    three workers, plus an access log."""
    served = shlex.split(command_line(services["web"]).split("&& exec ", 1)[1])
    assert stack_commands["web"][1:3] == ["-m", "gunicorn"]
    expected = stack_commands["web"][2:]  # from `gunicorn` on
    assert served[: len(expected)] == expected


def queues_of(service):
    return celery_invocation(service["command"])["queues"].split(",")


def test_every_queue_has_a_worker(services):
    """The scheduled publishing queue and the default (background) queue each
    have a worker: a queue without one would silently pile up."""
    from django.conf import settings

    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    consumed = set(queues_of(services["worker"])) | set(queues_of(services["worker-background"]))
    assert routed | {"celery"} == consumed
    assert queues_of(services["worker"]) == [settings.SCHEDULE_QUEUE]
    beat = command_line(services["beat"])
    assert re.match(r"celery -A cms beat\b", beat)
    assert "--schedule /tmp/celerybeat-schedule" in beat
    assert importlib.util.find_spec("cms.celery") is not None


def test_app_services_get_what_the_settings_read(app_services):
    read = settings_env_names()
    for name, service in app_services.items():
        env = service["environment"]
        assert isinstance(env, dict), f"{name}: environment as a mapping"
        missing = APP_ENV_REQUIRED - set(env)
        assert not missing, f"{name} lacks {sorted(missing)}"
        unread = set(env) - read - READ_OUTSIDE_SETTINGS
        assert not unread, f"{name} sets {sorted(unread)}, which cms/settings/*.py never reads"
        module = env["DJANGO_SETTINGS_MODULE"]
        assert module == "cms.settings.production", name
        assert importlib.util.find_spec(module) is not None, module


def test_settings_read_the_names_this_test_looks_for():
    """The grep above finds what it must, so the check before means something."""
    read = settings_env_names()
    assert APP_ENV_REQUIRED - READ_OUTSIDE_SETTINGS <= read
    assert {"SECURE_SSL_REDIRECT", "WAGTAILADMIN_BASE_URL", "CSRF_TRUSTED_ORIGINS"} <= read


def test_app_environment_points_at_the_compose_services(app_services, services):
    import dj_database_url

    values = production_values()
    env = {k: interpolate(v, values) for k, v in app_services["web"]["environment"].items()}
    database = dj_database_url.parse(env["DATABASE_URL"])
    postgres = services["postgres"]["environment"]
    assert database["HOST"] == "postgres"
    assert database["NAME"] == postgres["POSTGRES_DB"]
    assert database["USER"] == postgres["POSTGRES_USER"]
    assert database["PASSWORD"] == values["POSTGRES_PASSWORD"]
    assert postgres["POSTGRES_PASSWORD"] == "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert env["EMAIL_HOST"] == "mailpit"
    # All app containers share one environment.
    for name, service in app_services.items():
        assert service["environment"] == app_services["web"]["environment"], name


def test_mailpit_smtp_port_is_email_port(services, app_services):
    port = interpolate(app_services["web"]["environment"]["EMAIL_PORT"], {})
    assert port == "1025"
    mailpit = services["mailpit"]
    exposed = {str(p) for p in mailpit.get("expose", [])}
    published = {str(p).rsplit(":", 1)[-1] for p in mailpit.get("ports", [])}
    assert port in exposed | published
    assert "8025" in published  # the UI


def test_depends_on_waits_for_healthy_postgres_and_redis(services):
    for name, service in services.items():
        depends_on = service.get("depends_on")
        if depends_on is None:
            continue
        assert isinstance(depends_on, dict), f"{name}: depends_on without conditions"
        for target, spec in depends_on.items():
            assert target in services, f"{name} depends on unknown {target}"
            assert spec.get("condition"), f"{name} -> {target} has no condition"
            if target in ("postgres", "redis"):
                assert spec["condition"] == "service_healthy", f"{name} -> {target}"
    for name in ("migrate", "web", "worker", "beat"):
        assert {"postgres", "redis"} <= set(services[name]["depends_on"]), name


def test_every_long_running_service_has_a_healthcheck(services):
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), name
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    # $$ is compose's escape: the container's shell expands $HOSTNAME, and
    # each worker is named <queue>@<hostname> by its -n option.
    for name, node in (("worker", "schedule"), ("worker-background", "background")):
        check = " ".join(services[name]["healthcheck"]["test"])
        assert f"celery -A cms inspect ping -d {node}@$$HOSTNAME" in check
        assert f"-n {node}@%h" in command_line(services[name])
    web = healthcheck_code(services["web"])
    assert "http://127.0.0.1:8000/" in web and '"Host"' in web
    compile(web, "web-healthcheck", "exec")
    compile(healthcheck_code(services["beat"]), "beat-healthcheck", "exec")


def test_no_secret_is_written_in_the_file(services):
    text = (ROOT / "docker-compose.yml").read_text()
    for name, service in services.items():
        env = service.get("environment") or {}
        assert isinstance(env, dict), name
        for key, value in env.items():
            if SECRET_NAME.search(key):
                assert REQUIRED_REFERENCE.fullmatch(str(value)), f"{name}: {key} is written out"
            # A password inside a URL is a reference as well.
            for password in re.findall(r"://[^:/@]+:([^@]+)@", str(value)):
                assert REQUIRED_REFERENCE.fullmatch(password), f"{name}: {key}"
    for required in ("SECRET_KEY", "POSTGRES_PASSWORD", "ALLOWED_HOSTS"):
        assert "${" + required + ":?" in text, required
    # Without them `docker compose` refuses to start.
    env = services["web"]["environment"]
    with pytest.raises(KeyError, match="SECRET_KEY"):
        interpolate(env["SECRET_KEY"], {})
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        interpolate(env["DATABASE_URL"], {})


def test_volumes_keep_the_database_and_media(compose, services):
    volumes = set(compose["volumes"])
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    for name in ("web", "worker"):
        assert "media:/app/media" in services[name]["volumes"], name
    assert {"postgres-data", "media"} <= volumes


def test_dockerfile(dockerfile):
    lines = [line.strip() for line in dockerfile.splitlines()]
    bases = [line.split()[1] for line in lines if line.upper().startswith("FROM ")]
    assert bases and re.fullmatch(r"python:3\.11(\.\d+)?(-slim.*)?", bases[-1]), bases
    assert "EXPOSE 8000" in lines
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert "pip install -r requirements.txt" in dockerfile
    # The build-time key lives only in the collectstatic RUN step.
    steps = re.split(r"\n(?=[A-Z]+ )", dockerfile.replace("\\\n", " "))
    with_key = [s for s in steps if "SECRET_KEY=" in s and not s.startswith("#")]
    assert len(with_key) == 1 and with_key[0].startswith("RUN ")
    assert "collectstatic --noinput" in with_key[0]
    assert not re.search(r"^(ENV|ARG)\b.*SECRET_KEY", dockerfile, re.M)


def test_dockerignore():
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", "var", ".git", "node_modules", "media", "static", ".env"} <= ignored


def test_production_settings_load_from_the_compose_environment(app_services, tmp_path):
    """The settings take every value compose gives them, typed."""
    values = production_values()
    env = clean_env(VAR_DIR=str(tmp_path))
    for key, value in app_services["web"]["environment"].items():
        env[key] = interpolate(value, values)
    code = (
        "import json; from django.conf import settings as s;"
        "print(json.dumps({'db': s.DATABASES['default'], 'broker': s.CELERY_BROKER_URL,"
        "'cache': s.CACHES['default']['LOCATION'], 'email': [s.EMAIL_BACKEND, s.EMAIL_HOST,"
        "s.EMAIL_PORT], 'hosts': s.ALLOWED_HOSTS, 'ssl': s.SECURE_SSL_REDIRECT,"
        "'debug': s.DEBUG, 'key': s.SECRET_KEY}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["db"]["ENGINE"] == "django.db.backends.postgresql"
    assert (loaded["db"]["HOST"], loaded["db"]["NAME"]) == ("postgres", "cms")
    assert loaded["broker"] == "redis://redis:6379/0"
    assert loaded["cache"] == "redis://redis:6379/1"
    assert loaded["email"] == ["cms.mail.EmailBackend", "mailpit", 1025]
    assert loaded["hosts"] == ["www.example.org"]
    assert loaded["ssl"] is True
    assert loaded["debug"] is False
    assert loaded["key"] == values["SECRET_KEY"]


def test_dockerfile_collectstatic_step_works(tmp_path):
    """The build step: production settings, a throw-away key, manifest storage."""
    env = clean_env(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY="build-time-collectstatic-only-not-a-secret",
        VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()


def test_web_command_serves_and_passes_its_healthcheck(services, app_services, tmp_path):
    """The web command, as compose runs it, on a free port and SQLite; then the
    healthcheck's own code against it."""
    values = production_values()
    env = clean_env(VAR_DIR=str(tmp_path / "var"), STATIC_ROOT=str(tmp_path / "static"))
    for key, value in app_services["web"]["environment"].items():
        env[key] = interpolate(value, values)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env["CACHE_BACKEND"] = "file"  # the page render needs no Redis
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert migrate.returncode == 0, migrate.stderr

    port = free_port()
    command = services["web"]["command"]
    assert command[:2] == ["sh", "-c"]
    script = command[2].replace("0.0.0.0:8000", f"127.0.0.1:{port}")
    script = script.replace("python ", f"{sys.executable} ", 1)
    log = open(tmp_path / "web.log", "w+")
    web = subprocess.Popen(["sh", "-c", script], env=env, cwd=ROOT, stdout=log, stderr=log)
    check = healthcheck_code(services["web"]).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            result = subprocess.run(
                [sys.executable, "-c", check], env=env, capture_output=True, text=True, timeout=30
            )
            if result.returncode == 0 or time.monotonic() > deadline or web.poll() is not None:
                break
            time.sleep(0.5)
        log.flush()
        log.seek(0)
        assert result.returncode == 0, f"{result.stderr}\n{log.read()}"
        # Not a vacuous pass: a host outside ALLOWED_HOSTS is refused (400),
        # and plain http is redirected to https.
        import urllib.error
        import urllib.request

        request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Host": "evil.test"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 400

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/", headers={"Host": "www.example.org"}
        )
        with pytest.raises(urllib.error.HTTPError) as redirected:
            urllib.request.build_opener(NoRedirect).open(request, timeout=10)
        assert redirected.value.code == 301
        assert redirected.value.headers["Location"] == "https://www.example.org/"
    finally:
        web.terminate()
        web.wait(timeout=30)
        log.close()
