"""The headers every response carries and the editor's session.

- A Content-Security-Policy, once, on a page, an API response, the API's docs,
  a 404 and a 500, rendered or served from the page cache: strict for
  everything public (no inline code, no eval, no framing, forms to the site
  only), Wagtail's needs in the admin, framing by the site only for the
  preview.
- A Permissions-Policy that denies the powerful features.
- Production's cookies after a real login through Wagtail's login view:
  `__Host-` names, Secure, Path=/, no Domain, and no other cookie.
- The session ends after the idle time (Wagtail's pings do not count) and
  after the maximum; visitors get no cookie, so pages stay cacheable.
"""

import json
import re
import time

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.utils import timezone

from security.sessions import SIGNED_IN_AT
from tests.cms.test_settings import production_env, run
from tests.intl_pages.admin_forms import PASSWORD, make_user
from tests.pagecache.conftest import pagecache_on  # noqa: F401 (a fixture)

PAGE = "/internationella-samarbeten/"
API = "/api/v3/pages/"
DOCS = "/api/v3/docs/"
CSP = "Content-Security-Policy"

# Written out, not read from the settings: loosening them must fail here.
PUBLIC = {
    "default-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Swagger UI's icons are data: URLs in its stylesheet.
DOCS_POLICY = {**PUBLIC, "img-src": ["'self'", "data:"]}
DENIED = [
    "camera",
    "microphone",
    "geolocation",
    "payment",
    "usb",
    "browsing-topics",
    "interest-cohort",
    "display-capture",
    "serial",
]


def header_values(response, name):
    return [value for key, value in response.items() if key.lower() == name.lower()]


def policy_of(response):
    """The one Content-Security-Policy of the response, as {directive: sources};
    a directive named twice (two policies run together) fails."""
    values = header_values(response, CSP)
    assert len(values) == 1, f"{len(values)} {CSP} headers on {response}"
    assert not header_values(response, CSP + "-Report-Only")
    directives = {}
    for part in values[0].split(";"):
        name, *sources = part.split()
        assert name not in directives, f"{name} twice in {values[0]!r}"
        directives[name] = sources
    return directives


def assert_no_inline_code(directives):
    sources = [source for values in directives.values() for source in values]
    for loose in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "http:", "https:"):
        assert loose not in sources
    assert not [source for source in sources if source.startswith("'nonce-")]


def permissions_of(response):
    values = header_values(response, "Permissions-Policy")
    assert len(values) == 1
    return dict(part.strip().split("=", 1) for part in values[0].split(","))


def assert_powerful_features_denied(response):
    permissions = permissions_of(response)
    for feature in DENIED:
        assert permissions.get(feature) == "()", feature


@pytest.fixture
def site(demo_page):
    return demo_page


# The policy on everything public


@pytest.mark.parametrize("path", [PAGE, API, f"{API}{{page_id}}/", "/api/v3/twin-towns/"])
def test_public_responses_carry_the_strict_policy(site, path):
    response = Client().get(path.format(page_id=site.pk))
    assert response.status_code == 200
    assert policy_of(response) == PUBLIC
    assert_no_inline_code(policy_of(response))
    assert_powerful_features_denied(response)


def test_the_api_docs_use_only_the_sites_own_scripts(site):
    """ninja's Swagger page loads its scripts from the site's static files
    (its template has no inline script): the public policy, with data:
    images for Swagger UI's icons."""
    response = Client().get(DOCS)
    assert response.status_code == 200
    assert policy_of(response) == DOCS_POLICY
    assert_no_inline_code(policy_of(response))
    scripts = re.findall(rb"<script([^>]*)>", response.content)
    assert scripts
    for attributes in scripts:
        # Code from a file; the settings are data, which the policy does not run.
        assert b"src=" in attributes or b'type="application/json"' in attributes
    assert_powerful_features_denied(response)


@pytest.mark.parametrize("path", ["/finns-inte/", "/api/v3/pages/999999/", "/api/v3/finns-inte/"])
def test_errors_carry_the_policy(site, path):
    response = Client().get(path)
    assert response.status_code == 404
    assert policy_of(response) == PUBLIC
    assert_powerful_features_denied(response)


