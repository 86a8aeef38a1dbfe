from django.apps import AppConfig


class StockFormConfig(AppConfig):
    name = "bench.stock_form"
    label = "stock_form"
    verbose_name = "Wagtails e-postformulär (mätning)"
    default_auto_field = "django.db.models.BigAutoField"
