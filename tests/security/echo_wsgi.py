"""A WSGI app that answers with what reached it, for gunicorn behind the real
Caddy in tests/security/test_compose_stack.py: the headers the proxy sent,
the peer gunicorn saw, the scheme it believed and how much body arrived."""

import json


def app(environ, start_response):
    body = environ["wsgi.input"].read()
    seen = {
        "path": environ["PATH_INFO"],
        "script_name": environ.get("SCRIPT_NAME", ""),
        "query": environ["QUERY_STRING"],
        "remote_addr": environ["REMOTE_ADDR"],
        "scheme": environ["wsgi.url_scheme"],
        "meta": {k: v for k, v in environ.items() if k.startswith("HTTP_")},
        "body_length": len(body),
    }
    payload = json.dumps(seen).encode()
    # gunicorn adds its own Server header, as it does for Django.
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    )
    return [payload]