def test_a_server_error_carries_the_policy(site, monkeypatch):
    from intl_pages.models import InternationalPage

    def broken(self, request, *args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(InternationalPage, "serve", broken)
    client = Client(raise_request_exception=False)
    response = client.get(PAGE)
    assert response.status_code == 500
    assert policy_of(response) == PUBLIC


@pytest.mark.usefixtures("pagecache_on")
@pytest.mark.parametrize(
    "path, expected",
    [(PAGE, PUBLIC), (API, PUBLIC), (DOCS, DOCS_POLICY)],
    ids=["page", "api", "docs"],
)
def test_the_policy_is_on_a_cache_miss_and_hit_once(site, path, expected):
    """The middleware sits outside the cache: the stored response has none of
    its headers (but the docs page's own), a hit gets them as a miss does."""
    miss = Client().get(path)
    hit = Client().get(path)
    assert (miss["X-Page-Cache"], hit["X-Page-Cache"]) == ("miss", "hit")
    for response in (miss, hit):
        assert policy_of(response) == expected
        assert_powerful_features_denied(response)
    assert miss.content == hit.content


# The admin's policy


def test_the_admin_allows_what_wagtail_needs_and_no_more(site):
    response = Client().get("/admin/login/")
    assert response.status_code == 200
    directives = policy_of(response)
    # Wagtail's inline scripts and Draftail's <style> elements.
    assert directives["script-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    # Inline event handlers: only jquery.Jcrop's "return;".
    assert directives["script-src-attr"] == [
        "'unsafe-hashes'",
        "'sha256-i+qr4lq34KgNHiW62lWi9aInEBwiEOrfCzaNPCvkqD8='",
    ]
    for name in ("default-src", "object-src", "base-uri", "form-action", "frame-ancestors"):
        assert directives[name] == PUBLIC[name], name
    sources = [source for values in directives.values() for source in values]
    assert "'unsafe-eval'" not in sources
    assert not [source for source in sources if source.startswith("'nonce-")]
    assert_powerful_features_denied(response)


def test_the_preview_may_be_framed_by_the_site_and_nothing_else(site, rf):
    """Wagtail renders the preview through the middleware with a request of
    its own: the page's own policy, framed by the admin's preview panel."""
    user = make_user("admin", superuser=True)
    request = rf.get(f"/admin/pages/{site.pk}/edit/preview/")
    request.user = user
    response = site.make_preview_request(request, site.default_preview_mode)
    assert response.status_code == 200
    assert b'id="feedback"' in response.content
    assert policy_of(response) == {**PUBLIC, "frame-ancestors": ["'self'"]}


def test_the_preview_panels_own_page_may_be_framed_by_the_site(site):
    """With nothing to show yet, Wagtail's preview view answers with an admin
    page of its own (SAMEORIGIN), which the panel frames."""
    client = Client()
    client.force_login(make_user("admin", superuser=True))
    response = client.get(f"/admin/pages/{site.pk}/edit/preview/?in_preview_panel=true")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert policy_of(response)["frame-ancestors"] == ["'self'"]
    # Any other admin page: not framed.
    assert policy_of(client.get("/admin/"))["frame-ancestors"] == ["'none'"]


# Production's cookies

PRODUCTION_COOKIE_SETTINGS = """
import json
from django.conf import settings as s
names = [
    "SESSION_COOKIE_NAME", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_PATH", "SESSION_COOKIE_DOMAIN", "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_NAME", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_PATH", "CSRF_COOKIE_DOMAIN",
    "CSRF_COOKIE_SAMESITE",
    "MESSAGE_STORAGE", "SESSION_COOKIE_AGE", "SESSION_IDLE_SECONDS", "SESSION_MAX_SECONDS",
]
print(json.dumps({name: getattr(s, name) for name in names}))
"""


@pytest.fixture(scope="module")
def production_cookies(tmp_path_factory):
    """The cookie settings as cms.settings.production has them, read in a
    process of its own (settings are read once per process)."""
    tmp_path = tmp_path_factory.mktemp("production")
    result = run(production_env(tmp_path), "-c", PRODUCTION_COOKIE_SETTINGS)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_names_its_cookies_with_the_host_prefix(production_cookies):
    assert production_cookies["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert production_cookies["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert production_cookies["SESSION_COOKIE_AGE"] == production_cookies["SESSION_IDLE_SECONDS"]
    assert production_cookies["SESSION_IDLE_SECONDS"] == 30 * 60


def login(client, username="admin"):
    """Wagtail's login form, as a browser fills it in: the CSRF cookie and
    token from the form, then the post."""
    form = client.get("/admin/login/", secure=True)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.content).group(1)
    response = client.post(
        "/admin/login/",
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.decode()},
        secure=True,
        headers={"Origin": "https://testserver"},  # as the browser sends it
    )
    assert response.status_code == 302, response.content[:500]
    return form, response


def assert_host_cookie(cookie):
    """What the browser requires of a __Host- cookie: Secure, Path=/, no
    Domain."""
    assert cookie.key.startswith("__Host-")
    assert cookie["secure"] is True
    assert cookie["path"] == "/"
    assert not cookie["domain"]


def test_a_real_login_sets_host_cookies_only(site, production_cookies, pagecache_on):  # noqa: F811
    make_user("admin", superuser=True)
    with override_settings(**production_cookies):
        client = Client(enforce_csrf_checks=True)
        form, logged_in = login(client)
        assert_host_cookie(form.cookies["__Host-csrftoken"])
        session = logged_in.cookies["__Host-sessionid"]
        assert_host_cookie(session)
        assert session["httponly"] is True
        for response in (form, logged_in):
            assert set(response.cookies) <= {"__Host-csrftoken", "__Host-sessionid"}

        # The editor is known by the prefixed cookie, in the admin...
        dashboard = client.get("/admin/", secure=True)
        assert dashboard.status_code == 200
        assert set(dashboard.cookies) <= {"__Host-csrftoken", "__Host-sessionid"}
        # ...and the page cache never serves them, nor keeps what they see.
        Client().get(PAGE, secure=True)
        assert Client().get(PAGE, secure=True)["X-Page-Cache"] == "hit"
        as_editor = client.get(PAGE, secure=True)
        assert "X-Page-Cache" not in as_editor
        assert as_editor.status_code == 200


# The editor's session


def expiry(client):
    return Session.objects.get(pk=client.session.session_key).expire_date


def set_expiry(client, when):
    Session.objects.filter(pk=client.session.session_key).update(expire_date=when)


@pytest.fixture
def editor_client(site):
    make_user("admin", superuser=True)
    client = Client()
    login(client)
    return client


def test_a_request_moves_the_end_of_the_session(editor_client):
    idle = settings.SESSION_IDLE_SECONDS
    assert settings.SESSION_COOKIE_AGE == idle
    # As if the editor had been away for all but a minute of the idle time.
    nearly_over = timezone.now() + timezone.timedelta(seconds=60)
    set_expiry(editor_client, nearly_over)
    response = editor_client.get("/admin/")
    assert response.status_code == 200
    assert expiry(editor_client) > nearly_over + timezone.timedelta(seconds=idle / 2)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value == editor_client.session.session_key


def test_wagtails_editing_ping_does_not_keep_an_idle_session_alive(editor_client, site):
    nearly_over = timezone.now() + timezone.timedelta(seconds=60)
    set_expiry(editor_client, nearly_over)
    ping = editor_client.post(f"/admin/editing-sessions/ping/wagtailcore/page/{site.pk}/1/")
    assert ping.status_code == 200
    assert ping.json()["session_id"]
    assert expiry(editor_client) == nearly_over
    assert settings.SESSION_COOKIE_NAME not in ping.cookies


def test_an_idle_session_has_ended(editor_client):
    set_expiry(editor_client, timezone.now() - timezone.timedelta(seconds=1))
    response = editor_client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_session_ends_at_the_maximum_however_busy(editor_client):
    started = editor_client.session[SIGNED_IN_AT]
    assert abs(started - time.time()) < 3600  # set at the login, not at the epoch
    session = editor_client.session
    session[SIGNED_IN_AT] = int(time.time()) - settings.SESSION_MAX_SECONDS - 1
    session.save()
    response = editor_client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert editor_client.get("/admin/").status_code == 302  # signed out, not refused once


def test_a_session_from_before_the_rule_gets_a_clock(site):
    client = Client()
    client.force_login(make_user("admin", superuser=True))
    assert SIGNED_IN_AT not in client.session
    assert client.get("/admin/").status_code == 200
    assert SIGNED_IN_AT in client.session


def test_visitors_get_no_session_and_pages_stay_cacheable(site, pagecache_on):  # noqa: F811
    first = Client().get(PAGE)
    assert not first.cookies
    assert first["X-Page-Cache"] == "miss"
    assert Client().get(PAGE)["X-Page-Cache"] == "hit"


def test_a_views_own_policy_from_django_csp_is_honoured(rf):
    """The prebuilt headers are for responses without a view's say; a view
    that uses django-csp's decorators gets what they say."""
    from csp.decorators import csp_exempt, csp_update
    from django.http import HttpResponse

    from security.headers import SecurityHeadersMiddleware

    @csp_update({"img-src": ["'self'", "data:"]})
    def with_images(request):
        return HttpResponse("ok")

    @csp_exempt()
    def exempt(request):
        return HttpResponse("ok")

    updated = SecurityHeadersMiddleware(with_images)(rf.get("/"))
    assert policy_of(updated) == {**PUBLIC, "img-src": ["'self'", "data:"]}
    assert CSP not in SecurityHeadersMiddleware(exempt)(rf.get("/"))
    plain = SecurityHeadersMiddleware(lambda request: HttpResponse("ok"))(rf.get("/"))
    assert policy_of(plain) == PUBLIC
