"""The per-client limit: a fixed window in Redis that only accepted posts
count, a 429 with Retry-After past it, the client's address from a trusted
proxy's header only, and an explicit open door when Redis is down: the
answer saved, the visitor thanked, the outage logged and in the health check."""

from django.test import Client
from django.urls import reverse

from feedback import ratelimit
from feedback.models import Feedback
from security import ratelimit as limiter
from tasks.health import report
from tests.ports import free_port

from .conftest import answer_data


def post(page, data, address="198.51.100.7", **headers):
    return Client().post(
        reverse("feedback:post", args=[page.pk]), data, REMOTE_ADDR=address, **headers
    )


def test_past_the_limit_a_429_with_retry_after_and_nothing_saved(page, limiter_redis, settings):
    settings.FEEDBACK_RATE_LIMIT = 3
    for _ in range(3):
        assert post(page, answer_data(page)).status_code == 303

    refused = post(page, answer_data(page, comment="Mitt fjärde svar."))

    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= settings.FEEDBACK_RATE_LIMIT_WINDOW_SECONDS
    assert "Försök igen om en stund" in refused.content.decode()
    assert Feedback.objects.count() == 3
    # Another address is not held back by this one.
    assert post(page, answer_data(page), address="198.51.100.8").status_code == 303


def test_invalid_and_refused_posts_are_not_counted(page, limiter_redis, settings):
    settings.FEEDBACK_RATE_LIMIT = 2
    for _ in range(5):
        assert post(page, answer_data(page, rating="9")).status_code == 400
    assert post(page, answer_data(page)).status_code == 303
    assert post(page, answer_data(page)).status_code == 303
    for _ in range(3):
        assert post(page, answer_data(page)).status_code == 429
    # The refusals did not push the count further: one slot frees one post.
    [key] = limiter_redis.keys("feedback:rate:198.51.100.7:*")
    ratelimit.undo(key.decode())
    assert post(page, answer_data(page)).status_code == 303


def test_redis_down_the_answer_is_saved_the_limit_open_and_reported(page, settings, caplog):
    settings.RATELIMIT_REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    settings.FEEDBACK_RATE_LIMIT = 1
    limiter.reset()
    try:
        for _ in range(3):
            assert post(page, answer_data(page)).status_code == 303
        assert Feedback.objects.count() == 3
        assert "Redis svarar inte" in caplog.text
        health = report()
        assert health["feedback_rate_limit"] == "open"
        assert health["ok"] is False
    finally:
        limiter.reset()


def test_ipv6_clients_are_counted_per_64(page, limiter_redis, settings):
    settings.FEEDBACK_RATE_LIMIT = 2
    assert post(page, answer_data(page), address="2001:db8:1:2::1").status_code == 303
    assert post(page, answer_data(page), address="2001:db8:1:2::ffff").status_code == 303
    # Another address in the same /64 is the same subscriber.
    assert post(page, answer_data(page), address="2001:db8:1:2:aaaa::9").status_code == 429
    # The next /64 is someone else.
    assert post(page, answer_data(page), address="2001:db8:1:3::1").status_code == 303


def test_behind_the_proxy_each_visitor_has_a_limit_of_their_own(page, limiter_redis, settings):
    settings.FEEDBACK_RATE_LIMIT = 1
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    proxy = "10.0.0.2"
    first = {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    second = {"HTTP_X_FORWARDED_FOR": "203.0.113.10"}
    assert post(page, answer_data(page), address=proxy, **first).status_code == 303
    assert post(page, answer_data(page), address=proxy, **second).status_code == 303
    assert post(page, answer_data(page), address=proxy, **first).status_code == 429
