"""The guard against server-side request forgery: a webhook URL is typed by
an editor, and without this check the worker would post to whatever the
name points at — the database, Redis, a cloud metadata service.

Two rules, each in one place, asked when an endpoint is saved and again at
every delivery attempt:

- `target_refusal`: the scheme and port. Production allows only `https` to
  port 443 unless `WEBHOOKS_ALLOW_HTTP` and `WEBHOOKS_ALLOWED_PORTS` say
  more (a port is a service: 6379 is someone's Redis, whatever the address).
- `refusal`: the address. Refused by an explicit list (`REFUSED_NETWORKS`),
  not by the standard library's `is_global` alone, which on Python 3.11
  passes the deprecated site-local `fec0::/10`, among others.

The name is resolved once per attempt and every address it gives is
checked; the caller then connects to the checked address itself, so a DNS
answer that changes between check and connection (rebinding) never reaches
an internal service. What is logged says that the address is not allowed,
never which internal address a name resolved to.
"""

import ipaddress
import socket

DEFAULT_PORTS = {"http": 80, "https": 443}


def _networks(*entries):
    return tuple((ipaddress.ip_network(network), what) for network, what in entries)


# IANA's special-purpose address registries (iana-ipv4-special-registry,
# iana-ipv6-special-registry, 2025), whole, whether or not IANA marks a
# block "globally reachable" (anycast relays, AS112, NAT64 and 6to4 are no
# place for a webhook), with the multicast and reserved blocks and IPv6's
# deprecated site-local block.
REFUSED_NETWORKS = _networks(
    ("0.0.0.0/8", "en adress i ”det här nätet”"),
    ("10.0.0.0/8", "en privat adress"),
    ("100.64.0.0/10", "en delad adress för operatörs-NAT"),
    ("127.0.0.0/8", "en loopback-adress"),
    ("169.254.0.0/16", "en länklokal adress"),
    ("172.16.0.0/12", "en privat adress"),
    ("192.0.0.0/24", "en adress för IETF:s protokoll"),
    ("192.0.2.0/24", "en adress för dokumentation"),
    ("192.31.196.0/24", "en AS112-adress"),
    ("192.52.193.0/24", "en AMT-adress"),
    ("192.88.99.0/24", "en 6to4-reläadress"),
    ("192.168.0.0/16", "en privat adress"),
    ("192.175.48.0/24", "en AS112-adress"),
    ("198.18.0.0/15", "en adress för prestandatester"),
    ("198.51.100.0/24", "en adress för dokumentation"),
    ("203.0.113.0/24", "en adress för dokumentation"),
    ("224.0.0.0/4", "en multicast-adress"),
    ("240.0.0.0/4", "en reserverad adress"),  # 255.255.255.255 included
    ("::/128", "ospecificerad"),
    ("::1/128", "en loopback-adress"),
    ("::ffff:0:0/96", "en IPv4-adress i IPv6-form"),
    ("64:ff9b::/96", "en NAT64-adress"),
    ("64:ff9b:1::/48", "en NAT64-adress"),
    ("100::/64", "en adress som kastas"),
    ("100:0:0:1::/64", "en adress som kastas"),
    ("2001::/23", "en adress för IETF:s protokoll"),  # Teredo included
    ("2001:db8::/32", "en adress för dokumentation"),
    ("2002::/16", "en 6to4-adress"),
    ("2620:4f:8000::/48", "en AS112-adress"),
    ("3fff::/20", "en adress för dokumentation"),
    ("5f00::/16", "en SRv6-adress"),
    ("fc00::/7", "en privat adress"),
    ("fe80::/10", "en länklokal adress"),
    ("fec0::/10", "en platslokal adress"),
    ("ff00::/8", "en multicast-adress"),
)
# All of IPv6's routable unicast space: anything outside it is reserved.
GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")


class BlockedAddress(Exception):
    """The URL points at an address, or a port, deliveries may not go to."""


def refusal(ip):
    """What kind of address `ip` is when deliveries may not go to it
    (Swedish, without the address), or None when it may."""
    for network, what in REFUSED_NETWORKS:
        if ip.version == network.version and ip in network:
            return what
    if ip.version == 6 and ip not in GLOBAL_UNICAST_V6:
        return "en reserverad adress"
    # What the standard library knows besides, should the list fall behind.
    if not ip.is_global:
        return "inte en publik adress"
    return None


def target_refusal(scheme, port, *, allow_http, allowed_ports):
    """Why a URL's scheme or port is not allowed (Swedish), or None.
    `allowed_ports` empty: any port."""
    if scheme not in DEFAULT_PORTS or (scheme == "http" and not allow_http):
        return "Adressen måste börja med https://."
    port = port or DEFAULT_PORTS[scheme]
    if allowed_ports and port not in allowed_ports:
        ports = ", ".join(str(allowed) for allowed in sorted(allowed_ports))
        return f"Porten {port} är inte tillåten (tillåtna: {ports})."
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
    when any address the name gives is not allowed (a name that answers
    with a public and an internal address is someone's trick), unless
    `allow_private` (development)."""
    addresses = resolve(host, port)
    if not addresses:
        raise OSError(f"Namnet {host} gav ingen adress.")
    if not allow_private:
        for address in addresses:
            if refusal(ipaddress.ip_address(address.split("%", 1)[0])):
                # The name, which the editor typed; never the address it
                # gave, which may be an internal one.
                raise BlockedAddress(
                    f"Adressen är inte tillåten: {host} pekar inte på en publik adress."
                )
    return addresses[0]
