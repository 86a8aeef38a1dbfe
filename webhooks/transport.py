"""One HTTP POST to an endpoint, to the address the SSRF guard checked.

urllib3's connection pools connect to the host they are given: given the
checked IP, there is no second lookup. The name still goes in the Host
header and, for https, in SNI and the certificate check
(`server_hostname`, `assert_hostname`), so the endpoint sees an ordinary
request for its name. No redirects, no retries, no proxies from the
environment: one request per attempt, and the delivery's row decides when
the next one is made.
"""

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import urllib3

from .addresses import DEFAULT_PORTS, BlockedAddress, checked_address, target_refusal

# Enough of a refusal's body to tell the editor why; the rest is not read.
BODY_KEPT = 200


@dataclass
class Response:
    status: int
    body: str
    address: str


def _host_header(host, port, scheme):
    try:
        is_v6 = isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address)
    except ValueError:
        is_v6 = False
    name = f"[{host}]" if is_v6 else host
    return name if port == DEFAULT_PORTS[scheme] else f"{name}:{port}"


def post(
    url,
    body,
    headers,
    *,
    allow_private,
    connect_timeout,
    read_timeout,
    allow_http=True,
    allowed_ports=(),
):
    """POST `body` (bytes) to `url`. Returns a Response whatever its status
    (a redirect included: it is not followed); raises BlockedAddress for a
    scheme, port or address the guard refuses, OSError or urllib3's errors
    when the connection fails."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"Adressen {url} är inte en http- eller https-adress.")
    # An internationalised name goes out as its ASCII form (punycode): the
    # one form DNS, the Host header and the certificate all agree on.
    host = parts.hostname.encode("idna").decode("ascii")
    # Checked again here: the settings may have changed since it was saved.
    refused = target_refusal(scheme, parts.port, allow_http=allow_http, allowed_ports=allowed_ports)
    if refused:
        raise BlockedAddress(f"Adressen är inte tillåten: {refused}")
    port = parts.port or DEFAULT_PORTS[scheme]
    address = checked_address(host, port, allow_private=allow_private)

    timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
    common = {"port": port, "timeout": timeout, "retries": False, "maxsize": 1}
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            **common,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, **common)

    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers={**headers, "Host": _host_header(host, port, scheme)},
            redirect=False,
            retries=False,
            assert_same_host=False,
            preload_content=False,
        )
        try:
            kept = response.read(BODY_KEPT, decode_content=False) or b""
        finally:
            response.release_conn()
    finally:
        pool.close()
    return Response(response.status, kept.decode("utf-8", "replace"), address)
