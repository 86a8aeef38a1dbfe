"""The compose stack as the internet meets it (issue 14).

A client reaches only Caddy: no other service publishes a port, and gunicorn
believes X-Forwarded-* from Caddy's fixed address alone, which is the one
TRUSTED_PROXIES names. Both Redis instances want the password, the broker's
evicts nothing and the page cache's is bounded and evicting. Every secret
comes from the environment: `docker-compose config` (Debian's, no engine
needed) refuses to run without each, naming it.

deploy/Caddyfile is adapted and validated by Debian's caddy (2.6.2, the
image's release), then run in front of a real gunicorn with a test
certificate: forged forwarding headers replaced, bodies over the limits
refused with 413 (never a 502), a slow body read whole before it takes a
gunicorn worker, documents not served from /media/, no Server header, no
query string in the access log. The Redis commands run with Debian's
redis-server, the healthchecks with its redis-cli.
"""

import concurrent.futures
import contextlib
import http.client
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.test import RequestFactory, override_settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from cms import stack
from security.clients import client_address
from tests.compose import (
    CADDYFILE,
    REQUIRED,
    ROOT,
    compose_config,
    production_values,
    published_ports,
    run_config,
)
from tests.ports import free_port

# Caddy's limits, as deploy/Caddyfile sets them.
SMALL_LIMIT = 3_000_000
UPLOAD_LIMIT = 100_000_000
TOO_LARGE = "Det du skickade är för stort."
# Ports inside the stack that no client may reach: gunicorn, PostgreSQL,
# Redis, Mailpit's SMTP.
INNER_PORTS = {"8000", "5432", "6379", "1025"}


@pytest.fixture(scope="module")
def values():
    return production_values()


@pytest.fixture(scope="module")
def services(values):
    return compose_config(values)["services"]


@pytest.fixture(scope="module")
def networks(values):
    return compose_config(values)["networks"]


def caddy():
    found = shutil.which("caddy")
    assert found, "Debian's caddy is missing: `sudo apt-get install caddy`"
    return found


# --- The compose file ---------------------------------------------------------


def test_only_the_proxy_publishes_ports(services):
    """Caddy takes 80 and 443 (and 443/udp, HTTP/3) from the world; nothing
    else is published, except Mailpit's UI on this machine only, and only
    with `--profile dev`."""
    publishing = {name for name, service in services.items() if service.get("ports")}
    assert publishing == {"caddy", "mailpit"}
    assert sorted(published_ports(services["caddy"])) == [
        ("", "443", "443", "tcp"), ("", "443", "443", "udp"), ("", "80", "80", "tcp"),
    ]  # fmt: skip
    assert services["mailpit"]["profiles"] == ["dev"]
    assert [p[0] for p in published_ports(services["mailpit"])] == ["127.0.0.1"]
    for name, service in services.items():
        assert service.get("network_mode") != "host", name


def test_no_service_publishes_an_inner_port(services):
    for name, service in services.items():
        for _host_ip, published, target, _protocol in published_ports(service):
            assert published not in INNER_PORTS and target not in INNER_PORTS, (name, published)


def test_caddy_image_is_the_release_the_tests_run(services):
    """The image is pinned to the Caddy release Debian ships, the binary that
    adapts, validates and runs deploy/Caddyfile below."""
    image = services["caddy"]["image"]
    match = re.fullmatch(r"caddy:(\d+\.\d+\.\d+)(-alpine)?", image)
    assert match, image
    local = subprocess.run([caddy(), "version"], capture_output=True, text=True, timeout=30)
    assert local.stdout.split()[0].lstrip("v") == match.group(1)


