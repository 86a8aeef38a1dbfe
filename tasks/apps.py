from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Bakgrundsjobb"

    def ready(self):
        # The task modules register their tasks (Celery's autodiscovery looks
        # for a module named `tasks` in each app, which this package has not);
        # `signal_handlers` connects the signal receivers.
        from . import feedback, outbox, publishing, stamps, wagtail_work, webhooks  # noqa: F401
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
