from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = "Schemalagt"
    default_auto_field = "django.db.models.BigAutoField"
