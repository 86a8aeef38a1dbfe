"""Reading settings from the environment: the one place that does it.

Every setting that differs between a laptop, CI and production comes from an
environment variable read here, with a default that suits a laptop.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_str(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_required(name):
    value = os.environ.get(name)
    if not value:
        raise ImproperlyConfigured(f"The environment variable {name} must be set.")
    return value


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}.") from None


def env_list(name, default=()):
    value = os.environ.get(name)
    if value in (None, ""):
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def var_dir():
    """Where the default run keeps its state: SQLite file, broker, cache."""
    path = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
    path.mkdir(parents=True, exist_ok=True)
    return path


def redis_url_with_db(url, db):
    """The same Redis server as `url`, another database number."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, ""))


def redis_db(url):
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0


def as_ports(name, values):
    """`values` (`env_list(name)`) as TCP port numbers; anything else is
    refused, naming the variable."""
    try:
        ports = [int(value) for value in values]
    except ValueError:
        ports = [0]
    if not all(0 < port < 65536 for port in ports):
        raise ImproperlyConfigured(f"{name} must be port numbers, not {','.join(values)!r}.")
    return ports
