"""Production's settings with the project's page cache off and Wagtail's
page view under stock `cache_page` (Django's RedisCache)."""

from cms.settings.production import *  # noqa: F403
from cms.settings.production import CACHE_REDIS_URL, CACHES

ROOT_URLCONF = "bench.stock_cache.urls"
PAGECACHE_ENABLED = False
CACHES = {
    **CACHES,
    "stock": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_REDIS_URL,
        "KEY_PREFIX": "stock",
    },
}
