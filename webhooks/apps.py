from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "webhooks"

    def ready(self):
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
