"""The guard against server-side request forgery: a webhook URL is typed by
an editor, and without this check the worker would post to whatever the
name points at — the database, Redis, a cloud metadata service.

The name is resolved once per attempt and every address it gives is
checked; the caller then connects to the checked address itself, so a DNS
answer that changes between check and connection (rebinding) never reaches
an internal service.
"""

import ipaddress
import socket

NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedAddress(Exception):
    """The URL points at an address deliveries may not go to."""


def refusal(ip):
    """Why `ip` is refused (Swedish, for the attempt log), or None when it is
    globally routable."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"{ip} är en IPv4-adress i IPv6-form"
        embedded = None
        if ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif ip.sixtofour is not None:
            embedded = ip.sixtofour
        elif ip.teredo is not None:
            return f"{ip} är en Teredo-adress"
        if embedded is not None and refusal(embedded):
            return f"{ip} leder till {embedded}, som inte är en publik adress"
    for flag, what in (
        ("is_unspecified", "ospecificerad"),
        ("is_loopback", "en loopback-adress"),
        ("is_link_local", "en länklokal adress"),
        ("is_multicast", "en multicast-adress"),
        ("is_reserved", "en reserverad adress"),
        ("is_private", "en privat adress"),
    ):
        if getattr(ip, flag):
            return f"{ip} är {what}"
    # is_global also leaves out the shared address space of carrier-grade
    # NAT (100.64.0.0/10), which is_private does not cover.
    if not ip.is_global:
        return f"{ip} är inte en publik adress"
    return None


def resolve(host, port):
    """Every address `host` resolves to, in the resolver's order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(f"Namnet {host} kunde inte slås upp: {exc}") from exc
    addresses = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = sockaddr[0]
        if address not in addresses:
            addresses.append(address)
    return addresses


def checked_address(host, port, allow_private=False):
    """The address to connect to for `host`: looked up once, here. Refused
    when any address the name gives is not globally routable (a name that
    answers with a public and an internal address is someone's trick), unless
    `allow_private` (development)."""
    addresses = resolve(host, port)
    if not addresses:
        raise OSError(f"Namnet {host} gav ingen adress.")
    if not allow_private:
        for address in addresses:
            reason = refusal(ipaddress.ip_address(address.split("%", 1)[0]))
            if reason:
                raise BlockedAddress(f"{host} pekar inte på en publik adress: {reason}.")
    return addresses[0]
