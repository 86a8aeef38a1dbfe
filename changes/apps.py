from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "changes"
    verbose_name = "ändringar som besökare ser"

    def ready(self):
        from . import receivers  # noqa: F401 (connects the receivers)
