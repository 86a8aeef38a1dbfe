from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "webhooks"

    def ready(self):
        from . import receivers  # noqa: F401 (connects the receiver of visible_change)
