"""The admin's door (issue 14): wrong passwords at Wagtail's own login view
lock the pair (username, client) after 10 and the client after 50 on any
usernames, for 15 minutes after the last counted failure; the lockout page
says so in Swedish with a 429 and when to try again; administrators list
and lift lockouts; password-reset e-mails are limited; ensure_admin refuses
a weak ADMIN_PASSWORD in production.

Time is moved by moving the attempt rows' times, so that the tests check the
real cool-off setting, not a short one made for them."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from security import lockout, ratelimit

ROOT = Path(__file__).resolve().parent.parent.parent
LOGIN = "/admin/login/"
PASSWORD = "Rätt-lösenord-för-admin-2026"
EDITOR_PASSWORD = "Redaktörens-eget-lösenord-7"
A, B = "203.0.113.9", "198.51.100.20"


@pytest.fixture
def admin(db):
    return get_user_model().objects.create_superuser("admin", "admin@example.org", PASSWORD)


@pytest.fixture
def editor(db):
    user = get_user_model().objects.create_user("redaktor", "redaktor@example.org", EDITOR_PASSWORD)
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    return user


def client_at(address, **headers):
    return Client(REMOTE_ADDR=address, **headers)


def log_in(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def logged_in(client):
    return "_auth_user_id" in client.session


def fail(client, username, times):
    for _ in range(times):
        response = log_in(client, username, "fel-lösenord")
        assert response.status_code in (200, 429)
    return response


def request_at(address):
    return RequestFactory().get("/", REMOTE_ADDR=address)


def move_back(delta):
    """Time passes for the failures: every attempt row `delta` older."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - delta)


def test_the_right_password_is_refused_after_ten_wrong_until_the_cool_off(admin):
    client = client_at(A)
    for _ in range(9):
        response = log_in(client, "admin", "fel-lösenord")
        assert response.status_code == 200  # Wagtail's form again
    assert log_in(client, "admin", "fel-lösenord").status_code == 429  # the tenth locks

    refused = log_in(client, "admin", PASSWORD)
    assert refused.status_code == 429
    assert not logged_in(client)

    # A minute short of the cool-off: still refused (the real setting, 15 minutes).
    move_back(timedelta(minutes=14))
    assert log_in(client, "admin", PASSWORD).status_code == 429
    assert not logged_in(client)

    move_back(timedelta(minutes=1, seconds=1))
    accepted = log_in(client, "admin", PASSWORD)
    assert accepted.status_code == 302 and accepted.url == "/admin/"
    assert logged_in(client)


def test_tries_during_a_lockout_do_not_push_its_end(admin):
    client = client_at(A)
    fail(client, "admin", 10)
    until = lockout.lockout_end(lockout.lockout_address(request_at(A)), "admin")
    fail(client, "admin", 5)
    assert lockout.lockout_end(lockout.lockout_address(request_at(A)), "admin") == until
    assert AccessAttempt.objects.get().failures_since_start == 10


def test_another_address_logs_in_until_fifty_failures_lock_the_address(admin, editor):
    attacker, colleague = client_at(A), client_at(B)
    fail(attacker, "admin", 10)
    assert log_in(attacker, "admin", PASSWORD).status_code == 429

    # The pair's rule: admin still gets in from another address.
    assert log_in(colleague, "admin", PASSWORD).status_code == 302
    assert logged_in(colleague)

    # 49 failures from A on any usernames (fewer than 10 each): A is not
    # locked for a username it has not failed on.
    for n in range(13):
        fail(attacker, f"namn{n}", 3)
    assert AccessAttempt.objects.filter(ip_address=A).count() == 14
    assert log_in(client_at(A), "redaktor", EDITOR_PASSWORD).status_code == 302

    # The fiftieth locks the address on every username, the right password too.
    assert log_in(attacker, "namn99", "fel").status_code == 429
    refused = client_at(A)
    assert log_in(refused, "redaktor", EDITOR_PASSWORD).status_code == 429
    assert not logged_in(refused)
    other = client_at(B)
    assert log_in(other, "redaktor", EDITOR_PASSWORD).status_code == 302

    # And it too lifts after the cool-off.
    move_back(timedelta(minutes=15, seconds=1))
    again = client_at(A)
    assert log_in(again, "redaktor", EDITOR_PASSWORD).status_code == 302


def test_an_ipv6_client_is_locked_per_64(admin):
    for n in range(1, 11):
        log_in(client_at(f"2001:db8:1:2::{n:x}"), "admin", "fel-lösenord")
    assert log_in(client_at("2001:db8:1:2:ffff::1"), "admin", PASSWORD).status_code == 429
    assert log_in(client_at("2001:db8:1:3::1"), "admin", PASSWORD).status_code == 302
    assert AccessAttempt.objects.get().ip_address == "2001:db8:1:2::"


