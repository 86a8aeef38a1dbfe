"""Load on one URL from processes of its own: `wrk` (Debian's) when it is
installed, else a small multi-process Python client; requests carry
`X-Forwarded-Proto: https`, as behind the TLS proxy production runs behind."""

import re
import shutil
import subprocess
import time

from .report import percentile, r3

FORWARDED = {"X-Forwarded-Proto": "https"}


def generator():
    """The load generator `load` uses here."""
    return "wrk" if shutil.which("wrk") else "python"


def load(url, seconds, connections):
    """{"rps", "p99_ms"} of `url` under `connections` concurrent clients."""
    if generator() == "wrk":
        return wrk(url, seconds, connections)
    return python_load(url, seconds, connections)


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url, seconds, connections):
    # wrk takes whole seconds.
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
               "-H", "X-Forwarded-Proto: https", url]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses\n{out}")
    return {"rps": round(rps, 1), "p99_ms": r3(float(value) * UNITS[unit])}


def _python_client(url, seconds, queue):
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""),
                           headers=FORWARDED)  # fmt: skip
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status != 200:
            raise RuntimeError(f"{url}: {response.status}")
        latencies.append((time.perf_counter() - started) * 1000)
    queue.put(latencies)


def python_load(url, seconds, connections):
    import multiprocessing

    queue = multiprocessing.Queue()
    clients = [multiprocessing.Process(target=_python_client, args=(url, seconds, queue))
               for _ in range(connections)]  # fmt: skip
    for client in clients:
        client.start()
    latencies = [ms for _ in clients for ms in queue.get()]
    for client in clients:
        client.join()
    return {"rps": round(len(latencies) / seconds, 1), "p99_ms": r3(percentile(latencies, 99))}
