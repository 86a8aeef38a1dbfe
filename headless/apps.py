from django.apps import AppConfig


class HeadlessConfig(AppConfig):
    name = "headless"
    verbose_name = "headless-API"

    def ready(self):
        from .fields import add_feedback_token

        add_feedback_token()