def test_a_client_that_writes_its_own_forwarded_for_is_counted_as_itself(admin, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    for n in range(10):
        log_in(client_at(A, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"), "admin", "fel")
    assert log_in(client_at(A), "admin", PASSWORD).status_code == 429
    # Behind the trusted proxy, the client is the address the proxy saw.
    behind = client_at("10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.1")
    assert log_in(behind, "admin", PASSWORD).status_code == 302
    forwarded = client_at("10.0.0.2", HTTP_X_FORWARDED_FOR=A)
    assert log_in(forwarded, "admin", PASSWORD).status_code == 429


def page_text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_lockout_page_says_in_swedish_when_to_try_again(admin):
    client = client_at(A)
    response = fail(client, "admin", 10)
    assert response.status_code == 429
    last_failure = AccessAttempt.objects.get().attempt_time
    until = timezone.localtime(last_failure + timedelta(minutes=15))
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 15 * 60
    text = page_text(response)
    assert "För många misslyckade inloggningsförsök." in text
    assert f"förrän klockan {until:%H:%M}" in text
    assert 'lang="sv"' in text and 'class="login' in text  # Wagtail's login look
    assert "/admin/password_reset/" in text

    # The same answer for a username that does not exist: the page does not
    # tell which usernames do.
    stranger = fail(client_at(B), "finns-inte", 10)
    assert stranger.status_code == 429
    assert "finns-inte" not in page_text(stranger)
    # Apart from the time and the CSRF token in Wagtail's script config.
    apart = re.compile(r'klockan \d\d:\d\d, om \d+ minut(er)?|"CSRF_TOKEN": "\w+"')
    assert apart.sub("", page_text(stranger)) == apart.sub("", text)


def test_test_client_login_and_force_login_still_work(admin):
    client = Client()
    assert client.login(username="admin", password=PASSWORD)
    assert not Client().login(username="admin", password="fel")  # no 500, not counted
    assert not AccessAttempt.objects.exists()
    other = Client()
    other.force_login(admin)
    assert other.get("/admin/").status_code == 200


def table_rows(text):
    """The listing's rows by address: the other cells' texts."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", text):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        if cells:
            rows[cells[1]] = [cells[0], *cells[2:]]
    return rows


@pytest.fixture
def superuser_client(admin):
    client = Client()
    client.force_login(admin)
    return client


def test_administrators_see_and_lift_lockouts(admin, superuser_client):
    fail(client_at(A), "admin", 10)
    for n in range(10):
        fail(client_at(B), f"namn{n}", 5)

    page = superuser_client.get("/admin/lasta-inloggningar/")
    assert page.status_code == 200
    text = page_text(page)
    assert "Låsta inloggningar" in text
    since = timezone.localtime(AccessAttempt.objects.get(ip_address=A).attempt_time)
    until = since + timedelta(minutes=15)
    rows = table_rows(text)
    assert [f"{since:%Y-%m-%d %H:%M}", f"{until:%Y-%m-%d %H:%M}"] == rows[A][2:4]
    assert rows[A][:2] == ["admin", "10"] and rows[A][-1] == "Lås upp"
    assert rows[B][:2] == ["Alla", "50"] and rows[B][-1] == "Lås upp"

    response = superuser_client.post(
        "/admin/lasta-inloggningar/las-upp/", {"address": A, "username": "admin"}, follow=True
    )
    assert "Låste upp inloggningen för ”admin” från 203.0.113.9." in page_text(response)
    assert log_in(client_at(A), "admin", PASSWORD).status_code == 302

    superuser_client.post("/admin/lasta-inloggningar/las-upp/", {"address": B})
    assert not AccessAttempt.objects.filter(ip_address=B).exists()
    assert "Ingen inloggning är låst just nu." in page_text(
        superuser_client.get("/admin/lasta-inloggningar/")
    )
    # Under Inställningar, for superusers.
    assert "/admin/lasta-inloggningar/" in page_text(superuser_client.get("/admin/"))


def test_the_lockouts_are_refused_to_others(admin, editor):
    fail(client_at(A), "admin", 10)
    client = Client()
    client.force_login(editor)
    listing = client.get("/admin/lasta-inloggningar/")
    assert listing.status_code == 302 and listing.url == "/admin/"
    lift = client.post("/admin/lasta-inloggningar/las-upp/", {"address": A, "username": "admin"})
    assert lift.status_code == 302
    assert AccessAttempt.objects.filter(ip_address=A).exists()
    assert "/admin/lasta-inloggningar/" not in page_text(client.get("/admin/"))
    anonymous = Client().get("/admin/lasta-inloggningar/")
    assert anonymous.status_code == 302 and anonymous.url.startswith(LOGIN)


def attempts(address, username, failures, when):
    AccessAttempt.objects.create(
        username=username,
        ip_address=address,
        user_agent="test",
        get_data="",
        post_data="",
        http_accept="*/*",
        path_info=LOGIN,
        failures_since_start=failures,
    )
    AccessAttempt.objects.filter(ip_address=address, username=username).update(attempt_time=when)


def test_the_lockouts_view_costs_the_same_for_one_and_many(superuser_client):
    now = timezone.now()

    def queries(count):
        AccessAttempt.objects.all().delete()
        for n in range(count):
            attempts(f"192.0.2.{n + 1}", "admin", 10, now - timedelta(minutes=1))
        with CaptureQueriesContext(connection) as captured:
            page = superuser_client.get("/admin/lasta-inloggningar/")
        assert page.content.decode().count("Lås upp") == count
        return len(captured)

    assert queries(1) == queries(30)


def test_a_lockout_ends_when_the_latest_rows_holding_the_limit_leave_the_cool_off():
    now = timezone.now()
    rows = [(now - timedelta(minutes=10), 6), (now - timedelta(minutes=2), 4)]
    assert lockout.ends_at(rows, 10) == now + timedelta(minutes=5)
    assert lockout.ends_at(rows, 4) == now + timedelta(minutes=13)
    assert lockout.ends_at(rows, 11) is None


@pytest.fixture
def limiter():
    """The limiter's Redis database, without the password-reset counts."""
    client = redis.Redis.from_url(settings.RATELIMIT_REDIS_URL)

    def clear():
        client.delete(*client.keys("password-reset*") or ["-"])

    clear()
    ratelimit.reset()
    yield client
    clear()
    client.close()
    ratelimit.reset()


def reset_password(client, email):
    return client.post("/admin/password_reset/", {"email": email})


def test_password_reset_emails_are_limited_per_address_and_per_client(admin, limiter):
    assert settings.PASSWORD_RESET_EMAIL_RATE_LIMIT == 3
    assert settings.PASSWORD_RESET_RATE_LIMIT == 5
    client = client_at(A)
    for _ in range(3):
        response = reset_password(client, "admin@example.org")
        assert response.status_code == 302 and response.url == "/admin/password_reset/done/"
    assert len(mail.outbox) == 3

    refused = reset_password(client, "admin@example.org")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    text = page_text(refused)
    assert "Det har begärts för många nya lösenord på kort tid. Försök igen om" in text
    assert 'value="admin@example.org"' in text  # what was written stays
    assert len(mail.outbox) == 3

    # Per address asked for, from any client.
    assert reset_password(client_at(B), "ADMIN@example.org ").status_code == 429
    # The client's fifth request, for another address (that has no user: the
    # same answer), is let through; its sixth is not.
    assert reset_password(client, "ingen@example.org").status_code == 302
    assert reset_password(client, "annan@example.org").status_code == 429
    assert reset_password(client_at(B), "annan@example.org").status_code == 302
    assert len(mail.outbox) == 3


def production_env(**extra):
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADMIN_")}
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="cms.example.org",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        **extra,
    )
    return env


def ensure_admin(env):
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "ensure_admin"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="the production settings' process shares the tests' PostgreSQL database",
)
@pytest.mark.django_db(transaction=True)
def test_ensure_admin_refuses_a_weak_admin_password_in_production():
    weak = ensure_admin(production_env(ADMIN_PASSWORD="admin123"))
    assert weak.returncode != 0
    assert "ADMIN_PASSWORD duger inte som lösenord för administratören" in weak.stderr
    assert "för vanligt" in weak.stderr  # Django's own reason, in Swedish
    assert not get_user_model().objects.exists()

    strong = ensure_admin(production_env(ADMIN_PASSWORD="Kyrkogårdsgrind-i-Lidköping-9"))
    assert strong.returncode == 0, strong.stderr
    assert get_user_model().objects.get(username="admin").is_superuser


def test_ensure_admin_keeps_any_password_in_development(db, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", "admin")
    call_command("ensure_admin")
    assert get_user_model().objects.get(username="admin").check_password("admin")


@pytest.mark.parametrize(
    "fields",
    [
        {"username": "a" * 300, "password": "x"},
        {"username": "admin\x00", "password": "x"},
        {"username": "", "password": ""},
        {"password": "x"},
        {"username": "admin"},
    ],
    ids=["long", "nul", "empty", "no-username", "no-password"],
)
def test_odd_login_forms_are_the_form_again_never_a_5xx(admin, fields):
    client = client_at(A, HTTP_USER_AGENT="x" * 2000)
    assert client.post(LOGIN, fields).status_code == 200
    # With the pair locked too, an odd form is answered without a 5xx.
    fail(client, "admin", 10)
    assert client.post(LOGIN, fields).status_code in (200, 429)
