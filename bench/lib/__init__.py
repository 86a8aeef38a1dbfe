"""What the benchmarks share. A package, so that `make bench`, which runs
every bench/*.py, does not run it; a benchmark imports it as `lib` (its own
folder, bench/, is first on sys.path):

    report    progress on stderr (`say`), percentiles, `r3`, timing, and the
              one JSON line a benchmark prints last
    services  the benchmark's own PostgreSQL database and Redis databases,
              and the environment its processes run in
    run       a run's own services set up, and cleaned up after
    load      load on one URL (wrk, or Python processes): its rate and p99
    stack     the stack of cms/stack.py (web, workers, beat) in processes of
              its own, logs in a folder; `manage.py` commands; HTTP requests
    smtp      a real SMTP server (aiosmtpd) in a thread, keeping what it
              receives, whose delay per message can change while it runs
"""

import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# The project (cms, the settings, manage.py) is importable from a benchmark.
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))
