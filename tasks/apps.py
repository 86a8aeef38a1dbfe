from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Bakgrundsjobb"

    def ready(self):
        # The task modules register their tasks (Celery's autodiscovery looks
        # for a module named `tasks` in each app, which this package has not);
        # `receivers` connects the signal receivers.
        from . import feedback, outbox, publishing, receivers, stamps, wagtail_work, webhooks  # noqa: F401
