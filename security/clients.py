"""Who the client is: one rule for the whole site.

The address a request came from is `REMOTE_ADDR`, unless that address is one
of `TRUSTED_PROXIES` (the TLS proxy in front of gunicorn): then it is the
right-most address in `X-Forwarded-For` that is not a trusted proxy itself.
Everything left of that entry was written by the client and is never read,
so a client cannot choose the address it is counted under. The rule trusts
addresses, not a number of hops: a client that reaches gunicorn directly is
counted under its own address, whatever header it writes.

The feedback limiter, the admin's lockouts, the password-reset limiter, the
API's read limiter and the health check's "internal" all ask here.
"""

import functools
import ipaddress

from django.conf import settings

# IPv6 clients are counted per /64: one subscriber's prefix holds 2**64
# addresses, one per request if it likes.
IPV6_PREFIX = 64
UNKNOWN = "unknown"


@functools.lru_cache(maxsize=16)
def _networks(entries):
    networks = []
    for entry in entries:
        networks.append(ipaddress.ip_network(entry.strip(), strict=False))
    return tuple(networks)


def trusted_proxies():
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))


def internal_networks():
    return _networks(tuple(getattr(settings, "INTERNAL_NETWORKS", ())))


def parse(address):
    """An ip_address, or None for anything else (a port, a zone, junk)."""
    try:
        return ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None


def _within(ip, networks):
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in networks)


def client_ip(request):
    """The client's address as an ip_address, or None when the request does
    not say (a test client without REMOTE_ADDR, a broken proxy header)."""
    remote = parse(request.META.get("REMOTE_ADDR"))
    proxies = trusted_proxies()
    if not _within(remote, proxies):
        return remote
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed([h.strip() for h in hops if h.strip()]):
        ip = parse(hop)
        if ip is None:
            # A hop our own proxy would never write: what is left of it is
            # the client's, so the proxy that sent it is all we know.
            return remote
        if not _within(ip, proxies):
            return ip
    return remote


def client_address(request):
    """The client's address as text ("" when unknown)."""
    ip = client_ip(request)
    return "" if ip is None else str(ip)


def rate_key(request_or_ip):
    """What a rate limit counts the client under: its IPv4 address, or its
    IPv6 /64 network."""
    ip = request_or_ip if not hasattr(request_or_ip, "META") else client_ip(request_or_ip)
    if isinstance(ip, str):
        ip = parse(ip)
    if ip is None:
        return UNKNOWN
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/{IPV6_PREFIX}", strict=False))
    return str(ip)


def within_internal(ip):
    """Whether the address is inside the operator's own networks
    (`INTERNAL_NETWORKS`: loopback unless set)."""
    return _within(ip, internal_networks())


def is_internal(request):
    """Whether the client (by the rule above) is one of the operator's own."""
    return within_internal(client_ip(request))


def bearer_secret(request):
    """The secret of `Authorization: Bearer <secret>`, read as django-ninja's
    `HttpBearer` reads it (the API's tokens, the health token), or None."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret
