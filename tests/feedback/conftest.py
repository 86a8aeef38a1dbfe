import time

import pytest
import redis
from django.conf import settings
from django.core import signing

from feedback import ratelimit, tokens
from tests.builders import make_page


@pytest.fixture
def page(db):
    return make_page(title="Vänorter", owner_email="naringsliv@example.org")


@pytest.fixture
def limiter_redis():
    """The rate limiter's Redis database, emptied before and after."""
    client = redis.Redis.from_url(settings.FEEDBACK_RATE_LIMIT_REDIS_URL)
    client.delete(*client.keys("feedback:rate:*") or ["-"])
    ratelimit._client = None
    yield client
    client.delete(*client.keys("feedback:rate:*") or ["-"])
    client.close()
    ratelimit._client = None


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
