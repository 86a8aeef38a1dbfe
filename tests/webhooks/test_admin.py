"""The endpoints in the admin (Inställningar → Webhook-mottagare): created
with a secret the server makes and shows once, listed, their deliveries and
attempts shown with "Skicka igen", an owner told when theirs was switched
off, and nothing of it for users without the permission."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from changes import signals as changes
from webhooks import delivery, events
from webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint

from .conftest import make_endpoint

INDEX = "webhooks_endpoint:index"


def user_client(username, *codenames):
    user = get_user_model().objects.create_user(username, f"{username}@example.org", "lösenord")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(user)
    return client, user


@pytest.fixture
def manager(db):
    """A user given the webhook permissions (not a superuser)."""
    return user_client("integrator", "add_endpoint", "change_endpoint", "delete_endpoint")


def create(client, **fields):
    data = {
        "url": "https://frontend.example.org/hook",
        "description": "Nästa.js-bygget",
        "events": [changes.PAGE_PUBLISHED, changes.CONTACT_PUBLISHED],
        "is_active": "on",
        **fields,
    }
    return client.post(reverse("webhooks_endpoint:add"), data)


def test_create_makes_a_secret_and_shows_it_once(manager):
    client, user = manager
    response = create(client, secret="whsec_typed-by-the-editor")
    endpoint = Endpoint.objects.get()
    secret_url = reverse("webhooks_endpoint:secret", args=[endpoint.pk])
    assert response.status_code == 302 and response["Location"] == secret_url

    assert endpoint.secret.startswith("whsec_") and "typed" not in endpoint.secret
    Webhook(endpoint.secret)  # decodes as the verifier does
    assert len(Webhook(endpoint.secret)._whsecret) == 32
    assert endpoint.created_by == user
    assert endpoint.events == [changes.PAGE_PUBLISHED, changes.CONTACT_PUBLISHED]

    shown = client.get(secret_url)
    assert shown.status_code == 200 and "no-store" in shown["Cache-Control"]
    assert endpoint.secret in shown.content.decode()

    again = client.get(secret_url).content.decode()
    assert endpoint.secret not in again
    assert endpoint.secret_hint in again and "visas bara en gång" in again
    edit = client.get(reverse("webhooks_endpoint:edit", args=[endpoint.pk])).content.decode()
    assert endpoint.secret not in edit and endpoint.secret_hint in edit


def test_the_secret_cannot_be_changed_by_editing(manager):
    client, _user = manager
    endpoint = make_endpoint("https://frontend.example.org/hook")
    secret = endpoint.secret
    response = client.post(
        reverse("webhooks_endpoint:edit", args=[endpoint.pk]),
        {
            "url": "https://frontend.example.org/ny",
            "events": [changes.PAGE_PUBLISHED],
            "is_active": "on",
            "secret": "whsec_mine",
            "secret_hint": "whsec_mine",
        },
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.url.endswith("/ny") and endpoint.secret == secret


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://frontend.example.org/hook", "https://"),
        ("https://user:pass@frontend.example.org/hook", "lösenord"),
        ("http://127.0.0.1:8000/hook", "inte tillåten"),
        ("http://[::ffff:10.0.0.1]/hook", "inte tillåten"),
    ],
)
def test_an_address_that_cannot_be_used_is_refused_in_swedish(manager, url, message):
    client, _user = manager
    response = create(client, url=url)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Endpoint.objects.exists()


def test_the_listing_shows_the_endpoints_in_the_settings_menu(manager):
    client, _user = manager
    make_endpoint("https://a.example.org/hook", events=[changes.STAMP_MOVED])
    response = client.get(reverse(INDEX))
    html = response.content.decode()
    assert response.status_code == 200
    assert "https://a.example.org/hook" in html and "Senast uppdaterad" in html
    assert reverse("webhooks_endpoint:deliveries", args=[Endpoint.objects.get().pk]) in html
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Webhook-mottagare" in home


def test_deliveries_and_attempts_are_shown_and_can_be_sent_again(
    manager, listener, private_allowed
):
    client, _user = manager
    endpoint = make_endpoint(listener.url)
    listener.answer(500)
    (delivery_id,) = events.record(changes.PAGE_PUBLISHED, [])
    delivery.deliver(delivery_id)
    Delivery.objects.filter(pk=delivery_id).update(status=DeliveryStatus.FAILED)

    page = client.get(reverse("webhooks_endpoint:deliveries", args=[endpoint.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert Delivery.objects.get().webhook_id in html
    assert "500" in html and "gav upp" in html and "Skicka igen" in html
    resend_url = reverse("webhooks_endpoint:resend", args=[delivery_id])
    assert resend_url in html

    assert client.get(resend_url).status_code == 405  # a button, never a link
    response = client.post(resend_url)
    assert response.status_code == 302
    row = Delivery.objects.get()
    assert row.status == DeliveryStatus.PENDING and row.next_attempt_at <= timezone.now()
    assert row.retry_until > timezone.now() + timedelta(hours=23)
    assert delivery.deliver(delivery_id) == delivery.DELIVERED
    assert Attempt.objects.filter(delivery_id=delivery_id).count() == 2


def test_the_owner_is_told_when_their_endpoint_was_switched_off(manager, db):
    client, user = manager
    endpoint = make_endpoint(
        "https://a.example.org/hook", user=user, is_active=False, disabled_at=timezone.now()
    )
    # A search's results fragment shows no messages, so it adds none.
    assert client.get(reverse("webhooks_endpoint:index_results")).status_code == 200
    html = client.get(reverse(INDEX)).content.decode()
    assert html.count("stängdes av") == 1 and "misslyckades i ett dygn" in html

    other, _ = user_client("kollega", "change_endpoint")
    assert "stängdes av" not in other.get(reverse(INDEX)).content.decode()

    # Switched on again: the notice goes, and the failing streak starts afresh.
    client.post(
        reverse("webhooks_endpoint:edit", args=[endpoint.pk]),
        {"url": endpoint.url, "events": [changes.PAGE_PUBLISHED], "is_active": "on"},
    )
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.disabled_at is None and endpoint.failing_since is None
    assert "stängdes av" not in client.get(reverse(INDEX)).content.decode()


def test_users_without_the_permission_get_nothing(db):
    client, _user = user_client("redaktor")
    endpoint = make_endpoint("https://a.example.org/hook")
    (delivery_id,) = events.record(changes.PAGE_PUBLISHED, [])
    urls = [
        reverse(INDEX),
        reverse("webhooks_endpoint:add"),
        reverse("webhooks_endpoint:edit", args=[endpoint.pk]),
        reverse("webhooks_endpoint:secret", args=[endpoint.pk]),
        reverse("webhooks_endpoint:deliveries", args=[endpoint.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert endpoint.secret not in response.content.decode()
    Delivery.objects.filter(pk=delivery_id).update(status=DeliveryStatus.FAILED)
    response = client.post(reverse("webhooks_endpoint:resend", args=[delivery_id]))
    assert response.status_code in (302, 403)
    assert Delivery.objects.get().status == DeliveryStatus.FAILED
    assert "Webhook-mottagare" not in client.get(reverse("wagtailadmin_home")).content.decode()
    assert Delivery.objects.get().attempts == 0


def test_a_superuser_may(admin_client, db):
    endpoint = make_endpoint("https://a.example.org/hook")
    assert admin_client.get(reverse(INDEX)).status_code == 200
    deliveries = reverse("webhooks_endpoint:deliveries", args=[endpoint.pk])
    assert admin_client.get(deliveries).status_code == 200
