"""docker-compose.yml and the Dockerfile against the settings they feed.

No Docker engine runs here: Debian's `docker-compose config` validates the
file and interpolates it with an operator's values, and the tests read its
output as data: the services and their commands, the environment each app
container gets (and that the settings really read every name in it), the
healthchecks. The file itself is read for what `config` resolves away: that
every secret in it is a reference to the environment. What can run without
Docker does: the settings load from the compose environment and pass the
deploy checks, gunicorn serves `cms.wsgi` and answers the web healthcheck,
the Dockerfile's collectstatic step works. tests/security/test_compose_stack.py
holds what the stack shows the internet: the proxy, the ports, Redis.
"""

import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.compose import REQUIRED, compose_config, production_values
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
SERVICES = ("caddy", "postgres", "redis", "redis-pagecache", "web", "worker", "beat", "mailpit")
LONG_RUNNING = (*SERVICES, "worker-background")
# Read by Django itself, not by cms/settings.
# DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests set it in this process.
READ_OUTSIDE_SETTINGS = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
APP_ENV_REQUIRED = {
    "DATABASE_URL",
    "REDIS_URL",
    "CACHE_REDIS_URL",
    "PAGECACHE_REDIS_URL",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "TRUSTED_PROXIES",
    "HEALTH_TOKEN",
    "DJANGO_SETTINGS_MODULE",
}
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|AUTH|_KEY$")
REQUIRED_REFERENCE = re.compile(r"\$\{[A-Z][A-Z0-9_]*:\?[^}]+\}")
# An optional secret (the SMTP login): from the environment or empty.
OPTIONAL_REFERENCE = re.compile(r"\$\{[A-Z][A-Z0-9_]*:-\}")
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


def unescape(value):
    """A string as the container gets it: `config` keeps compose's `$$`
    escape (a literal `$`, for the container's shell to expand)."""
    return str(value).replace("$$", "$")


def command_line(service):
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def healthcheck_code(service):
    """The Python source of a `CMD python -c ...` healthcheck."""
    test = service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    return test[3]


@pytest.fixture(scope="module")
def values():
    return production_values()


@pytest.fixture(scope="module")
def compose(values):
    """The file as `docker compose up` would run it with the operator's values."""
    return compose_config(values)


@pytest.fixture(scope="module")
def raw():
    """The file as written, references and all."""
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


def clean_env(**extra):
    """This process's environment minus everything the settings read."""
    drop = settings_env_names() | READ_OUTSIDE_SETTINGS
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(extra)
    return env


