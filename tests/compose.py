"""docker-compose.yml as `docker-compose config` reads it (Debian's
docker-compose validates and interpolates the file without a Docker engine),
for tests/cms/test_compose.py and tests/security/test_compose_stack.py."""

import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
CADDYFILE = ROOT / "deploy" / "Caddyfile"
# What an operator must set before `docker compose up`: the file requires
# each with `${NAME:?…}`.
REQUIRED = (
    "SECRET_KEY",
    "POSTGRES_PASSWORD",
    "REDIS_PASSWORD",
    "HEALTH_TOKEN",
    "ALLOWED_HOSTS",
    "SITE_ADDRESS",
    "WAGTAILADMIN_BASE_URL",
    "EMAIL_HOST",
    "DEFAULT_FROM_EMAIL",
)


def production_values():
    """A value for each variable in REQUIRED, as an operator sets them (the
    passwords hex, as the compose file asks: they go into URLs)."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        "REDIS_PASSWORD": secrets.token_hex(16),
        "HEALTH_TOKEN": secrets.token_hex(16),
        "ALLOWED_HOSTS": "www.example.org,example.org",
        "SITE_ADDRESS": "www.example.org, example.org",
        "WAGTAILADMIN_BASE_URL": "https://www.example.org",
        "EMAIL_HOST": "smtp.example.org",
        "DEFAULT_FROM_EMAIL": "webbplatsen@example.org",
    }


def docker_compose():
    found = shutil.which("docker-compose")
    assert found, "Debian's docker-compose is missing: `sudo apt-get install docker-compose`"
    return found


def run_config(values, *args):
    """`docker-compose config` with exactly `values` for the file's variables:
    nothing from this process's environment or from an .env file."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL")
    env = {k: os.environ[k] for k in keep if k in os.environ} | values
    with tempfile.NamedTemporaryFile("w", suffix=".env") as no_env_file:
        return subprocess.run(
            [docker_compose(), "--env-file", no_env_file.name, "-f", str(COMPOSE_FILE),
             "config", *args],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip


def compose_config(values):
    """The parsed `docker-compose config` output for `values`."""
    result = run_config(values)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def published_ports(service):
    """(host address, host port, container port, protocol) of each port a
    service publishes, from the long or the short form `config` writes."""
    found = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            found.append(
                (
                    port.get("host_ip", ""),
                    str(port.get("published", "")),
                    str(port["target"]),
                    port.get("protocol", "tcp"),
                )
            )
            continue
        spec, _, protocol = str(port).partition("/")
        parts = spec.rsplit(":", 2)
        host_ip = parts[0] if len(parts) == 3 else ""
        published = parts[-2] if len(parts) >= 2 else ""
        found.append((host_ip, published, parts[-1], protocol or "tcp"))
    return found