def test_the_proxy_address_is_the_trusted_one(services, networks):
    """Caddy has a fixed address on the edge network; Django's
    TRUSTED_PROXIES and gunicorn's --forwarded-allow-ips are that address.
    Only Caddy and web are on the edge network: the databases are not
    reachable from the proxy."""
    address = services["caddy"]["networks"]["edge"]["ipv4_address"]
    subnet = ipaddress.ip_network(networks["edge"]["ipam"]["config"][0]["subnet"])
    assert ipaddress.ip_address(address) in subnet
    apps = {name: s for name, s in services.items() if "build" in s}
    assert {"web", "worker", "worker-background", "beat", "migrate"} <= set(apps)
    for name, service in apps.items():
        assert service["environment"]["TRUSTED_PROXIES"] == address, name
    assert '--forwarded-allow-ips "$$TRUSTED_PROXIES"' in services["web"]["command"][2]
    on_edge = {name for name, s in services.items() if "edge" in (s.get("networks") or {})}
    assert on_edge == {"caddy", "web"}
    for name in ("postgres", "redis", "redis-pagecache"):
        assert set(services[name]["networks"]) == {"backend"}, name


def test_every_required_variable_is_named_when_missing(values):
    """Without any one of them `docker compose` refuses to run, and says
    which; with all of them it runs (the fixture above)."""

    def without(name):
        return name, run_config({k: v for k, v in values.items() if k != name})

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(pool.map(without, REQUIRED))
    for name, result in results.items():
        assert result.returncode != 0, f"config ran without {name}"
        assert name in result.stderr, result.stderr


# --- Redis --------------------------------------------------------------------


def start_redis(service, password, folder):
    """The service's own command, with Debian's redis-server, on a free
    port of this machine; returns (process, port)."""
    command = service["command"]
    assert command[:2] == ["sh", "-c"]
    port = free_port()
    script = command[2].replace("$$", "$")
    script += f" --port {port} --bind 127.0.0.1 --dir {folder} --daemonize no"
    env = {"PATH": os.environ["PATH"], "REDISCLI_AUTH": password}
    process = subprocess.Popen(
        ["sh", "-c", script], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    client = redis.Redis(port=port, password=password)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            return process, port
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise
            time.sleep(0.1)


def healthcheck(service, port, auth):
    test = service["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    script = test[1].replace("redis-cli", f"redis-cli -p {port}")
    env = {"PATH": os.environ["PATH"]} | ({"REDISCLI_AUTH": auth} if auth is not None else {})
    return subprocess.run(["sh", "-c", script], env=env, capture_output=True, timeout=30)


@pytest.mark.parametrize(
    ("name", "policy", "maxmemory", "appendonly"),
    [
        ("redis", "noeviction", 512 * 1024 * 1024, "yes"),
        ("redis-pagecache", "allkeys-lru", 256 * 1024 * 1024, "no"),
    ],
)
def test_redis_wants_the_password_and_keeps_its_policy(
    services, values, tmp_path, name, policy, maxmemory, appendonly
):
    password = values["REDIS_PASSWORD"]
    process, port = start_redis(services[name], password, tmp_path)
    try:
        # Once: redis-py would retry a refused login as a lost connection.
        once = Retry(NoBackoff(), 0)
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=port, retry=once).ping()
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=port, password="not-" + password, retry=once).ping()
        client = redis.Redis(port=port, password=password, decode_responses=True)
        config = client.config_get("*")
        assert config["maxmemory-policy"] == policy
        assert int(config["maxmemory"]) == maxmemory
        assert config["appendonly"] == appendonly
        if name == "redis-pagecache":
            assert config["save"] == ""  # a lost entry is rendered again
        # The app's URLs for this instance reach it with the same password.
        env = services["web"]["environment"]
        urls = [v for v in env.values() if f"@{name}:6379/" in str(v)]
        assert urls
        for url in urls:
            local = url.replace(f"@{name}:6379/", f"@127.0.0.1:{port}/")
            assert redis.Redis.from_url(local).ping()
        # The healthcheck authenticates, and fails without the password.
        service = services[name]
        assert healthcheck(service, port, service["environment"]["REDISCLI_AUTH"]).returncode == 0
        assert healthcheck(service, port, None).returncode != 0
        assert healthcheck(service, port, "not-" + password).returncode != 0
    finally:
        process.terminate()
        process.wait(timeout=30)


