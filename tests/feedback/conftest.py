import time

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import signing
from django.test import Client

from feedback import tokens
from feedback.models import Feedback
from security import ratelimit
from tests.builders import make_page


@pytest.fixture
def page(db):
    return make_page(title="Vänorter", owner_email="naringsliv@example.org")


@pytest.fixture
def limiter_redis():
    """The rate limiter's Redis database, emptied before and after."""
    client = redis.Redis.from_url(settings.RATELIMIT_REDIS_URL)
    client.delete(*client.keys("feedback:rate:*") or ["-"])
    ratelimit.reset()
    yield client
    client.delete(*client.keys("feedback:rate:*") or ["-"])
    client.close()
    ratelimit.reset()


def aged_token(page_id, seconds=60):
    """A form token made `seconds` ago, as a page rendered then carries."""
    signer = signing.TimestampSigner(salt=tokens.FORM_SALT)
    made_at = signing.b62_encode(int(time.time() - seconds))
    value = f"{page_id}{signer.sep}{made_at}"
    return f"{value}{signer.sep}{signer.signature(value)}"


def answer_data(page, **fields):
    data = {"helpful": "yes", "token": aged_token(page.pk)}
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}


@pytest.fixture
def answers(page):
    def answer(helpful, rating=None, comment="", **fields):
        return Feedback.objects.create(
            page=page,
            page_title=page.title,
            page_url=page.full_url,
            owner_email=page.owner_email,
            helpful=helpful,
            rating=rating,
            comment=comment,
            comment_as_received=f"SOM DEN KOM IN: {comment}",
            **fields,
        )

    return [
        answer(True, 5, "Bra sida."),
        answer(False, 2, '=HYPERLINK("http://evil.example","klicka")'),
        answer(False, None, "+46 is not a formula either", contact_email="-x@example.se"),
        answer(True, 5, "Köp klockor", is_spam=True, spam_reason="honeypot"),
    ]


def user_client(*codenames):
    user = get_user_model().objects.create_user("redaktor", "r@example.org", "lösenord")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(user)
    return client
