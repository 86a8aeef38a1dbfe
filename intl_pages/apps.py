from django.apps import AppConfig


class IntlPagesConfig(AppConfig):
    name = "intl_pages"
    verbose_name = "Internationellt samarbete"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