def test_the_services_exist(services):
    assert set(SERVICES) <= set(services)
    assert services["postgres"]["image"].split(":")[0] == "postgres"
    assert services["postgres"]["image"].split(":")[1].startswith("16")
    for name in ("redis", "redis-pagecache"):
        assert services[name]["image"].split(":")[1].startswith("7"), name
    assert services["caddy"]["image"].split(":")[0] == "caddy"
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
    argv = [unescape(arg) for arg in argv]
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
    """cms/stack.py's commands, with the compose file's beat schedule, its
    gunicorn (which believes the proxy the container's TRUSTED_PROXIES
    names) and the default concurrency (`config` ran without
    CELERY_CONCURRENCY)."""
    from cms import stack

    web = stack.gunicorn(
        "python", "0.0.0.0:8000", workers=3, forwarded_allow_ips="$TRUSTED_PROXIES"
    )
    return stack.stack_commands(
        "python",
        web=web,
        beat_schedule=COMPOSE_BEAT_SCHEDULE,
        concurrency=stack.DEFAULT_CONCURRENCY,
    )


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
    three workers, believing X-Forwarded-Proto from the proxy alone."""
    served = shlex.split(unescape(command_line(services["web"])).split("&& exec ", 1)[1])
    assert stack_commands["web"][1:3] == ["-m", "gunicorn"]
    assert served == stack_commands["web"][2:]  # from `gunicorn` on


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


def test_app_environment_points_at_the_compose_services(app_services, services, values):
    import dj_database_url

    env = app_services["web"]["environment"]
    database = dj_database_url.parse(env["DATABASE_URL"])
    postgres = services["postgres"]["environment"]
    assert database["HOST"] == "postgres"
    assert database["NAME"] == postgres["POSTGRES_DB"]
    assert database["USER"] == postgres["POSTGRES_USER"]
    assert database["PASSWORD"] == values["POSTGRES_PASSWORD"] == postgres["POSTGRES_PASSWORD"]
    # The broker and the cache in the Redis that evicts nothing, on
    # databases 0 and 1; the page cache alone in its own.
    for name, host, db in (
        ("REDIS_URL", "redis", "/0"),
        ("CACHE_REDIS_URL", "redis", "/1"),
        ("PAGECACHE_REDIS_URL", "redis-pagecache", "/0"),
    ):
        url = urlsplit(env[name])
        assert (url.scheme, url.hostname, url.port, url.path) == ("redis", host, 6379, db), name
        assert url.password == values["REDIS_PASSWORD"], name
        assert host in services, name
    assert env["EMAIL_HOST"] == values["EMAIL_HOST"]
    # All app containers share one environment.
    for name, service in app_services.items():
        assert service["environment"] == env, name


def test_mailpit_is_for_trying_the_stack_only(services, app_services, values):
    """Mailpit runs only with `--profile dev`: its SMTP port is the compose
    network's, its UI this machine's; production sends through EMAIL_HOST,
    over TLS unless told otherwise."""
    mailpit = services["mailpit"]
    assert mailpit["profiles"] == ["dev"]
    assert "1025" in {str(p) for p in mailpit.get("expose", [])}
    assert mailpit["ports"] == ["127.0.0.1:8025:8025/tcp"]
    env = app_services["web"]["environment"]
    assert (env["EMAIL_HOST"], env["EMAIL_PORT"], env["EMAIL_USE_TLS"]) == (
        values["EMAIL_HOST"], "587", "true",
    )  # fmt: skip
    assert env["EMAIL_ALLOW_PLAINTEXT"] == "false"
    dev = compose_config(
        values
        | {"EMAIL_HOST": "mailpit", "EMAIL_PORT": "1025", "EMAIL_USE_TLS": "false",
           "EMAIL_ALLOW_PLAINTEXT": "true"}
    )["services"]["web"]["environment"]  # fmt: skip
    assert (dev["EMAIL_HOST"], dev["EMAIL_PORT"], dev["EMAIL_ALLOW_PLAINTEXT"]) == (
        "mailpit", "1025", "true",
    )  # fmt: skip


def test_depends_on_waits_for_healthy_postgres_and_redis(services):
    dev_only = {name for name, s in services.items() if s.get("profiles")}
    for name, service in services.items():
        depends_on = service.get("depends_on")
        if depends_on is None:
            continue
        assert isinstance(depends_on, dict), f"{name}: depends_on without conditions"
        for target, spec in depends_on.items():
            assert target in services, f"{name} depends on unknown {target}"
            assert target not in dev_only, f"{name} would not start without --profile dev"
            assert spec.get("condition"), f"{name} -> {target} has no condition"
            if target in ("postgres", "redis", "redis-pagecache"):
                assert spec["condition"] == "service_healthy", f"{name} -> {target}"
    for name in ("migrate", "web", "worker", "beat"):
        assert {"postgres", "redis"} <= set(services[name]["depends_on"]), name
    for name in ("web", "worker", "worker-background", "beat"):
        assert "redis-pagecache" in services[name]["depends_on"], name


def test_every_long_running_service_has_a_healthcheck(services, values):
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), name
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    # Redis asks for its password: the check authenticates, without `-a`.
    for name in ("redis", "redis-pagecache"):
        check = " ".join(services[name]["healthcheck"]["test"])
        assert "redis-cli ping" in check and " -a " not in check, name
        assert services[name]["environment"]["REDISCLI_AUTH"] == values["REDIS_PASSWORD"], name
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


def test_no_secret_is_written_in_the_file(raw):
    """Every secret in the file is a reference to the environment: required
    (`${NAME:?…}`) or, for the SMTP login a relay may not need, empty unless
    set (`${NAME:-}`). tests/security/test_compose_stack.py runs `config`
    without each required one."""
    text = (ROOT / "docker-compose.yml").read_text()
    blocks = [raw["x-app"], *raw["services"].values()]
    checked = set()
    for block in blocks:
        env = block.get("environment") or {}
        assert isinstance(env, dict), block
        for key, value in env.items():
            if SECRET_NAME.search(key):
                assert REQUIRED_REFERENCE.fullmatch(str(value)) or OPTIONAL_REFERENCE.fullmatch(
                    str(value)
                ), f"{key} is written out"
                checked.add(key)
            # A password inside a URL is a reference as well.
            for password in re.findall(r"://[^:/@]*:([^@]+)@", str(value)):
                assert REQUIRED_REFERENCE.fullmatch(password), key
                checked.add(key)
    assert {"SECRET_KEY", "HEALTH_TOKEN", "REDISCLI_AUTH", "DATABASE_URL", "REDIS_URL",
            "PAGECACHE_REDIS_URL", "EMAIL_HOST_PASSWORD"} <= checked  # fmt: skip
    for required in REQUIRED:
        assert "${" + required + ":?" in text, required


def test_the_example_environment_names_what_is_required_and_holds_no_secret():
    """deploy/env.example, the operator's .env to fill in: every required
    variable is there, and every secret in it is empty."""
    lines = (ROOT / "deploy" / "env.example").read_text().splitlines()
    example = dict(
        line.split("=", 1) for line in lines if line.strip() and not line.startswith("#")
    )
    assert set(REQUIRED) <= set(example)
    written = {name for name, value in example.items() if SECRET_NAME.search(name) and value}
    assert not written, f"env.example gives {sorted(written)} a value"
    # Its names are the compose file's own.
    text = (ROOT / "docker-compose.yml").read_text()
    for name in example:
        assert "${" + name + ":" in text, name


def test_volumes_keep_the_database_and_media(compose, services):
    volumes = set(compose["volumes"])
    assert "postgres-data:/var/lib/postgresql/data:rw" in services["postgres"]["volumes"]
    for name in ("web", "worker"):
        assert "media:/app/media:rw" in services[name]["volumes"], name
    # Caddy serves the uploads' renditions, and may not change them; its
    # certificates and ACME account outlive the container.
    assert {"media:/srv/media:ro", "caddy-data:/data:rw"} <= set(services["caddy"]["volumes"])
    assert {"postgres-data", "redis-data", "media", "caddy-data"} <= volumes


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


def compose_env(app_services, **extra):
    """This process's environment as the web container's: what compose gives
    it, and nothing the settings read from the machine's."""
    env = clean_env(**extra)
    env.update(app_services["web"]["environment"])
    return env


