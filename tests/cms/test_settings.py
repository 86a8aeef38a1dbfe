"""The settings as each environment loads them: production's deploy checks and
its refusal to start without a key, the development database and its
locking, the Redis split between broker and cache, e-mail's TLS flag,
collectstatic finding each file once, Celery refusing pickle.

Each environment is loaded in a subprocess of its own, from a clean
environment: settings are read once per process.
"""

import json
import os
import re
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent.parent
READS = re.compile(
    r"""env_(?:str|required|bool|int|list)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|os\.environ(?:\.get|\.setdefault)?[(\[]\s*["']([A-Z][A-Z0-9_]*)["']"""
)


def clean_env(**extra):
    """This process's environment minus every variable the settings read, so
    nothing of the machine's (or CI's) leaks into the settings under test."""
    # DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests set it in this process.
    drop = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    for path in (ROOT / "cms" / "settings").glob("*.py"):
        drop |= {a or b for a, b in READS.findall(path.read_text())}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(extra)
    return env


def run(env, *args, timeout=120):
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def production_env(tmp_path, **extra):
    """An HTTPS deployment: a fresh random key, the site's host and origin."""
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'db.sqlite3'}"
    return clean_env(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY=secrets.token_urlsafe(48),  # 64 characters
        ALLOWED_HOSTS="www.example.org",
        CSRF_TRUSTED_ORIGINS="https://www.example.org",
        WAGTAILADMIN_BASE_URL="https://www.example.org",
        DATABASE_URL=database_url,
        VAR_DIR=str(tmp_path / "var"),
        **extra,
    )


