"""The English locale beside the default Swedish one (Wagtail creates that
on its first migration), so that an editor can translate a page at once."""

from django.db import migrations


def add_english(apps, schema_editor):
    Locale = apps.get_model("wagtailcore", "Locale")
    Locale.objects.get_or_create(language_code="en")


class Migration(migrations.Migration):
    dependencies = [
        ("intl_pages", "0008_contact_english_texts"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(add_english, migrations.RunPython.noop)]