def test_production_settings_load_from_the_compose_environment(app_services, values, tmp_path):
    """The settings take every value compose gives them, typed."""
    env = compose_env(app_services, VAR_DIR=str(tmp_path))
    code = (
        "import json; from django.conf import settings as s;"
        "print(json.dumps({'db': s.DATABASES['default'], 'broker': s.CELERY_BROKER_URL,"
        "'cache': s.CACHES['default']['LOCATION'], 'pagecache': s.PAGECACHE_REDIS_URL,"
        "'ratelimit': s.RATELIMIT_REDIS_URL, 'email': [s.EMAIL_BACKEND, s.EMAIL_HOST,"
        "s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_ALLOW_PLAINTEXT], 'hosts': s.ALLOWED_HOSTS,"
        "'ssl': s.SECURE_SSL_REDIRECT, 'proxies': s.TRUSTED_PROXIES,"
        "'health': s.HEALTH_TOKEN, 'debug': s.DEBUG, 'key': s.SECRET_KEY}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    password = values["REDIS_PASSWORD"]
    assert loaded["db"]["ENGINE"] == "django.db.backends.postgresql"
    assert (loaded["db"]["HOST"], loaded["db"]["NAME"]) == ("postgres", "cms")
    assert loaded["broker"] == f"redis://:{password}@redis:6379/0"
    assert loaded["cache"] == loaded["ratelimit"] == f"redis://:{password}@redis:6379/1"
    assert loaded["pagecache"] == f"redis://:{password}@redis-pagecache:6379/0"
    assert loaded["email"] == [
        "cms.mail.EmailBackend", "smtp.example.org", 587, True, False,
    ]  # fmt: skip
    assert loaded["hosts"] == ["www.example.org", "example.org"]
    assert loaded["ssl"] is True
    assert loaded["proxies"] == [app_services["web"]["environment"]["TRUSTED_PROXIES"]]
    assert loaded["health"] == values["HEALTH_TOKEN"]
    assert loaded["debug"] is False
    assert loaded["key"] == values["SECRET_KEY"]


def test_the_compose_environment_passes_the_deploy_checks(app_services, tmp_path):
    env = compose_env(app_services, VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output


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
    env = compose_env(
        app_services, VAR_DIR=str(tmp_path / "var"), STATIC_ROOT=str(tmp_path / "static")
    )
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
    script = unescape(command[2]).replace("0.0.0.0:8000", f"127.0.0.1:{port}")
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
