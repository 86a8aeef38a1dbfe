from django.apps import AppConfig


class PageCacheConfig(AppConfig):
    name = "pagecache"
    verbose_name = "sidcache"

    def ready(self):
        from . import receivers  # noqa: F401 (connects the receivers)
