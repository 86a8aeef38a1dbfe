"""The admin's door: wrong passwords lock the login for a while.

django-axes counts every failed `authenticate()` (Wagtail's login form calls
it) in its `AccessAttempt` rows, one per username, client and user agent,
each with its count and its last failure. Two rules read those rows:

- the pair (username, client) is refused after `AXES_FAILURE_LIMIT` (10)
  wrong passwords: axes' own rule (`AXES_LOCKOUT_PARAMETERS`);
- the client is refused on every username after
  `LOGIN_ADDRESS_FAILURE_LIMIT` (50): `LockoutHandler` below. Axes 8.3.1
  compares one limit with the largest count among its parameter
  combinations (`AxesDatabaseHandler.get_failures`, `AxesBaseHandler.
  is_locked`), so it cannot give the pair and the client limits of their
  own; the second rule is counted here, from the same rows.

A row counts for `AXES_COOLOFF_TIME` (15 minutes) after its last failure,
so a lockout lifts by itself: no stranger can lock `admin` out for good,
only from the stranger's own address. The client is who
`security.clients` says it is (trusted proxies, IPv6 per /64).
"""

import ipaddress
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Max, Q, Sum
from django.utils import timezone

from . import clients


def lockout_address(request):
    """The client as axes counts it (`AXES_CLIENT_IP_CALLABLE`): the rate key
    of `security.clients`, written as an address because axes keeps it in an
    address column (`inet` in PostgreSQL): an IPv6 client's /64 as the
    network's first address. None when the request does not say."""
    key = clients.rate_key(request)
    if key == clients.UNKNOWN:
        return None
    return str(ipaddress.ip_network(key).network_address)


def shown_client(address):
    """The client a stored address stands for, as people read it: the IPv4
    address, or the IPv6 /64."""
    return None if address is None else clients.rate_key(address)


def cool_off():
    return get_cool_off()


def at_address(address):
    return Q(ip_address__isnull=True) if address is None else Q(ip_address=address)


def client_failures(address, since):
    """Wrong passwords from the client on any username since `since`."""
    counted = AccessAttempt.objects.filter(at_address(address), attempt_time__gte=since)
    return counted.aggregate(failures=Sum("failures_since_start"))["failures"] or 0


class LockoutBackend(AxesStandaloneBackend):
    """Axes' check, before Django's ModelBackend, on every login over HTTP.

    `authenticate()` without a request is no one at the door: the test
    client's `login()`, a shell. Axes raises for it
    (`AxesBackendRequestParameterRequired`, a 500 wherever it happens); here
    it goes on to the next backend, neither counted nor refused."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler, with the client's rule beside the pair's."""

    def is_locked(self, request, credentials=None):
        if super().is_locked(request, credentials):
            return True
        since = get_cool_off_threshold(request)
        return (
            client_failures(request.axes_ip_address, since) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT
        )

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or request.axes_locked_out:
            return
        since = get_cool_off_threshold(request)
        if client_failures(request.axes_ip_address, since) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            # As axes does for the pair's rule: the middleware answers with
            # the lockout page, and the signal tells whoever listens.
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )


@dataclass(frozen=True)
class Lockout:
    """One current lockout: a pair, or (`username` None) a client on every
    username."""

    username: str | None
    address: str | None  # as axes stores it (see lockout_address)
    failures: int
    since: datetime  # the failure that locked it: later tries are not counted
    until: datetime

    @property
    def client(self):
        return shown_client(self.address)


def ends_at(attempts, limit):
    """When a lock over `attempts` ((last failure, failures) of the rows still
    counted) lifts: when the latest rows that hold `limit` failures between
    them leave the cool-off. None when they hold fewer."""
    total = 0
    for last_failure, failures in sorted(attempts, reverse=True):
        total += failures
        if total >= limit:
            return last_failure + cool_off()
    return None


def counted_attempts(now):
    return AccessAttempt.objects.filter(attempt_time__gte=now - cool_off())


def locked(now=None):
    """Every pair and client locked at `now`, the latest first, as rows
    (username, ip_address, failures, since) without their ends: two queries,
    grouped in the database."""
    now = now or timezone.now()
    counted = counted_attempts(now)
    figures = {"failures": Sum("failures_since_start"), "since": Max("attempt_time")}
    pairs = (
        counted.exclude(username=None)
        .values("username", "ip_address")
        .annotate(**figures)
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    )
    addresses = (
        counted.values("ip_address")
        .annotate(**figures)
        .filter(failures__gte=settings.LOGIN_ADDRESS_FAILURE_LIMIT)
    )
    found = [*pairs, *({**row, "username": None} for row in addresses)]
    return sorted(found, key=itemgetter("since"), reverse=True)


def with_ends(found, now=None):
    """The rows of `locked()` as Lockouts with their ends, from one query of
    the rows their clients left (a client is locked before it leaves more
    than LOGIN_ADDRESS_FAILURE_LIMIT failures)."""
    now = now or timezone.now()
    addresses = {row["ip_address"] for row in found}
    if not addresses:
        return []
    where = Q(ip_address__in=[a for a in addresses if a is not None])
    if None in addresses:
        where |= Q(ip_address__isnull=True)
    attempts = defaultdict(list)
    rows = counted_attempts(now).filter(where)
    for username, address, last_failure, failures in rows.values_list(
        "username", "ip_address", "attempt_time", "failures_since_start"
    ):
        attempts[address].append((username, last_failure, failures))

    lockouts = []
    for row in found:
        of_client = attempts[row["ip_address"]]
        if row["username"] is None:
            until = ends_at([(t, n) for _, t, n in of_client], settings.LOGIN_ADDRESS_FAILURE_LIMIT)
        else:
            of_pair = [(t, n) for u, t, n in of_client if u == row["username"]]
            until = ends_at(of_pair, settings.AXES_FAILURE_LIMIT)
        if until is not None and until > now:  # not lifted in between
            lockouts.append(
                Lockout(row["username"], row["ip_address"], row["failures"], row["since"], until)
            )
    return lockouts


def current_lockouts(now=None):
    return with_ends(locked(now), now)


def lockout_end(address, username, now=None):
    """When the lockouts that refuse `username` from `address` lift (the
    later of the pair's and the client's), or None when none does."""
    now = now or timezone.now()
    rows = counted_attempts(now).filter(at_address(address))
    attempts = list(rows.values_list("username", "attempt_time", "failures_since_start"))
    ends = [
        ends_at([(t, n) for u, t, n in attempts if u == username], settings.AXES_FAILURE_LIMIT),
        ends_at([(t, n) for _, t, n in attempts], settings.LOGIN_ADDRESS_FAILURE_LIMIT),
    ]
    return max((end for end in ends if end is not None), default=None)


def lift(address, username=None):
    """Lift a lockout now: forget the pair's failures, or with no username
    every failure the client left. Returns how many rows went."""
    attempts = AccessAttempt.objects.filter(at_address(address))
    if username is not None:
        attempts = attempts.filter(username=username)
    deleted, _ = attempts.delete()
    return deleted
