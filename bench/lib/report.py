"""Figures and output: progress on stderr, one JSON line on stdout."""

import json
import math
import os
import sys
import time

STARTED = time.monotonic()


def say(message):
    """A line of progress on stderr, with the seconds since the start."""
    print(f"[{time.monotonic() - STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


def percentile(values, q):
    """The q-th percentile (0-100) of `values`, interpolated; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    low = math.floor(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def r3(value):
    return None if value is None else round(value, 3)


def spread(values, prefix=""):
    """{prefix}p50_s, p99_s and max_s of `values` (seconds), rounded."""
    return {
        f"{prefix}p50_s": r3(percentile(values, 50)),
        f"{prefix}p99_s": r3(percentile(values, 99)),
        f"{prefix}max_s": r3(max(values, default=None)),
    }


def median_ms(function, items):
    """Median wall-clock milliseconds of `function(item)` over `items`."""
    elapsed = []
    for item in items:
        started = time.perf_counter()
        function(item)
        elapsed.append((time.perf_counter() - started) * 1000)
    return r3(percentile(elapsed, 50))


def load_avg():
    return [round(x, 2) for x in os.getloadavg()]


def print_result(result, headline=()):
    """The benchmark's last line on stdout: one JSON object, the `headline`
    keys first, then the rest in the order they were set."""
    ordered = {key: result[key] for key in headline if key in result}
    print(json.dumps({**ordered, **result}), flush=True)
