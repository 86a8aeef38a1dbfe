"""A module no worker may import because a message names it: importing it,
or running its `run`, leaves a file in WORKER_CANARY_DIR
(test_worker_messages.py looks for them)."""

import os
from pathlib import Path

_DIR = os.environ.get("WORKER_CANARY_DIR")
if _DIR:
    (Path(_DIR) / "imported").touch()


def run(*args, **kwargs):
    if _DIR:
        (Path(_DIR) / "ran").touch()
