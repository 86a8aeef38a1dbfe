from django.apps import AppConfig


class IntlPagesConfig(AppConfig):
    name = "intl_pages"
    verbose_name = "Internationellt samarbete"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers)
