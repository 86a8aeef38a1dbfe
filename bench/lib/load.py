"""Load on one URL from processes of its own: `wrk` (Debian's) when it is
installed, else a small multi-process Python client; requests carry
`X-Forwarded-Proto: https`, as behind the TLS proxy production runs behind,
and with `visitors`, X-Forwarded-For with one of that many addresses in
turn, as the proxy writes a visitor's (for a server that trusts it:
TRUSTED_PROXIES)."""

import re
import shutil
import subprocess
import time
from pathlib import Path

from .report import percentile, r3

FORWARDED = {"X-Forwarded-Proto": "https"}
VISITORS_SCRIPT = Path(__file__).resolve().parent.parent / "visitors.lua"


def visitor_address(number):
    """The `number`th (from 1) visitor's address, as visitors.lua writes it:
    documentation ranges, never an internal address."""
    prefix = "198.51.100" if number <= 254 else "203.0.113"
    return f"{prefix}.{(number - 1) % 254 + 1}"


def generator():
    """The load generator `load` uses here."""
    return "wrk" if shutil.which("wrk") else "python"


def load(url, seconds, connections, visitors=None):
    """{"rps", "p99_ms"} of `url` under `connections` concurrent clients,
    from `visitors` forwarded addresses (None: none forwarded)."""
    if generator() == "wrk":
        return wrk(url, seconds, connections, visitors)
    return python_load(url, seconds, connections, visitors)


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url, seconds, connections, visitors=None):
    # wrk takes whole seconds.
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    if visitors:
        command += ["-s", str(VISITORS_SCRIPT), url, "--", str(visitors)]
    else:
        command += ["-H", "X-Forwarded-Proto: https", url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses\n{out}")
    return {"rps": round(rps, 1), "p99_ms": r3(float(value) * UNITS[unit])}


def _python_client(url, seconds, queue, visitors=None, first=0):
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    latencies = []
    deadline = time.monotonic() + seconds
    sent = first
    while time.monotonic() < deadline:
        headers = dict(FORWARDED)
        if visitors:
            headers["X-Forwarded-For"] = visitor_address(sent % visitors + 1)
            sent += 1
        started = time.perf_counter()
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""),
                           headers=headers)  # fmt: skip
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status != 200:
            raise RuntimeError(f"{url}: {response.status}")
        latencies.append((time.perf_counter() - started) * 1000)
    queue.put(latencies)


def python_load(url, seconds, connections, visitors=None):
    import multiprocessing

    queue = multiprocessing.Queue()
    clients = [multiprocessing.Process(target=_python_client,
                                       args=(url, seconds, queue, visitors, number * 97))
               for number in range(connections)]  # fmt: skip
    for client in clients:
        client.start()
    latencies = [ms for _ in clients for ms in queue.get()]
    for client in clients:
        client.join()
    return {"rps": round(len(latencies) / seconds, 1), "p99_ms": r3(percentile(latencies, 99))}
