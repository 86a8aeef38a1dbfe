from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Bakgrundsjobb"

    def ready(self):
        from . import receivers  # noqa: F401  (connects the receivers)
