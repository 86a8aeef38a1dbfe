from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    name = "releases"
    verbose_name = "utgåvor"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import recording

        recording.connect()
