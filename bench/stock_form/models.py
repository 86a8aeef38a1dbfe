from django.db import models
from modelcluster.fields import ParentalKey
from wagtail.contrib.forms.models import AbstractEmailForm, AbstractFormField


class StockFormField(AbstractFormField):
    page = ParentalKey("StockFormPage", on_delete=models.CASCADE, related_name="form_fields")


class StockFormPage(AbstractEmailForm):
    """Wagtail's documented form page, unchanged: a valid post is saved as a
    FormSubmission, mailed to `to_address` and answered with the landing
    page, all in the request."""

    class Meta:
        verbose_name = "e-postformulär (Wagtail, mätning)"
