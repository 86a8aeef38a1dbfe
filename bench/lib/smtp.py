"""A real SMTP server (aiosmtpd) in a thread of the benchmark, on a free port
of the loopback interface. It keeps every message it accepts, and takes
`delay` seconds over each, which may be changed while it runs: one server
is the healthy one (0) and the slow one (2), without restarting what sends
to it."""

import asyncio
import logging
import socket
import threading
import time
from dataclasses import dataclass

from aiosmtpd.controller import Controller


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Received:
    at: float  # time.monotonic() when the server accepted the message
    mail_from: str
    rcpt_tos: tuple
    content: bytes


class Mailbox:
    """aiosmtpd's handler: what the server accepted, in order."""

    def __init__(self, delay=0.0):
        self.delay = delay
        self._lock = threading.Lock()
        self._received = []

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            # Asleep, not busy: every session waits its own `delay`, as behind
            # a slow relay, and the others are served meanwhile.
            await asyncio.sleep(self.delay)
        received = Received(
            time.monotonic(), envelope.mail_from, tuple(envelope.rcpt_tos), envelope.content
        )
        with self._lock:
            self._received.append(received)
        return "250 OK"

    def count(self):
        with self._lock:
            return len(self._received)

    def received(self, since=0):
        """The messages accepted after the first `since` (a `count()`)."""
        with self._lock:
            return self._received[since:]


class SmtpServer:
    def __init__(self, delay=0.0):
        self.mailbox = Mailbox(delay)
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=free_port())

    @property
    def port(self):
        return self.controller.port

    @property
    def delay(self):
        return self.mailbox.delay

    @delay.setter
    def delay(self, seconds):
        self.mailbox.delay = seconds

    def start(self):
        # One INFO line per connection otherwise, thousands in a run.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()
