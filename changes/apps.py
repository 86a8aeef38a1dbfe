from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "changes"
    verbose_name = "ändringar som besökare ser"

    def ready(self):
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