def test_production_passes_the_deploy_checks_without_a_warning(tmp_path):
    env = production_env(tmp_path)
    assert len(env["SECRET_KEY"]) == 64
    result = run(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output and "System check identified no issues" in output


@pytest.mark.parametrize("secret_key", [None, ""], ids=["unset", "empty"])
def test_production_refuses_to_start_without_a_secret_key(tmp_path, secret_key):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key
    result = run(env, "manage.py", "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr.strip().splitlines()[-1]


DEV_DATABASE = """
import json, sqlite3
import django
django.setup()
from django.conf import settings
from django.db import connection, transaction

with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    journal_mode = cursor.fetchone()[0]
    cursor.execute("PRAGMA busy_timeout")
    busy_timeout = cursor.fetchone()[0]

# IMMEDIATE: a transaction takes the write lock at BEGIN, before it writes.
with transaction.atomic():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    other = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        other_could_write = True
    except sqlite3.OperationalError as error:
        other_could_write = str(error)
    finally:
        other.close()

print(json.dumps({
    "DATABASES": settings.DATABASES,
    "journal_mode": journal_mode,
    "busy_timeout": busy_timeout,
    "other_could_write": other_could_write,
}, default=str))
"""


def test_dev_defaults_to_sqlite_under_var_dir_in_wal_mode(tmp_path):
    env = clean_env(DJANGO_SETTINGS_MODULE="cms.settings.dev", VAR_DIR=str(tmp_path))
    assert "DATABASE_URL" not in env
    result = run(env, "-c", DEV_DATABASE)
    assert result.returncode == 0, result.stderr
    print(result.stdout)  # settings.DATABASES, shown with -s or on failure
    data = json.loads(result.stdout.strip().splitlines()[-1])
    default = data["DATABASES"]["default"]
    assert default["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(default["NAME"]) == tmp_path / "db.sqlite3"
    # Readers never wait for the writer; a busy lock is waited for, seconds.
    assert data["journal_mode"] == "wal"
    assert data["busy_timeout"] >= 5000
    # IMMEDIATE: a transaction takes the write lock at BEGIN, before it writes.
    assert data["other_could_write"] == "database is locked"
    # WAL is recorded in the file, for every process that opens it.
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize(
    "redis_url",
    [None, "redis://redis:6379/0", "redis://127.0.0.1:6379/5", "redis://redis:6379"],
    ids=["default", "compose", "db5", "no-db"],
)
@pytest.mark.parametrize("module", ["dev", "production"])
def test_broker_and_cache_use_different_redis_databases(tmp_path, redis_url, module):
    env = clean_env(
        DJANGO_SETTINGS_MODULE=f"cms.settings.{module}",
        SECRET_KEY=secrets.token_urlsafe(48),
        VAR_DIR=str(tmp_path),
    )
    assert "CACHE_BACKEND" not in env
    if redis_url:
        env["REDIS_URL"] = redis_url
    code = (
        "import json; from django.conf import settings as s;"
        "print(json.dumps([s.CELERY_BROKER_URL, s.CACHES['default']]))"
    )
    result = run(env, "-c", code)
    assert result.returncode == 0, result.stderr
    broker, cache = json.loads(result.stdout.strip().splitlines()[-1])
    assert cache["BACKEND"] == "cms.cache.ResilientRedisCache"
    broker_url, cache_url = urlsplit(broker), urlsplit(cache["LOCATION"])
    assert broker == (redis_url or "redis://127.0.0.1:6379/0")
    assert broker_url.netloc == cache_url.netloc  # the same server
    broker_db = int(broker_url.path.strip("/") or 0)
    cache_db = int(cache_url.path.strip("/") or 0)
    assert broker_db != cache_db


def test_celery_reads_the_settings_and_refuses_a_pickled_message():
    """Unpickling a message can run any code its sender chose: the app (as a
    worker would) accepts what it sends itself and refuses pickle."""
    from kombu.exceptions import ContentDisallowed
    from kombu.serialization import dumps, loads, prepare_accept_content

    from cms.celery import app

    # The CELERY_ settings reach the app (Celery's own default is amqp://).
    assert app.conf.broker_url == settings.CELERY_BROKER_URL
    accept = prepare_accept_content(app.conf.accept_content)  # as the worker does
    message = {"args": [1], "kwargs": {"revision_id": 2}}
    content_type, encoding, body = dumps(message, serializer=app.conf.task_serializer)
    assert loads(body, content_type, encoding, accept=accept) == message
    content_type, encoding, body = dumps(message, serializer="pickle")
    with pytest.raises(ContentDisallowed):
        loads(body, content_type, encoding, accept=accept)


SMTP_CONNECTION = """
import json
import django
django.setup()
from django.core.mail import get_connection
connection = get_connection()
print(json.dumps([type(connection).__name__, connection.use_tls]))
"""


@pytest.mark.parametrize(
    "value, use_tls", [("yes", True), ("true", True), ("off", False), (None, False)]
)
def test_email_use_tls_reads_yes_and_no_like_every_flag(tmp_path, value, use_tls):
    env = clean_env(
        DJANGO_SETTINGS_MODULE="cms.settings.dev",
        VAR_DIR=str(tmp_path),
        EMAIL_HOST="smtp.example.org",
    )
    if value is not None:
        env["EMAIL_USE_TLS"] = value
    result = run(env, "-c", SMTP_CONNECTION)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == ["EmailBackend", use_tls]


def test_email_use_tls_refuses_a_value_that_is_not_a_flag(tmp_path):
    env = clean_env(
        DJANGO_SETTINGS_MODULE="cms.settings.dev",
        VAR_DIR=str(tmp_path),
        EMAIL_HOST="smtp.example.org",
        EMAIL_USE_TLS="ja",
    )
    result = run(env, "-c", SMTP_CONNECTION)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "EMAIL_USE_TLS" in result.stderr.strip().splitlines()[-1]


def test_collectstatic_finds_each_file_once(tmp_path):
    """The project's own static files are found once (as the `cms` app's), so
    no file silently hides another of the same path."""
    static_root = tmp_path / "static"
    env = production_env(tmp_path, STATIC_ROOT=str(static_root))
    result = run(env, "manage.py", "collectstatic", "--noinput")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Found another file" not in output
    assert (static_root / "css" / "site.css").is_file()
