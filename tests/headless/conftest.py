"""The feedback tests' rate-limiter fixture, for the JSON endpoint's tests."""

from tests.feedback.conftest import limiter_redis  # noqa: F401 (a fixture)