# --- The Caddyfile ------------------------------------------------------------


def caddy_env(tmp_path, **placeholders):
    """Caddy's environment: its state in tmp_path, the Caddyfile's
    placeholders, nothing else of this machine's."""
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    env["XDG_DATA_HOME"] = env["XDG_CONFIG_HOME"] = str(tmp_path / "caddy")
    return env | placeholders


def adapt(env):
    result = subprocess.run(
        [caddy(), "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "not formatted" not in result.stderr, "run `caddy fmt --overwrite deploy/Caddyfile`"
    return json.loads(result.stdout)


def handlers(node, kind):
    """Every handler of `kind` in the adapted JSON, with the matchers of the
    routes above it."""
    found = []

    def walk(value, matchers):
        if isinstance(value, dict):
            if value.get("handler") == kind:
                found.append((value, matchers))
            for key, child in value.items():
                walk(child, matchers + value.get("match", []) if key == "handle" else matchers)
        elif isinstance(value, list):
            for child in value:
                walk(child, matchers)

    walk(node, [])
    return found


def test_caddyfile_adapts_to_the_proxy_the_stack_needs(tmp_path):
    config = adapt(caddy_env(tmp_path, SITE_ADDRESS=production_values()["SITE_ADDRESS"]))
    server = config["apps"]["http"]["servers"]["srv0"]
    assert server["listen"] == [":443"]
    assert server["routes"][0]["match"] == [{"host": ["www.example.org", "example.org"]}]
    assert server["read_header_timeout"] > 0 and server["read_timeout"] > 0
    # One proxy, to gunicorn in the stack, trusting no client's X-Forwarded-*
    # (no trusted_proxies), reading small bodies whole first.
    (proxy, _), *others = handlers(config, "reverse_proxy")
    assert not others
    assert proxy["upstreams"] == [{"dial": "web:8000"}]
    assert "trusted_proxies" not in proxy
    assert proxy["buffer_requests"] is True and proxy["max_buffer_size"] == SMALL_LIMIT
    # Bodies: the admin's uploads and everything else, each limited.
    limits = {
        json.dumps(matchers, sort_keys=True): handler["max_size"]
        for handler, matchers in handlers(config, "request_body")
    }
    assert sorted(limits.values()) == [SMALL_LIMIT, UPLOAD_LIMIT]
    # No query string and no Referer in the access log.
    fields = config["logging"]["logs"]["log0"]["encoder"]["fields"]
    assert fields["request>uri"] == {"filter": "regexp", "regexp": r"\?.*$"}
    assert fields["request>headers>Referer"] == {"filter": "delete"}
    deleted = [h["response"].get("delete") for h, _ in handlers(config, "headers")]
    assert ["Server"] in deleted


def make_certificate(folder):
    """A self-signed certificate for localhost, by openssl."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def test_caddyfile_validates_with_the_operators_own_certificate(tmp_path):
    """`caddy validate` loads the certificate files CADDY_TLS names; a
    missing one fails it, so the pass means they were read."""
    cert, key = make_certificate(tmp_path)
    env = caddy_env(tmp_path, SITE_ADDRESS="www.example.org", CADDY_TLS=f"{cert} {key}")
    command = [caddy(), "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr
    env["CADDY_TLS"] = f"{tmp_path / 'missing.pem'} {key}"
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0


# --- Caddy in front of gunicorn -----------------------------------------------


def wait_for(connect, process, what, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        try:
            connect()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{what} did not start") from None
            time.sleep(0.2)


@contextlib.contextmanager
def running_caddy(folder, upstream, media):
    """deploy/Caddyfile run by Debian's caddy with a test certificate for
    localhost, in front of `upstream`, serving /media/ from `media`."""
    cert, key = make_certificate(folder)
    https_port, http_port, admin_port = free_port(), free_port(), free_port()
    env = caddy_env(
        folder,
        SITE_ADDRESS=f"https://localhost:{https_port}",
        CADDY_TLS=f"{cert} {key}",
        UPSTREAM=upstream,
        MEDIA_ROOT=str(media),
        CADDY_ADMIN=f"localhost:{admin_port}",
        CADDY_HTTP_PORT=str(http_port),
    )
    access_log = folder / "access.log"
    context = ssl.create_default_context(cafile=str(cert))
    with open(access_log, "w") as stdout, open(folder / "caddy.log", "w") as stderr:
        process = subprocess.Popen(
            [caddy(), "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
            env=env, stdout=stdout, stderr=stderr,
        )  # fmt: skip
        try:
            wait_for(
                lambda: context.wrap_socket(
                    socket.create_connection(("localhost", https_port)),
                    server_hostname="localhost",
                ).close(),
                process,
                "caddy",
            )
            yield {
                "https_port": https_port,
                "http_port": http_port,
                "admin_port": admin_port,
                "context": context,
                "access_log": access_log,
            }
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    """Caddy in front of one sync gunicorn worker serving
    tests/security/echo_wsgi.py, and the uploads folder it serves."""
    folder = tmp_path_factory.mktemp("proxy")
    media = folder / "media"
    (media / "images").mkdir(parents=True)
    (media / "documents").mkdir()
    (media / "images" / "rendition.txt").write_text("en bild")
    (media / "images" / ".secret").write_text("dold")
    (media / "documents" / "privat.pdf").write_text("sekretess")
    port = free_port()
    with open(folder / "gunicorn.log", "w") as log:
        argv = stack.gunicorn(
            sys.executable, f"127.0.0.1:{port}", 1, "127.0.0.1",
            application="tests.security.echo_wsgi:app",
        )  # fmt: skip
        gunicorn = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=log)
        try:
            wait_for(
                lambda: socket.create_connection(("127.0.0.1", port)).close(), gunicorn, "gunicorn"
            )
            with running_caddy(folder, f"127.0.0.1:{port}", media) as running:
                yield running
        finally:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(timeout=30)


# The client of these tests: another loopback address than Caddy's own, so
# that the client and the proxy are told apart.
CLIENT_ADDRESS = "127.0.0.2"


def connect(proxy, timeout=30):
    return http.client.HTTPSConnection(
        "localhost",
        proxy["https_port"],
        context=proxy["context"],
        timeout=timeout,
        source_address=(CLIENT_ADDRESS, 0),
    )


def fetch(proxy, method, path, body=None, headers=None, **options):
    connection = connect(proxy)
    try:
        connection.request(method, path, body=body, headers=headers or {}, **options)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_the_caddy_healthcheck_passes_against_a_running_caddy(proxy, services):
    """The compose healthcheck asks Caddy's admin API inside the container
    (busybox's wget there, Debian's here: the same options)."""
    test = services["caddy"]["healthcheck"]["test"]
    assert test[0] == "CMD" and test[-1] == "http://127.0.0.1:2019/config/"
    command = [*test[1:-1], f"http://127.0.0.1:{proxy['admin_port']}/config/"]
    assert subprocess.run(command, capture_output=True, timeout=30).returncode == 0
    command[-1] = f"http://127.0.0.1:{free_port()}/config/"  # no Caddy there
    assert subprocess.run(command, capture_output=True, timeout=30).returncode != 0


def test_forged_forwarding_headers_are_replaced(proxy):
    """What a client writes in X-Forwarded-* never reaches gunicorn: Caddy
    writes the client's own address and https, and by the project's one rule
    (TRUSTED_PROXIES = the proxy) the client is its own address."""
    status, _, body = fetch(
        proxy, "GET", "/sida/",
        headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "http",
                 "X-Forwarded-Host": "evil.example"},
    )  # fmt: skip
    assert status == 200
    seen = json.loads(body)
    meta = seen["meta"]
    assert meta["HTTP_X_FORWARDED_FOR"] == CLIENT_ADDRESS
    assert meta["HTTP_X_FORWARDED_PROTO"] == "https"
    assert meta["HTTP_X_FORWARDED_HOST"] == f"localhost:{proxy['https_port']}"
    assert seen["scheme"] == "https"  # gunicorn believes its proxy
    request = RequestFactory().get("/", REMOTE_ADDR=seen["remote_addr"], **meta)
    with override_settings(TRUSTED_PROXIES=[seen["remote_addr"]]):
        assert client_address(request) == CLIENT_ADDRESS


def test_no_header_moves_the_path_django_routes_on(proxy):
    """gunicorn's default lets its trusted proxy set SCRIPT_NAME from a
    header, and Caddy passes a client's headers on: `SCRIPT_NAME: /api`
    on /api/v3/pages/1/revisions/ would make PATH_INFO /v3/pages/… while
    request.path stays whole, and every rule written on paths (token
    scopes, the page cache's keys) would read the wrong one. The stack's
    gunicorn (cms/stack.py) lets no header set either."""
    path = "/api/v3/pages/1/revisions/"
    for name, value in (("SCRIPT_NAME", "/api"), ("PATH_INFO", "/sida/")):
        status, _, body = fetch(proxy, "GET", path, headers={name: value})
        assert status == 200
        seen = json.loads(body)
        assert (seen["script_name"], seen["path"]) == ("", path), name


def test_plain_http_is_redirected_to_https(proxy):
    connection = http.client.HTTPConnection("localhost", proxy["http_port"], timeout=30)
    try:
        connection.request("GET", "/sida/?tack=1")
        response = connection.getresponse()
        assert response.status == 308
        location = response.getheader("Location")
        assert location == f"https://localhost:{proxy['https_port']}/sida/?tack=1"
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("path", "size"),
    [("/api/v3/feedback/", SMALL_LIMIT + 1), ("/admin/images/multiple/add/", UPLOAD_LIMIT + 1)],
)
def test_a_declared_body_over_the_limit_is_413_not_502(proxy, path, size):
    """Refused by its Content-Length before a byte is read (Caddy 2.6's
    request_body alone answers 502 here), in Swedish."""
    connection = connect(proxy)
    try:
        connection.putrequest("POST", path)
        connection.putheader("Content-Length", str(size))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413
        assert response.read().decode() == TOO_LARGE
    finally:
        connection.close()


def test_a_chunked_body_over_the_limit_is_413(proxy):
    chunks = (b"x" * 100_000 for _ in range(SMALL_LIMIT // 100_000 + 5))
    status, _, body = fetch(proxy, "POST", "/api/v3/feedback/", body=chunks, encode_chunked=True)
    assert status == 413
    assert body.decode() == TOO_LARGE


def test_bodies_within_the_limits_arrive_whole(proxy):
    status, _, body = fetch(proxy, "POST", "/api/v3/feedback/", body=b"x" * SMALL_LIMIT)
    assert status == 200 and json.loads(body)["body_length"] == SMALL_LIMIT
    upload = 2 * SMALL_LIMIT  # an editor's upload, over the small limit
    status, _, body = fetch(proxy, "POST", "/admin/images/multiple/add/", body=b"x" * upload)
    assert status == 200 and json.loads(body)["body_length"] == upload


def test_a_slow_body_does_not_hold_a_gunicorn_worker(proxy):
    """gunicorn has one sync worker here. A client that sends half a body and
    waits does not get it: Caddy reads the body before it passes the request
    on, so another visitor is served meanwhile. (The half is larger than the
    buffers between Caddy and gunicorn, which a streaming proxy would fill
    and pass on.)"""
    size = 200_000
    raw = proxy["context"].wrap_socket(
        socket.create_connection(("localhost", proxy["https_port"]), timeout=30,
                                 source_address=(CLIENT_ADDRESS, 0)),
        server_hostname="localhost",
    )  # fmt: skip
    try:
        raw.sendall(
            b"POST /api/v3/feedback/ HTTP/1.1\r\n"
            + f"Host: localhost:{proxy['https_port']}\r\n".encode()
            + f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n".encode()
            + b"{" * (size // 2)
        )
        status, _, body = fetch(proxy, "GET", "/annan-sida/")
        assert status == 200 and json.loads(body)["path"] == "/annan-sida/"
        raw.sendall(b"}" * (size // 2))
        response = http.client.HTTPResponse(raw)
        response.begin()
        assert response.status == 200
        assert json.loads(response.read())["body_length"] == size
    finally:
        raw.close()


def test_media_serves_renditions_but_never_documents(proxy):
    status, headers, body = fetch(proxy, "GET", "/media/images/rendition.txt")
    assert (status, body) == (200, b"en bild")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    # Wagtail serves documents at /documents/, where it checks privacy;
    # however the path is spelled, /media/ does not.
    for path in (
        "/media/documents/privat.pdf",
        "/media/images/../documents/privat.pdf",
        "/media//documents/privat.pdf",
        "/media/DOCUMENTS/privat.pdf",
        "/media/images/%2e%2e/documents/privat.pdf",
        "/media/images/.secret",
        "/media/images/",
    ):
        status, _, body = fetch(proxy, "GET", path)
        assert status == 404, path
        assert b"sekretess" not in body and b"dold" not in body, path


def test_no_server_header_names_the_software(proxy):
    answers = [
        fetch(proxy, "GET", "/sida/"),
        fetch(proxy, "GET", "/media/images/rendition.txt"),
        fetch(proxy, "GET", "/media/images/saknas.txt"),
        fetch(proxy, "POST", "/api/v3/feedback/", body=(b"x" * 10**6 for _ in range(4)),
              encode_chunked=True),
    ]  # fmt: skip
    assert [status for status, _, _ in answers] == [200, 200, 404, 413]
    for _, headers, _ in answers:
        assert "Server" not in headers


def test_the_access_log_keeps_no_query_string(proxy):
    """The registrar's lookups used to carry a visitor's e-mail address in
    the query string; the log holds the path alone, no Referer, and no
    cookie or token values."""
    status, _, body = fetch(
        proxy, "GET", "/loggad/?email=hemlig%40example.se",
        headers={"Referer": "https://example.org/?email=hemlig@example.se",
                 "Cookie": "sessionid=kaka", "Authorization": "Bearer nyckel"},
    )  # fmt: skip
    assert status == 200 and json.loads(body)["query"] == "email=hemlig%40example.se"
    deadline = time.monotonic() + 10
    while True:
        entries = [
            json.loads(line)
            for line in Path(proxy["access_log"]).read_text().splitlines()
            if line.startswith("{")
        ]
        logged = [e for e in entries if e.get("request", {}).get("uri", "").startswith("/loggad")]
        if logged or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert logged, entries[-3:]
    request = logged[-1]["request"]
    assert request["uri"] == "/loggad/"
    assert request["remote_ip"] == CLIENT_ADDRESS
    assert "Referer" not in request["headers"]
    assert request["headers"]["Cookie"] == [] and request["headers"]["Authorization"] == []
    text = Path(proxy["access_log"]).read_text()
    assert "hemlig" not in text and "kaka" not in text and "nyckel" not in text


def test_a_web_server_that_does_not_answer_is_told_in_swedish(tmp_path):
    """gunicorn down (nothing listens): after waiting for it a little,
    Caddy answers 502 with a sentence a visitor can read."""
    with running_caddy(tmp_path, f"127.0.0.1:{free_port()}", tmp_path) as down:
        status, headers, body = fetch(down, "GET", "/sida/")
    assert status == 502
    assert body.decode() == "Webbplatsen svarar inte just nu. Försök igen om en stund."
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "Server" not in headers
